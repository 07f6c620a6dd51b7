import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Describer } from './describers/describer';
import { writeHighlight } from './highlight-defect';
import { JsonlAppender, readJsonlFile } from '@iad-r1/datasets';
import { type DescriptionRecord, descriptionRecordSchema } from './records';
import { runWorkerPool } from './worker-pool';
import { WORKSPACE_FILES, fileNameOf, readPairs } from './workspace';

/** Options shared by the generation steps. */
export interface GenerationStepOptions {
  /** The pipeline's output folder (holds `pairs.jsonl`). */
  out: string;
  describer: Describer;
  /** Pairs in flight; default 4. */
  concurrency?: number;
  /** Extra attempts after an empty (describe) or invalid (think) reply; default 2. */
  retries?: number;
  /** Stops starting new pairs; finished ones are on disk. */
  signal?: AbortSignal;
  /** Called after each pair with (done, total), counting pairs finished in earlier runs. */
  onProgress?: (done: number, total: number) => void;
  log?: (line: string) => void;
}

/** What a step did in this run. */
export interface StepSummary {
  total: number;
  /** Finished in an earlier run and skipped now. */
  resumed: number;
  /** Finished now. */
  written: number;
  /** Gave up after the retries (think step: recorded as flagged). */
  flagged: number;
  /** Requests that failed (network, server); not written, so a re-run asks again. */
  failed: Array<{ id: string; error: string }>;
}

/**
 * Step 2 (describe): asks the describer to compare reference and query for every pair not yet
 * described, appending each description to `descriptions.jsonl` as it arrives. Anomalous queries
 * are shown with the defect outlined (`highlights/`). Re-running skips described pairs.
 *
 * @example
 * await describePairs({ out: 'out/expert-ad', describer: templateDescriber() });
 */
export async function describePairs(options: GenerationStepOptions): Promise<StepSummary> {
  const pairs = await readPairs(options.out);
  const file = join(options.out, WORKSPACE_FILES.descriptions);
  const done = new Set((await readJsonlFile(file, descriptionRecordSchema, options.log)).map((d) => d.id));
  const pending = pairs.filter((p) => !done.has(p.id));
  const summary: StepSummary = { total: pairs.length, resumed: pairs.length - pending.length, written: 0, flagged: 0, failed: [] };
  const writer = new JsonlAppender(file);
  const retries = options.retries ?? 2;
  let finished = summary.resumed;
  options.onProgress?.(finished, pairs.length);
  try {
    await runWorkerPool(pending, options.concurrency ?? 4, async (pair) => {
      try {
        let highlight: string | undefined;
        if (pair.label === 'anomalous' && pair.maskPath) {
          highlight = join(options.out, WORKSPACE_FILES.highlights, `${fileNameOf(pair.id)}.png`);
          if (!(await access(highlight).then(() => true, () => false))) await writeHighlight(pair.queryImage, pair.maskPath, highlight);
        }
        let description = '';
        for (let attempt = 1; attempt <= 1 + retries && !description; attempt++) description = (await options.describer.describe(pair, highlight)).trim();
        if (!description) {
          summary.flagged++;
          options.log?.(`${pair.id}: the describer returned an empty description ${1 + retries} times; re-run to ask again`);
          return;
        }
        const record: DescriptionRecord = { id: pair.id, description, describer: options.describer.id, ...(highlight ? { highlightImage: highlight } : {}) };
        await writer.append(record);
        summary.written++;
        options.onProgress?.(++finished, pairs.length);
      } catch (error) {
        if (options.signal?.aborted) return;
        summary.failed.push({ id: pair.id, error: (error as Error).message });
        options.log?.(`${pair.id}: describe failed (${(error as Error).message}); re-run to ask again`);
      }
    }, options.signal);
  } finally {
    await writer.close();
  }
  return summary;
}
