import { join } from 'node:path';
import type { GenerationStepOptions, StepSummary } from './describe-step';
import { JsonlAppender, readJsonlFile } from '@iad-r1/datasets';
import { type ThoughtRecord, descriptionRecordSchema, thoughtRecordSchema } from './records';
import { parseThinkOutput } from './think-output';
import { runWorkerPool } from './worker-pool';
import { WORKSPACE_FILES, readPairs } from './workspace';

/**
 * Step 3 (think): distils each description into the three-layer CoT and a fine-grained type,
 * validates the reply (`parseThinkOutput`), retries an invalid one, and after the last attempt
 * records the pair as flagged (`ok: false`, with the reason and raw reply) so it is left out of
 * review and the exports. Appends to `thoughts.jsonl`; re-running skips pairs already there.
 *
 * @example
 * const summary = await thinkPairs({ out: 'out/expert-ad', describer: templateDescriber() });
 * summary.flagged; // replies that never validated
 */
export async function thinkPairs(options: GenerationStepOptions): Promise<StepSummary> {
  const pairs = await readPairs(options.out);
  const descriptions = new Map((await readJsonlFile(join(options.out, WORKSPACE_FILES.descriptions), descriptionRecordSchema, options.log)).map((d) => [d.id, d]));
  const file = join(options.out, WORKSPACE_FILES.thoughts);
  const done = new Set((await readJsonlFile(file, thoughtRecordSchema, options.log)).map((t) => t.id));
  const ready = pairs.filter((p) => descriptions.has(p.id));
  if (ready.length < pairs.length) options.log?.(`${pairs.length - ready.length} pair(s) have no description yet and are left for a later run`);
  const pending = ready.filter((p) => !done.has(p.id));
  const summary: StepSummary = { total: ready.length, resumed: ready.length - pending.length, written: 0, flagged: 0, failed: [] };
  const writer = new JsonlAppender(file);
  const attempts = 1 + (options.retries ?? 2);
  let finished = summary.resumed;
  options.onProgress?.(finished, ready.length);
  try {
    await runWorkerPool(pending, options.concurrency ?? 4, async (pair) => {
      const description = descriptions.get(pair.id)?.description as string;
      try {
        let record: ThoughtRecord | undefined;
        for (let attempt = 1; attempt <= attempts && !record?.ok; attempt++) {
          const raw = await options.describer.think(pair, description, attempt);
          const parsed = parseThinkOutput(raw, pair);
          record = parsed.ok
            ? { id: pair.id, ok: true, think: parsed.think, ...(parsed.fineType ? { fineType: parsed.fineType } : {}), describer: options.describer.id, attempts: attempt }
            : { id: pair.id, ok: false, reason: parsed.reason, raw, describer: options.describer.id, attempts: attempt };
        }
        const result = record as ThoughtRecord;
        if (!result.ok) {
          summary.flagged++;
          options.log?.(`${pair.id}: flagged after ${attempts} attempt(s): ${result.reason}`);
        }
        await writer.append(result);
        summary.written++;
        options.onProgress?.(++finished, ready.length);
      } catch (error) {
        if (options.signal?.aborted) return;
        summary.failed.push({ id: pair.id, error: (error as Error).message });
        options.log?.(`${pair.id}: think failed (${(error as Error).message}); re-run to ask again`);
      }
    }, options.signal);
  } finally {
    await writer.close();
  }
  return summary;
}
