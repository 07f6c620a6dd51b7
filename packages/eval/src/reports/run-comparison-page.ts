import { escapeHtml } from './html-escape';

/**
 * A line chart of one value per step (a loss, a reward, a completion length) as a self-contained
 * `<figure>` with an inline SVG: no scripts, no network, readable in any browser.
 *
 * @example
 * lineChartSvg('SC-GRPO mean reward per step', metrics.map((m) => m.reward), '#2e9d55');
 */
export function lineChartSvg(title: string, values: readonly number[], color: string): string {
  const w = 420;
  const h = 160;
  const pad = 30;
  const max = Math.max(...values);
  const min = Math.min(...values, 0);
  const x = (i: number): number => pad + (i / Math.max(1, values.length - 1)) * (w - 2 * pad);
  const y = (v: number): number => h - pad - ((v - min) / Math.max(1e-9, max - min)) * (h - 2 * pad);
  const path = values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const axes = `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#999"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#999"/>`;
  const labels = `<text x="${pad - 4}" y="${pad + 4}" text-anchor="end" font-size="10">${max.toFixed(2)}</text><text x="${pad - 4}" y="${h - pad}" text-anchor="end" font-size="10">${min.toFixed(2)}</text><text x="${w - pad}" y="${h - 8}" text-anchor="end" font-size="10">step ${values.length}</text>`;
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${axes}${labels}<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/></svg></figure>`;
}

/**
 * The trailing moving average of a series: element i is the mean of the last `window` values up
 * to i (fewer at the start), so the curve starts where the series does.
 *
 * @example
 * movingAverage([1, 3, 5, 7], 2); // [1, 2, 4, 6]
 */
export function movingAverage(values: readonly number[], window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a whole number ≥ 1, got ${window}`);
  let sum = 0;
  return values.map((v, i) => {
    sum += v;
    if (i >= window) sum -= values[i - window] as number;
    return sum / Math.min(i + 1, window);
  });
}

/**
 * Several series per step on one chart — each drawn raw (faint) and as its moving average (bold),
 * with a legend — as a self-contained `<figure>`: how each SC-GRPO reward component moves, where
 * one noisy total hides it.
 *
 * @example
 * seriesChartSvg('SC-GRPO reward components per step', [{ name: 'answer', values: metrics.map((m) => m.components.answer), color: '#2e9d55' }], 10);
 */
export function seriesChartSvg(title: string, series: ReadonlyArray<{ name: string; values: readonly number[]; color: string }>, window = 10): string {
  const w = 520;
  const h = 200;
  const pad = 32;
  const all = series.flatMap((s) => s.values);
  const max = Math.max(...all, 0);
  const min = Math.min(...all, 0);
  const steps = Math.max(1, ...series.map((s) => s.values.length));
  const x = (i: number): number => pad + (i / Math.max(1, steps - 1)) * (w - 2 * pad);
  const y = (v: number): number => h - pad - ((v - min) / Math.max(1e-9, max - min)) * (h - 2 * pad - 14);
  const path = (values: readonly number[]): string => values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const lines = series.map((s) => `<path d="${path(s.values)}" fill="none" stroke="${s.color}" stroke-opacity="0.25" stroke-width="1"/><path d="${path(movingAverage(s.values, window))}" fill="none" stroke="${s.color}" stroke-width="2.2"/>`).join('');
  const legend = series.map((s, i) => `<rect x="${pad + i * 110}" y="4" width="10" height="10" fill="${s.color}"/><text x="${pad + i * 110 + 14}" y="13" font-size="11">${escapeHtml(s.name)}</text>`).join('');
  const axes = `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#999"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#999"/><text x="${pad - 4}" y="${y(max) + 4}" text-anchor="end" font-size="10">${max.toFixed(2)}</text><text x="${pad - 4}" y="${y(min)}" text-anchor="end" font-size="10">${min.toFixed(2)}</text><text x="${w - pad}" y="${h - 8}" text-anchor="end" font-size="10">step ${steps} (bold: moving average of ${window})</text>`;
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${legend}${axes}${lines}</svg></figure>`;
}

/** What {@link runComparisonPage} shows. */
export interface RunComparison {
  title: string;
  /** A sentence under the title (what the numbers are). */
  caption: string;
  /** Column names after the first (e.g. datasets, then averages). */
  columns: readonly string[];
  /** One row per run: its label and one formatted cell per column; `bold` columns are emphasised. */
  rows: ReadonlyArray<{ label: string; cells: readonly string[] }>;
  /** Columns (by index) set in bold, e.g. the averages. */
  boldColumns?: readonly number[];
  /** Figures (from {@link lineChartSvg}) under the table. */
  figures?: readonly string[];
  /** Links to the runs' own reports, relative to the page. */
  links?: readonly string[];
}

/**
 * A self-contained HTML page comparing runs: a table (rows = runs, columns = datasets and
 * averages), figures, and links to each run's `report.html`.
 *
 * @example
 * await writeFile('index.html', runComparisonPage({ title: 'Demo', caption: 'Balanced accuracy (%)', columns: ['MVTec'], rows: [{ label: 'Base', cells: ['50.0'] }] }));
 */
export function runComparisonPage(page: RunComparison): string {
  const bold = new Set(page.boldColumns ?? []);
  const head = `<tr><th>Model</th>${page.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = page.rows.map((row) => `<tr><td>${escapeHtml(row.label)}</td>${row.cells.map((cell, i) => `<td>${bold.has(i) ? `<b>${escapeHtml(cell)}</b>` : escapeHtml(cell)}</td>`).join('')}</tr>`).join('');
  const links = page.links?.length ? `\n<h2>Evaluation reports</h2><ul>${page.links.map((l) => `<li><a href="${escapeHtml(l)}">${escapeHtml(l)}</a></li>`).join('')}</ul>` : '';
  const style = 'body{font:14px system-ui;margin:24px;max-width:1000px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(page.title)}</title><style>${style}</style></head><body>\n<h1>${escapeHtml(page.title)}</h1>\n<p>${escapeHtml(page.caption)}</p>\n<table><thead>${head}</thead><tbody>${body}</tbody></table>\n${(page.figures ?? []).join('\n')}${links}\n</body></html>\n`;
}
