import { thumbnailDataUrl } from '@iad-r1/datasets';
import type { AnswerRecord } from '../answer-record';
import type { DetectionMetrics, EvaluationSummary } from '../metrics';
import { categoryNames, structureFitsAnswer, thinkAgreesWithAnswer, thinkNamesOtherObject } from '../consistency';
import { escapeHtml } from './html-escape';
import { INTERPRETATION_HEADER, INTERPRETATION_NOTE, interpretationCells } from './interpretation-columns';
import type { ReportContext } from './markdown-report';

const pct = (v: number): string => v.toFixed(1);

// A horizontal bar chart of balanced accuracy (0–100) with the 50 % chance line.
function barChart(title: string, rows: Array<[string, number]>): string {
  const rowHeight = 22;
  const labelWidth = 170;
  const width = 560;
  const plot = width - labelWidth - 50;
  const height = rows.length * rowHeight + 30;
  const bars = rows
    .map(([label, value], i) => {
      const y = 20 + i * rowHeight;
      const w = (Math.max(0, Math.min(100, value)) / 100) * plot;
      return `<text x="${labelWidth - 6}" y="${y + 14}" text-anchor="end">${escapeHtml(label)}</text><rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${value >= 50 ? '#3b7dd8' : '#d8843b'}"/><text x="${labelWidth + w + 4}" y="${y + 14}">${pct(value)}</text>`;
    })
    .join('');
  const chance = labelWidth + plot / 2;
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${bars}<line x1="${chance}" y1="14" x2="${chance}" y2="${height - 6}" stroke="#888" stroke-dasharray="4 3"/><text x="${chance}" y="11" text-anchor="middle" class="muted">50 (chance)</text></svg></figure>`;
}

function metricsRow(label: string, m: DetectionMetrics): string {
  return `<tr><th scope="row">${escapeHtml(label)}</th><td>${m.n}</td><td>${m.normal}</td><td>${m.anomalous}</td><td>${pct(m.tnr)}</td><td>${pct(m.tpr)}</td><td>${pct(m.accuracy)}</td><td><b>${pct(m.balancedAccuracy)}</b></td><td>${m.unparsed}</td></tr>`;
}

/**
 * A self-contained HTML report (no scripts, no network): bar charts per dataset, per-category
 * tables, and a gallery of misclassified images with the model's full response.
 *
 * @example
 * await writeFile('report.html', await htmlReport(summary, answers, { model: 'openai:qwen' }));
 */
export async function htmlReport(summary: EvaluationSummary, answers: readonly AnswerRecord[], context: ReportContext = {}, galleryLimit = 24): Promise<string> {
  const names = Object.keys(summary.datasets);
  const overview = barChart('Balanced accuracy per dataset (%)', [...names.map((n) => [n, summary.datasets[n]?.balancedAccuracy ?? 0] as [string, number]), ['Average', summary.average.balancedAccuracy]]);
  const sections = names
    .map((name) => {
      const d = summary.datasets[name];
      if (!d) return '';
      const chart = barChart(`${name}: balanced accuracy per category (%)`, Object.entries(d.categories).map(([c, m]) => [c, m.balancedAccuracy]));
      const rows = [...Object.entries(d.categories).map(([c, m]) => metricsRow(c, m)), metricsRow(`${name} (pooled)`, d)].join('');
      const interpretation = [...Object.entries(d.categories), [`${name} (pooled)`, d] as const].map(([c, m]) => `<tr><th scope="row">${escapeHtml(c)}</th>${interpretationCells(m).map((v) => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`).join('');
      return `<section><h2>${escapeHtml(name)}</h2>${chart}<table><thead><tr><th>Category</th><th>Images</th><th>Normal</th><th>Anomalous</th><th>TNR</th><th>TPR</th><th>Accuracy</th><th>Balanced acc.</th><th>Unparsed</th></tr></thead><tbody>${rows}</tbody></table><h3>Interpretation and consistency (%)</h3><table><thead><tr><th>Category</th>${INTERPRETATION_HEADER.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${interpretation}</tbody></table></section>`;
    })
    .join('');

  const card = async (a: AnswerRecord, note: string): Promise<string> => {
    const src = await thumbnailDataUrl(a.image, 128).catch(() => '');
    const verdict = a.answer === null ? 'no readable answer' : `answered ${a.answer}`;
    return `<article class="card">${src ? `<img src="${src}" alt="${escapeHtml(a.key)}" width="128" height="128">` : '<div class="missing">image unavailable</div>'}<div><p><b>${escapeHtml(a.dataset)} / ${escapeHtml(a.category)}</b><br><span class="muted">${escapeHtml(a.key)}</span></p><p>Truth: <b>${a.label}</b>; ${escapeHtml(verdict)}${note ? `; ${escapeHtml(note)}` : ''}</p><pre>${escapeHtml(a.response.slice(0, 1500))}</pre></div></article>`;
  };
  const galleryOf = async (title: string, items: ReadonlyArray<{ answer: AnswerRecord; note: string }>): Promise<string> => {
    const shown = items.slice(0, galleryLimit);
    const cards = await Promise.all(shown.map(({ answer, note }) => card(answer, note)));
    return `<section><h2>${escapeHtml(title)} (${items.length}${shown.length < items.length ? `, first ${shown.length} shown` : ''})</h2>${cards.join('') || '<p>None.</p>'}</section>`;
  };
  const gallery = await galleryOf('Misclassified images', answers.filter((a) => !a.correct).map((answer) => ({ answer, note: '' })));
  // Answers whose reasoning or structure does not fit their own answer, whatever the truth.
  const categories = categoryNames(answers);
  const disagreements = answers.flatMap((a) => {
    if (a.answer === null || !a.response.includes('<answer>')) return [];
    const notes = [
      ...(structureFitsAnswer(a.response, a.answer) ? [] : ['structure does not fit the answer']),
      ...(thinkAgreesWithAnswer(a.response, a.answer) === false ? ['the think concludes otherwise'] : []),
      ...(thinkNamesOtherObject(a.response, a.category, categories) ? ['the think is about another object'] : []),
      ...(a.judge === 'no' ? ['the judge says the reasoning does not support it'] : []),
    ];
    return notes.length > 0 ? [{ answer: a, note: notes.join(', ') }] : [];
  });
  const disagreementGallery = await galleryOf('Reasoning–answer disagreements', disagreements);

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>IAD-R1 evaluation — ${escapeHtml(context.model ?? 'model')}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1000px;color:#1d2430;padding:0 16px}
h1{font-size:22px}h3{font-size:15px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}th[scope=row],thead th:first-child{text-align:left}
thead th{background:#f3f5f8}svg text{font-size:12px;fill:#1d2430}.muted{color:#6b7280;fill:#6b7280}figure{margin:8px 0}figcaption{font-weight:600;margin-bottom:4px}
.card{display:flex;gap:12px;border:1px solid #e2e5ea;border-radius:6px;padding:10px;margin:10px 0}.card img{image-rendering:pixelated;border-radius:4px;flex:none}
pre{white-space:pre-wrap;background:#f7f8fa;padding:8px;border-radius:4px;margin:0;max-height:180px;overflow:auto;font-size:12px}.missing{width:128px;height:128px;background:#eee}
</style></head><body>
<h1>IAD-R1 evaluation</h1>
<p>Model <code>${escapeHtml(context.model ?? 'unknown')}</code>, ${escapeHtml(String(context.shots ?? '?'))}-shot, prompt <code>${escapeHtml(context.prompt ?? '?')}</code>. Balanced accuracy = (TNR + TPR) / 2 in %; answers read with <code>${escapeHtml(summary.scoring.parsing)}</code> parsing, an unreadable answer ${summary.scoring.unparsed === 'drop' ? 'dropped from the counts' : 'counts as wrong'}. Average over datasets: <b>${pct(summary.average.balancedAccuracy)}</b>.</p>
${overview}
${sections}
<p class="muted">${escapeHtml(INTERPRETATION_NOTE)}</p>
${gallery}
${disagreementGallery}
</body></html>
`;
}
