import type { AnomalyDataset } from '@iad-r1/datasets';
import { type StepSummary, describePairs } from './describe-step';
import type { Describer } from './describers/describer';
import { type IntegrateOptions, type IntegrateResult, integrate } from './integrate';
import type { PreparePairsOptions } from './prepare-pairs';
import { prepareStep } from './prepare-step';
import { startReviewServer } from './review/review-server';
import { thinkPairs } from './think-step';

/** The steps in order. */
export type ExpertAdStep = 'prepare' | 'describe' | 'think' | 'review' | 'integrate';

/** Options of {@link runExpertAdPipeline}. */
export interface ExpertAdPipelineOptions extends Omit<PreparePairsOptions, 'onProgress'>, Omit<IntegrateOptions, 'out' | 'log'> {
  dataset: AnomalyDataset;
  /** Output folder; every step writes there and resumes from what it finds. */
  out: string;
  describer: Describer;
  /** Recorded in `prepare.json`, e.g. `{ source: 'mvtec', root }`. */
  provenance?: Record<string, string>;
  concurrency?: number;
  retries?: number;
  /** Review server port (without `autoAccept`); default 0 (any free port). */
  port?: number;
  /** Called when the review page is up; the pipeline then waits for "Finish & integrate". */
  onReviewReady?: (url: string) => void;
  onProgress?: (step: ExpertAdStep, done: number, total: number) => void;
  onStepDone?: (step: ExpertAdStep, summary: StepSummary | undefined) => void;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/**
 * Runs the whole Expert-AD construction (docs/METHOD.md §7): prepare → describe → think → review →
 * integrate. With `autoAccept` the review is skipped and every valid record is accepted;
 * otherwise the review page opens and integration follows when the reviewer finishes. Each step
 * resumes from its files, so an interrupted run is continued by calling this again.
 *
 * @example
 * const result = await runExpertAdPipeline({
 *   dataset: await loadSource('synthetic', 'data/synthetic'),
 *   out: 'out/expert-ad',
 *   describer: templateDescriber(),
 *   autoAccept: true,
 * });
 * result?.stats.records;
 */
export async function runExpertAdPipeline(options: ExpertAdPipelineOptions): Promise<IntegrateResult | undefined> {
  const { out, describer, signal, log } = options;
  const progress = (step: ExpertAdStep) => (done: number, total: number) => options.onProgress?.(step, done, total);
  const { pairs, resumed } = await prepareStep(options.dataset, { ...options, onProgress: progress('prepare') });
  if (resumed) log?.(`prepare: reusing ${pairs.length} pairs already in ${out}`);
  options.onStepDone?.('prepare', { total: pairs.length, resumed: resumed ? pairs.length : 0, written: resumed ? 0 : pairs.length, flagged: 0, failed: [] });
  const step = { out, describer, ...(options.concurrency ? { concurrency: options.concurrency } : {}), ...(options.retries !== undefined ? { retries: options.retries } : {}), ...(signal ? { signal } : {}), ...(log ? { log } : {}) };
  const described = await describePairs({ ...step, onProgress: progress('describe') });
  options.onStepDone?.('describe', described);
  if (signal?.aborted) return undefined;
  const thought = await thinkPairs({ ...step, onProgress: progress('think') });
  options.onStepDone?.('think', thought);
  if (signal?.aborted) return undefined;
  if (described.failed.length > 0 || thought.failed.length > 0) {
    log?.(`${described.failed.length + thought.failed.length} request(s) failed; integrating what is done (re-run to finish the rest)`);
  }
  if (!options.autoAccept) {
    const server = await startReviewServer({ out, ...(options.port !== undefined ? { port: options.port } : {}), ...(log ? { log } : {}) });
    options.onReviewReady?.(server.url);
    await Promise.race([server.finished, new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }))]);
    await server.close();
    options.onStepDone?.('review', undefined);
    if (signal?.aborted) return undefined;
  }
  const result = await integrate({ ...options, out, ...(log ? { log } : {}) });
  options.onStepDone?.('integrate', undefined);
  return result;
}
