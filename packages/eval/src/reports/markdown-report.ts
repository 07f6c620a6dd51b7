import type { EvaluationSummary } from '../metrics';
import { INTERPRETATION_HEADER, INTERPRETATION_NOTE, interpretationCells } from './interpretation-columns';

const pct = (v: number): string => v.toFixed(1);

/** Run settings shown at the top of the reports. */
export interface ReportContext {
  model?: string;
  shots?: number;
  prompt?: string;
}

/**
 * A Markdown report: one row per model like the paper's Table 1 (balanced accuracy per dataset
 * and the average), then a per-category table for every dataset.
 *
 * @example
 * markdownReport(summary, { model: 'openai:qwen', shots: 0, prompt: 'iad-r1' });
 */
export function markdownReport(summary: EvaluationSummary, context: ReportContext = {}): string {
  const names = Object.keys(summary.datasets);
  const lines = [
    '# IAD-R1 evaluation',
    '',
    `Model \`${context.model ?? 'unknown'}\`, ${context.shots ?? '?'}-shot, prompt \`${context.prompt ?? '?'}\`. Balanced accuracy in %: (TNR + TPR) / 2; answers read with \`${summary.scoring.parsing}\` parsing, an unreadable answer ${summary.scoring.unparsed === 'drop' ? 'dropped from the counts' : 'counts as wrong'}.`,
    '',
    `| Model | Setting | ${names.join(' | ')} | Average |`,
    `| --- | --- | ${names.map(() => '---:').join(' | ')} | ---: |`,
    `| ${context.model ?? 'model'} | ${context.shots ?? '?'}-shot | ${names.map((n) => pct(summary.datasets[n]?.balancedAccuracy ?? 0)).join(' | ')} | ${pct(summary.average.balancedAccuracy)} |`,
    '',
  ];
  for (const name of names) {
    const d = summary.datasets[name];
    if (!d) continue;
    lines.push(
      `## ${name}`,
      '',
      `Balanced accuracy ${pct(d.balancedAccuracy)} (accuracy ${pct(d.accuracy)}, TPR ${pct(d.tpr)}, TNR ${pct(d.tnr)}), ${d.n} images (${d.normal} normal, ${d.anomalous} anomalous), ${d.unparsed} unparsed.`,
      '',
      '| Category | Images | Normal | Anomalous | TNR | TPR | Accuracy | Balanced accuracy | Unparsed |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...Object.entries(d.categories).map(
        ([c, m]) => `| ${c} | ${m.n} | ${m.normal} | ${m.anomalous} | ${pct(m.tnr)} | ${pct(m.tpr)} | ${pct(m.accuracy)} | ${pct(m.balancedAccuracy)} | ${m.unparsed} |`,
      ),
      '',
      `Interpretation and consistency (%) of ${name}:`,
      '',
      `| Category | ${INTERPRETATION_HEADER.join(' | ')} |`,
      `| --- | ${INTERPRETATION_HEADER.map(() => '---:').join(' | ')} |`,
      ...[...Object.entries(d.categories), [`${name} (pooled)`, d] as const].map(([c, m]) => `| ${c} | ${interpretationCells(m).join(' | ')} |`),
      '',
    );
  }
  lines.push(INTERPRETATION_NOTE, '');
  return lines.join('\n');
}
