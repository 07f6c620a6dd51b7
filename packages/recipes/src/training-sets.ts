import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type PaSftRecord, type ScGrpoRecord, paSftRecordSchema, scGrpoRecordSchema } from '@iad-r1/cot-schema';
import { DatasetError, readTextFile } from '@iad-r1/datasets';
import type { z } from 'zod';

/** Shot counts a recipe trains on: 0 (query only) and/or 1 (reference, then query). */
export type Shots = 0 | 1;

/** The two stages' training records, by shot count, with the files they came from. */
export interface TrainingSets {
  paSft: Partial<Record<Shots, PaSftRecord[]>>;
  scGrpo: Partial<Record<Shots, ScGrpoRecord[]>>;
  /** Files read, in order. */
  files: string[];
}

/** Where the records come from: an Expert-AD integration folder, or the two stage files. */
export interface TrainingSetSource {
  /** `iad-r1-expert-ad integrate`'s folder: `pa-sft.json`, `pa-sft-1shot.json`, `sc-grpo.json`, `sc-grpo-1shot.json`. */
  from?: string;
  /** PA-SFT records (LLaMA-Factory sharegpt JSON or JSONL); 0- or 1-shot by their image count. */
  paSft?: string;
  /** SC-GRPO records (`{id, image, problem, solution}` JSON or JSONL); 0- or 1-shot by their image count. */
  scGrpo?: string;
  /** Which shot counts to train on (default `[0]`, as the authors' `--single_img 1`). */
  shots?: Shots[];
  /**
   * Rewrite image paths for the training machine: every path must start with `from`, which is
   * replaced by `to`. Without it the paths are kept as they are and must exist here.
   */
  rebase?: { from: string; to: string };
}

const INTEGRATION_FILES = { paSft: { 0: 'pa-sft.json', 1: 'pa-sft-1shot.json' }, scGrpo: { 0: 'sc-grpo.json', 1: 'sc-grpo-1shot.json' } } as const;

/** Parses a JSON array or JSON Lines file of records, naming the file, record and field of a bad one. */
async function readRecords<T>(path: string, schema: z.ZodType<T>): Promise<T[]> {
  const text = await readTextFile(path);
  let values: unknown[];
  let lineOf = (_index: number): number | undefined => undefined;
  if (text.trimStart().startsWith('[')) {
    try {
      values = JSON.parse(text) as unknown[];
    } catch (error) {
      throw new DatasetError(path, `not valid JSON (${(error as Error).message})`);
    }
  } else {
    const lines = text.split(/\r?\n/);
    const numbers: number[] = [];
    values = [];
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      try {
        values.push(JSON.parse(line));
      } catch (error) {
        throw new DatasetError(path, `not valid JSON (${(error as Error).message})`, i + 1);
      }
      numbers.push(i + 1);
    });
    lineOf = (index) => numbers[index] as number;
  }
  if (values.length === 0) throw new DatasetError(path, 'holds no records');
  return values.map((value, index) => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new DatasetError(path, `record ${index}: field ${issue?.path.join('.') || '(record)'}: ${issue?.message}`, lineOf(index));
  });
}

const imagesOfPaSft = (r: PaSftRecord): string[] => (typeof r.images === 'string' ? [r.images] : r.images);
const imagesOfScGrpo = (r: ScGrpoRecord): string[] => (typeof r.image === 'string' ? [r.image] : r.image);

function byShots<T>(records: T[], images: (r: T) => string[], path: string): Partial<Record<Shots, T[]>> {
  const sets: Partial<Record<Shots, T[]>> = {};
  records.forEach((record, index) => {
    const count = images(record).length;
    if (count !== 1 && count !== 2) throw new DatasetError(path, `record ${index}: ${count} images; a 0-shot record has 1, a 1-shot record 2 (reference, then query)`);
    (sets[(count - 1) as Shots] ??= []).push(record);
  });
  return sets;
}

/** Applies `rebase` to every image path and checks the original files exist, naming the first that does not. */
async function rebaseImages<T>(records: T[], images: (r: T) => string[], setImages: (r: T, paths: string[]) => T, path: string, field: string, rebase: TrainingSetSource['rebase']): Promise<T[]> {
  const out: T[] = [];
  for (const [index, record] of records.entries()) {
    const paths = images(record);
    for (const [i, image] of paths.entries()) {
      if (rebase && !image.startsWith(rebase.from)) throw new DatasetError(path, `record ${index}: field ${field}.${i}: ${image} is not under --rebase ${rebase.from}`);
      const found = await stat(image).then((s) => s.isFile(), () => false);
      if (!found) throw new DatasetError(path, `record ${index}: field ${field}.${i}: image ${image} not found`);
    }
    out.push(rebase ? setImages(record, paths.map((p) => rebase.to + p.slice(rebase.from.length))) : record);
  }
  return out;
}

/**
 * Reads the PA-SFT and SC-GRPO records a recipe trains on, validated with `@iad-r1/cot-schema`
 * (errors name the file, the record and the field), split by shot count, image paths checked and
 * optionally rebased for the training machine.
 *
 * @example
 * const sets = await readTrainingSets({ from: 'out/expert-ad', shots: [0, 1] });
 * sets.scGrpo[1]?.length; // 1-shot SC-GRPO records
 */
export async function readTrainingSets(source: TrainingSetSource): Promise<TrainingSets> {
  const shots = source.shots ?? [0];
  const sets: TrainingSets = { paSft: {}, scGrpo: {}, files: [] };
  if (source.from === undefined && (source.paSft === undefined || source.scGrpo === undefined)) {
    throw new RangeError('give an Expert-AD integration folder (--from DIR), or both --pa-sft FILE and --sc-grpo FILE');
  }
  const paSftFiles: string[] = [];
  const scGrpoFiles: string[] = [];
  if (source.paSft !== undefined) paSftFiles.push(source.paSft);
  if (source.scGrpo !== undefined) scGrpoFiles.push(source.scGrpo);
  if (source.from !== undefined) {
    for (const k of shots) {
      if (source.paSft === undefined) paSftFiles.push(join(source.from, INTEGRATION_FILES.paSft[k]));
      if (source.scGrpo === undefined) scGrpoFiles.push(join(source.from, INTEGRATION_FILES.scGrpo[k]));
    }
  }
  for (const file of paSftFiles) {
    const split = byShots(await readRecords(file, paSftRecordSchema), imagesOfPaSft, file);
    for (const k of shots) {
      if (!split[k]) continue;
      const rebased = await rebaseImages(split[k], imagesOfPaSft, (r, images) => ({ ...r, images }), file, 'images', source.rebase);
      sets.paSft[k] = [...(sets.paSft[k] ?? []), ...rebased];
    }
    sets.files.push(file);
  }
  for (const file of scGrpoFiles) {
    const split = byShots(await readRecords(file, scGrpoRecordSchema), imagesOfScGrpo, file);
    for (const k of shots) {
      if (!split[k]) continue;
      const rebased = await rebaseImages(split[k], imagesOfScGrpo, (r, images) => ({ ...r, image: images.length === 1 ? (images[0] as string) : images }), file, 'image', source.rebase);
      sets.scGrpo[k] = [...(sets.scGrpo[k] ?? []), ...rebased];
    }
    sets.files.push(file);
  }
  for (const k of shots) {
    if (!sets.paSft[k]?.length) throw new DatasetError(paSftFiles.join(', '), `no ${k}-shot PA-SFT records (${k === 1 ? 'two images each' : 'one image each'}) for --shots ${shots.join(',')}`);
    if (!sets.scGrpo[k]?.length) throw new DatasetError(scGrpoFiles.join(', '), `no ${k}-shot SC-GRPO records (${k === 1 ? 'two images each' : 'one image each'}) for --shots ${shots.join(',')}`);
  }
  return sets;
}
