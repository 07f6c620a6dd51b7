import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnswerRecord } from '../answer-record';
import type { EvaluationSummary } from '../metrics';
import { htmlReport } from './html-report';
import { markdownReport } from './markdown-report';

async function writeAtomic(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

/** Writes `summary.json`, `report.md` and `report.html` into `out`. */
export async function writeReports(
  out: string,
  run: { summary: EvaluationSummary; answers: readonly AnswerRecord[]; config: { model: string; shots: number; prompt: string } | undefined; failures: number },
): Promise<void> {
  const context = run.config ? { model: run.config.model, shots: run.config.shots, prompt: run.config.prompt } : {};
  await writeAtomic(join(out, 'summary.json'), `${JSON.stringify({ ...context, ...run.summary, failures: run.failures }, null, 2)}\n`);
  await writeAtomic(join(out, 'report.md'), markdownReport(run.summary, context));
  await writeAtomic(join(out, 'report.html'), await htmlReport(run.summary, run.answers, context));
}
