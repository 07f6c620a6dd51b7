import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { assertSameSettings } from '@iad-r1/errors';
import { TEST_PROMPTS, type TestPromptName, buildChatMessages, fnv1a } from '@iad-r1/cot-schema';
import { type AnomalyDataset, type AnomalySample, DatasetError, checkImageFile, readSettingsFile, writeFileAtomic } from '@iad-r1/datasets';
import type { GenerateResult, VisionLanguageModel } from '@iad-r1/models';
import { DEFAULT_GRID_SIZE } from '@iad-r1/grid';
import type { AnswerRecord } from './answer-record';
import { answerStyleOf, extractAnswer } from './answer-extraction';
import { type AnswerScoring, DEFAULT_SCORING } from './answer-scoring';
import { AnswersWriter, readAnswers } from './answers-file';
import { askConsistencyJudge } from './consistency';
import { interpretationTruth } from './interpretation';
import { type EvaluationSummary, groupBy, summarise } from './metrics';
import { chooseReferences } from './reference-selection';
import { writeReports } from './reports/write-reports';

export interface EvaluateOptions {
  model: VisionLanguageModel;
  /** One or more datasets; results are grouped by each sample's `dataset`. Only `test` images are asked. */
  datasets: readonly AnomalyDataset[];
  /**
   * k ≥ 0 normal reference images before the query (0: the query alone). For k ≥ 2 the prompt says
   * "Following is k image of normal sample", as the authors' few-shot scripts do.
   */
  shots: number;
  /** Prompt family (docs/METHOD.md §2); default `iad-r1`. */
  prompt?: TestPromptName;
  /** Output folder: `answers.jsonl`, `summary.json`, `report.md`, `report.html`, `run.json`. */
  out: string;
  /** Requests in flight at once; default 4. */
  concurrency?: number;
  /**
   * Images sent in one `generate` call; default 1. An in-process model decodes a batch's rows
   * together, which costs little more than one row on a small model (the demo uses 16); a served
   * model answers each request on its own, so use `concurrency` for those.
   */
  batchSize?: number;
  /** At most this many images per dataset, picked by a seeded hash (stable across resumes). */
  limit?: number;
  /** Seed for reference choice and `limit`; default 0. */
  seed?: number;
  /** Default 512 (the paper's test budget). Decoding is greedy. */
  maxNewTokens?: number;
  /** Side of the grid `<location>` answers are scored on; default 3. */
  gridSize?: number;
  /**
   * A model asked, after each tagged answer with a `<think>`, whether the reasoning supports the
   * answer ({@link CONSISTENCY_JUDGE_QUESTION}); its verdicts are a separate consistency column.
   */
  judge?: VisionLanguageModel;
  /** How answers are read and unreadable ones counted in the summary; default `iad-r1` / `wrong`. */
  scoring?: AnswerScoring;
  /** Called after each answer: done and total over the run, and the running summary. */
  onProgress?: (progress: { done: number; total: number; summary: EvaluationSummary; answer: AnswerRecord }) => void;
  /** Progress-independent notices (resume, dropped partial line, failures). */
  log?: (line: string) => void;
  signal?: AbortSignal;
  /**
   * More settings to record in `run.json` and hold a resume to (the CLI gives the dataset kind and
   * the manifest file); a resume with another value is refused by name.
   */
  runSettings?: Record<string, string | number | boolean | null>;
  /**
   * Resume from an `answers.jsonl` whose `run.json` is missing (deleted, or made by another tool),
   * recording this run's settings as its own. Default false: such a folder is refused, since
   * nothing says its answers were asked the way this run asks.
   */
  force?: boolean;
}

/** Outcome of a run. */
export interface EvaluationResult {
  summary: EvaluationSummary;
  answers: AnswerRecord[];
  /** Images whose request failed after the model's retries; re-running asks them again. */
  failures: Array<{ key: string; error: string }>;
  /** Answers found from an earlier run of this folder. */
  resumed: number;
}

/** Settings that must not change between a run and its resumption (`run.json`). */
interface RunConfig {
  model: string;
  shots: number;
  prompt: TestPromptName;
  seed: number;
  maxNewTokens: number;
  limit: number | null;
  gridSize: number;
  /** The consistency judge's model id, or null. */
  judge: string | null;
  /** Each dataset's name and absolute root. */
  datasets: Array<{ name: string; root: string }>;
  /** A digest of the questions (key, image, label, reference candidates): another manifest or data tree differs here. */
  questions: string;
  [setting: string]: unknown;
}

function questionsDigest(questions: ReadonlyArray<{ sample: AnomalySample }>): string {
  const hash = createHash('sha256');
  for (const { sample } of questions) hash.update(`${JSON.stringify([keyOf(sample), sample.imagePath, sample.label, sample.references ?? null])}\n`);
  return hash.digest('hex').slice(0, 16);
}

function keyOf(sample: AnomalySample): string {
  return `${sample.dataset}::${sample.id}`;
}

/** The questions of a run: test images of every dataset, optionally limited per dataset. */
export function selectQuestions(datasets: readonly AnomalyDataset[], limit: number | undefined, seed: number): Array<{ sample: AnomalySample; dataset: AnomalyDataset }> {
  const out: Array<{ sample: AnomalySample; dataset: AnomalyDataset }> = [];
  for (const dataset of datasets) {
    const groups = groupBy(
      dataset.samples.filter((s) => s.split === 'test'),
      (s) => s.dataset,
    );
    for (const samples of groups.values()) {
      const chosen = limit === undefined ? samples : [...samples].sort((a, b) => fnv1a(keyOf(a), seed) - fnv1a(keyOf(b), seed)).slice(0, limit);
      for (const sample of chosen) out.push({ sample, dataset });
    }
  }
  return out;
}

/**
 * Runs the paper's evaluation protocol (docs/METHOD.md §6): each test image is asked with the chosen
 * prompt, 0- or 1-shot, greedy, up to 512 new tokens; the answer is extracted (unreadable = wrong)
 * and written to `answers.jsonl` as it arrives; `summary.json`, `report.md` and `report.html` are
 * written at the end. Re-running with the same output folder resumes: answered images are not
 * asked again, and nothing is duplicated.
 *
 * @example
 * const { summary } = await evaluate({ model, datasets: [mvtec], shots: 0, out: 'runs/qwen-0shot' });
 * console.log(summary.average.balancedAccuracy);
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluationResult> {
  if (!Number.isInteger(options.shots) || options.shots < 0) throw new RangeError(`shots must be a whole number ≥ 0, got ${options.shots}`);
  const prompt = options.prompt ?? 'iad-r1';
  const gridSize = options.gridSize ?? DEFAULT_GRID_SIZE;
  const scoring = options.scoring ?? DEFAULT_SCORING;
  const seed = options.seed ?? 0;
  const maxNewTokens = options.maxNewTokens ?? 512;
  const concurrency = options.concurrency ?? 4;
  const batchSize = options.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a whole number ≥ 1, got ${batchSize}`);
  const log = options.log ?? (() => undefined);
  await mkdir(options.out, { recursive: true });

  const questions = selectQuestions(options.datasets, options.limit, seed);
  const config: RunConfig = {
    model: options.model.id,
    shots: options.shots,
    prompt,
    seed,
    maxNewTokens,
    limit: options.limit ?? null,
    gridSize,
    judge: options.judge?.id ?? null,
    ...options.runSettings,
    datasets: options.datasets.map((d) => ({ name: d.name, root: d.root })),
    questions: questionsDigest(questions),
  };
  const configFile = join(options.out, 'run.json');
  const answersFile = join(options.out, 'answers.jsonl');
  const previous = await readSettingsFile(configFile);
  if (previous) assertSameSettings(configFile, previous, config, 'use another --out for this run');
  else {
    if (existsSync(answersFile) && statSync(answersFile).size > 0 && !options.force) {
      throw new DatasetError(answersFile, 'these answers have no run.json beside them, so nothing says how they were asked (model, data, shots, prompt); use another --out, or pass --force to take them as answers to this run');
    }
    await writeFileAtomic(configFile, `${JSON.stringify(config, null, 2)}\n`);
  }

  // Fail before asking anything if a k-shot question has too few references.
  const references = new Map<string, string[]>();
  for (const { sample, dataset } of questions) references.set(keyOf(sample), chooseReferences(sample, dataset, seed, options.shots));

  const answers = await readAnswers(answersFile, log);
  const wanted = new Set(questions.map((q) => keyOf(q.sample)));
  const kept = answers.filter((a) => wanted.has(a.key));
  const done = new Set(kept.map((a) => a.key));
  const resumed = kept.length;
  if (resumed > 0) log(`resuming: ${resumed} of ${questions.length} images already answered in ${answersFile}`);
  const pending = questions.filter((q) => !done.has(keyOf(q.sample)));
  const writer = new AnswersWriter(answersFile);
  const style = answerStyleOf(prompt);
  const template = options.shots === 0 ? TEST_PROMPTS[prompt].zeroShot : TEST_PROMPTS[prompt].oneShot;
  const failures: EvaluationResult['failures'] = [];
  const collected = [...kept];

  const fail = (item: (typeof pending)[number], error: unknown): void => {
    failures.push({ key: keyOf(item.sample), error: (error as Error).message });
    log(DatasetError.isInstance(error) ? `${(error as Error).message}; not asked (fix the file and re-run to ask it)` : `${item.sample.imagePath}: request failed (${(error as Error).message}); re-run to ask it again`);
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pending.length && !options.signal?.aborted) {
      const taken = pending.slice(next, next + batchSize);
      next += taken.length;
      const asked: Array<{ item: (typeof pending)[number]; shown: string[]; messages: ReturnType<typeof buildChatMessages>; truth: Awaited<ReturnType<typeof interpretationTruth>> }> = [];
      for (const item of taken) {
        const shown = references.get(keyOf(item.sample)) ?? [];
        try {
          // A file the model server cannot read, or one that is not what the data root holds, is not sent.
          for (const image of [...shown, item.sample.imagePath]) await checkImageFile(image, item.dataset.root);
          const truth = await interpretationTruth(item.sample, gridSize);
          asked.push({ item, shown, messages: buildChatMessages({ template, referenceImages: shown, queryImage: item.sample.imagePath, referenceWording: 'authors' }), truth });
        } catch (error) {
          fail(item, error);
        }
      }
      if (asked.length === 0) continue;
      const started = Date.now();
      const generation = { maxNewTokens, temperature: 0, ...(options.signal ? { signal: options.signal } : {}) };
      let results: Array<GenerateResult | undefined>;
      const failedAlone = new Set<number>();
      try {
        results = await options.model.generate(
          asked.map((a) => a.messages),
          generation,
        );
      } catch (error) {
        if (options.signal?.aborted) return;
        if (asked.length === 1) {
          fail((asked[0] as (typeof asked)[number]).item, error);
          continue;
        }
        // One request can fail a whole batch: ask each on its own, so only the failing one fails.
        results = [];
        for (const [i, a] of asked.entries()) {
          try {
            results.push((await options.model.generate([a.messages], generation))[0]);
          } catch (single) {
            if (options.signal?.aborted) return;
            results.push(undefined);
            failedAlone.add(i);
            fail(a.item, single);
          }
        }
      }
      const ms = Date.now() - started;
      for (const [i, { item, shown, truth }] of asked.entries()) {
        const { sample } = item;
        // Asked on its own after its batch failed, and failed again: recorded above.
        if (failedAlone.has(i)) continue;
        try {
          const completion = results[i]?.completions[0];
          const response = completion?.text ?? '';
          const answer = extractAnswer(response, style) ?? null;
          const judge = options.judge && style === 'tagged' ? await askConsistencyJudge(options.judge, response, answer, options.signal) : undefined;
          const record: AnswerRecord = {
            key: keyOf(sample),
            dataset: sample.dataset,
            category: sample.category,
            image: sample.imagePath,
            label: sample.label,
            references: shown,
            response,
            answer,
            correct: answer !== null && (answer === 'yes') === (sample.label === 'anomalous'),
            ...(completion?.finishReason ? { finishReason: completion.finishReason } : {}),
            ms,
            ...(truth ? { truth } : {}),
            ...(judge !== undefined ? { judge } : {}),
          };
          await writer.append(record);
          collected.push(record);
          options.onProgress?.({ done: collected.length, total: questions.length, summary: summarise(collected, scoring), answer: record });
        } catch (error) {
          if (options.signal?.aborted) return;
          fail(item, error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, pending.length)) }, worker));
  await writer.flush();

  const summary = summarise(collected, scoring);
  await writeReports(options.out, { summary, answers: collected, config, failures: failures.length });
  return { summary, answers: collected, failures, resumed };
}

/**
 * Rebuilds `summary.json`, `report.md` and `report.html` from an `answers.jsonl`, under the given
 * scoring rules (default `iad-r1` / `wrong`).
 *
 * @example
 * await rescore('runs/qwen-0shot/answers.jsonl', 'runs/qwen-0shot');
 * await rescore('runs/qwen-0shot/answers.jsonl', 'runs/qwen-0shot-authors', { parsing: 'authors', unparsed: 'drop' });
 */
export async function rescore(answersFile: string, out: string, scoring: AnswerScoring = DEFAULT_SCORING): Promise<EvaluationSummary> {
  // A run folder's answers may not exist yet when a run resumes, but one asked to be rescored must.
  if (!existsSync(answersFile)) throw new DatasetError(answersFile, 'no such answers file (answers.jsonl of a run)');
  const answers = await readAnswers(answersFile);
  const summary = summarise(answers, scoring);
  const config = ((await readSettingsFile(join(dirname(answersFile), 'run.json'))) ?? (await readSettingsFile(join(out, 'run.json')))) as RunConfig | undefined;
  await mkdir(out, { recursive: true });
  await writeReports(out, { summary, answers, config, failures: 0 });
  return summary;
}
