import { join } from 'node:path';
import { writeFileAtomic as writeAtomic } from '@iad-r1/datasets';
import type { AnswerRecord } from '../answer-record';
import { scoredAnswer } from '../answer-scoring';
import type { RunComparisonTable } from '../compare-runs';
import type { EvaluationSummary } from '../metrics';
import { comparisonHtml, comparisonMarkdown } from './comparison-report';
import { htmlReport } from './html-report';
import { markdownReport } from './markdown-report';


/** Writes `summary.json`, `report.md` and `report.html` into `out` (the galleries read answers under the summary's scoring rules). */
export async function writeReports(
  out: string,
  run: { summary: EvaluationSummary; answers: readonly AnswerRecord[]; config: { model: string; shots: number; prompt: string } | undefined; failures: number },
): Promise<void> {
  const context = run.config ? { model: run.config.model, shots: run.config.shots, prompt: run.config.prompt } : {};
  await writeAtomic(join(out, 'summary.json'), `${JSON.stringify({ ...context, ...run.summary, failures: run.failures }, null, 2)}\n`);
  await writeAtomic(join(out, 'report.md'), markdownReport(run.summary, context));
  await writeAtomic(join(out, 'report.html'), await htmlReport(run.summary, run.answers.map((a) => scoredAnswer(a, run.summary.scoring)), context));
}

/**
 * Writes a comparison of runs into `out`: `comparison.json` (the table, p-values included),
 * `comparison.md` and `comparison.html`.
 *
 * @example
 * await writeComparison('runs/compare', compareRuns(runs));
 */
export async function writeComparison(out: string, table: RunComparisonTable, page: Parameters<typeof comparisonHtml>[1] = {}): Promise<void> {
  await writeAtomic(join(out, 'comparison.json'), `${JSON.stringify(table, null, 2)}\n`);
  await writeAtomic(join(out, 'comparison.md'), comparisonMarkdown(table));
  await writeAtomic(join(out, 'comparison.html'), comparisonHtml(table, page));
}
