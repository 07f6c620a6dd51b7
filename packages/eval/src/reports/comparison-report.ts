import type { RunComparisonTable } from '../compare-runs';
import { escapeHtml } from './html-escape';

const pct = (v: number): string => v.toFixed(1);
const signed = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}`;
const pValue = (p: number): string => (p < 0.001 ? '<0.001' : p.toFixed(3));
const PALETTE = ['#3b7dd8', '#2e9d55', '#d8843b', '#8e5bd8', '#d83b6a', '#3bb5c8', '#7a7a7a'];

interface Layout {
  header: string[];
  rows: Array<{ label: string; cells: string[] }>;
}

function scoreLayout(table: RunComparisonTable): Layout {
  const header = ['Model', ...table.shots.flatMap((k) => [...(table.datasets[k] ?? []).map((d) => `${d} (${k}-shot)`), `Average (${k}-shot)`])];
  const rows = table.rows.map((row) => ({
    label: row.label,
    cells: table.shots.flatMap((k) => {
      const run = row.runs[k];
      return [...(table.datasets[k] ?? []).map((d) => (run?.datasets[d] ? pct(run.datasets[d].balancedAccuracy) : '–')), run ? pct(run.average) : '–'];
    }),
  }));
  return { header, rows };
}

function deltaLayout(table: RunComparisonTable): Layout {
  const first = table.rows[0]?.label ?? '';
  const header = [`Δ vs ${first}`, ...table.shots.flatMap((k) => [...(table.datasets[k] ?? []).map((d) => `${d} (${k}-shot)`), `Average (${k}-shot)`])];
  const rows = table.rows.slice(1).map((row) => ({
    label: row.label,
    cells: table.shots.flatMap((k) => {
      const run = row.runs[k];
      return [
        ...(table.datasets[k] ?? []).map((d) => {
          const cell = run?.datasets[d];
          return cell?.delta !== undefined && cell.mcnemar ? `${signed(cell.delta)} (p ${pValue(cell.mcnemar.p)})` : '–';
        }),
        run?.averageDelta !== undefined ? signed(run.averageDelta) : '–',
      ];
    }),
  }));
  return { header, rows };
}

function interpretationLayout(table: RunComparisonTable): Layout {
  const header = ['Model', 'k', 'Location: dominant cell', 'Location: any covered cell', 'Type ≥ 0.85', 'Type mean score', 'Structure fits answer', 'Think agrees', 'Other object', 'Judge agrees'];
  const rows = table.rows.flatMap((row) =>
    table.shots
      .filter((k) => row.runs[k])
      .map((k) => {
        const run = row.runs[k];
        if (!run) return { label: row.label, cells: [] };
        const { interpretation: i, consistency: c } = run;
        const rate = (value: number, count: number): string => (count > 0 ? `${pct(value)} (n=${count})` : '–');
        return {
          label: row.label,
          cells: [String(k), rate(i.dominantAccuracy, i.located), rate(i.anyAccuracy, i.located), rate(i.typeAccuracy, i.typed), i.typed > 0 ? i.typeMeanScore.toFixed(2) : '–', rate(c.structureRate, c.tagged), rate(c.thinkAgreement, c.thinkChecked), rate(c.otherObjectRate, c.objectChecked), rate(c.judgeAgreement, c.judged)],
        };
      }),
  );
  return { header, rows };
}

function markdownTable({ header, rows }: Layout): string {
  return [`| ${header.join(' | ')} |`, `| --- | ${header.slice(1).map(() => '---:').join(' | ')} |`, ...rows.map((r) => `| ${r.label} | ${r.cells.join(' | ')} |`)].join('\n');
}

function htmlTable({ header, rows }: Layout): string {
  return `<table><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr><th scope="row">${escapeHtml(r.label)}</th>${r.cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const SCORING_NOTE = (table: RunComparisonTable): string =>
  `Balanced accuracy (%), answers read with \`${table.scoring.parsing}\` parsing, unreadable answers ${table.scoring.unparsed === 'drop' ? 'dropped from the counts' : 'counted as wrong'}. Δ: difference to the first row at the same k; p: two-sided exact McNemar test on the images both runs answered. Interpretation counts only anomalous images answered yes; consistency only tagged answers.`;

/**
 * The comparison as Markdown: the scores (the paper's Table 4 layout), the differences to the
 * first row with McNemar p-values, and the interpretation and consistency columns.
 *
 * @example
 * await writeFile('comparison.md', comparisonMarkdown(compareRuns(runs)));
 */
export function comparisonMarkdown(table: RunComparisonTable): string {
  const parts = ['# IAD-R1 run comparison', '', SCORING_NOTE(table), '', markdownTable(scoreLayout(table)), ''];
  if (table.rows.length > 1) parts.push('## Difference to the first row', '', markdownTable(deltaLayout(table)), '');
  parts.push('## Interpretation and consistency', '', markdownTable(interpretationLayout(table)), '');
  return parts.join('\n');
}

// One grouped bar chart per k: a group per dataset (and the average), a bar per row.
function groupedBarChart(table: RunComparisonTable, k: number): string {
  const groups = [...(table.datasets[k] ?? []), 'Average'];
  const rows = table.rows.filter((r) => r.runs[k]);
  const bar = 14;
  const gap = 18;
  const groupWidth = rows.length * bar + gap;
  const left = 36;
  const plotHeight = 180;
  const width = left + groups.length * groupWidth + 10;
  const height = plotHeight + 70;
  const y = (v: number): number => 10 + plotHeight - (Math.max(0, Math.min(100, v)) / 100) * plotHeight;
  const bars = groups
    .map((group, g) => {
      const x0 = left + g * groupWidth + gap / 2;
      const rects = rows
        .map((row, r) => {
          const run = row.runs[k];
          const value = group === 'Average' ? run?.average : run?.datasets[group]?.balancedAccuracy;
          if (value === undefined) return '';
          const top = y(value);
          return `<rect x="${x0 + r * bar}" y="${top.toFixed(1)}" width="${bar - 2}" height="${(10 + plotHeight - top).toFixed(1)}" fill="${PALETTE[r % PALETTE.length]}"><title>${escapeHtml(`${row.label}, ${group}: ${pct(value)}`)}</title></rect>`;
        })
        .join('');
      return `${rects}<text x="${x0 + (rows.length * bar) / 2}" y="${plotHeight + 26}" text-anchor="middle">${escapeHtml(group)}</text>`;
    })
    .join('');
  const axis = [0, 50, 100].map((v) => `<line x1="${left}" x2="${width - 10}" y1="${y(v)}" y2="${y(v)}" stroke="${v === 50 ? '#888' : '#ddd'}"${v === 50 ? ' stroke-dasharray="4 3"' : ''}/><text x="${left - 4}" y="${y(v) + 4}" text-anchor="end">${v}</text>`).join('');
  const legend = rows.map((row, r) => `<rect x="${left + r * 160}" y="${plotHeight + 40}" width="10" height="10" fill="${PALETTE[r % PALETTE.length]}"/><text x="${left + r * 160 + 14}" y="${plotHeight + 49}">${escapeHtml(row.label.slice(0, 24))}</text>`).join('');
  const title = `Balanced accuracy (%), ${k}-shot`;
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${axis}${bars}${legend}</svg></figure>`;
}

/**
 * The comparison as a self-contained HTML page (no scripts, no network): the three tables of
 * {@link comparisonMarkdown}, a grouped bar chart per k, optional figures and links.
 *
 * @example
 * await writeFile('comparison.html', comparisonHtml(compareRuns(runs), { title: 'Backbones' }));
 */
export function comparisonHtml(table: RunComparisonTable, page: { title?: string; caption?: string; figures?: readonly string[]; links?: readonly string[] } = {}): string {
  const title = page.title ?? 'IAD-R1 run comparison';
  const links = page.links?.length ? `<h2>Evaluation reports</h2><ul>${page.links.map((l) => `<li><a href="${escapeHtml(l)}">${escapeHtml(l)}</a></li>`).join('')}</ul>` : '';
  const deltas = table.rows.length > 1 ? `<h2>Difference to the first row</h2>${htmlTable(deltaLayout(table))}` : '';
  const style = 'body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#1d2430}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th[scope=row],thead th:first-child{text-align:left}thead th{background:#f3f5f8}svg text{font-size:11px;fill:#1d2430}figcaption{font-weight:600}';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${style}</style></head><body>
<h1>${escapeHtml(title)}</h1>
${page.caption ? `<p>${escapeHtml(page.caption)}</p>` : ''}<p>${escapeHtml(SCORING_NOTE(table).replace(/`/g, ''))}</p>
${htmlTable(scoreLayout(table))}
${table.shots.map((k) => groupedBarChart(table, k)).join('\n')}
${deltas}
<h2>Interpretation and consistency</h2>${htmlTable(interpretationLayout(table))}
${(page.figures ?? []).join('\n')}
${links}
</body></html>
`;
}
