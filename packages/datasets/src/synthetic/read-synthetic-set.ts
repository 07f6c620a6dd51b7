import { join, resolve } from 'node:path';
import { type ExpertAdRecord, expertAdRecordSchema, parseRecords, TextEncodingError } from '@iad-r1/cot-schema';
import { DatasetError } from '../dataset-error';
import { readMvtecLayout } from '../readers/mvtec-layout';
import type { AnomalyDataset } from '../sample';
import { type SyntheticManifest, syntheticManifestSchema } from './generate-synthetic';
import { readTextFile } from '../text-file';

/** A generated synthetic set, read back: its manifest, training split, benchmarks and records. */
export interface SyntheticSet {
  root: string;
  manifest: SyntheticManifest;
  training: AnomalyDataset;
  /** The six held-out benchmarks by name (`syn-mvtec`, …), in manifest order. */
  benchmarks: Record<string, AnomalyDataset>;
  /** Template Expert-AD records; image paths are relative to `root`. */
  expertAd: ExpertAdRecord[];
}

/**
 * Reads a set written by `generateSyntheticSet` through the ordinary MVTec-layout reader.
 *
 * @example
 * const set = await readSyntheticSet('data/synthetic');
 * Object.keys(set.benchmarks); // ['syn-mvtec', 'syn-visa', 'syn-mpdd', 'syn-dagm', 'syn-dtd', 'syn-sdd']
 */
export async function readSyntheticSet(root: string): Promise<SyntheticSet> {
  const dataRoot = resolve(root);
  const manifestPath = join(dataRoot, 'synthetic.json');
  let text: string;
  try {
    text = await readTextFile(manifestPath);
  } catch (error) {
    if (TextEncodingError.isInstance(error)) throw error;
    throw new DatasetError(manifestPath, 'no synthetic.json: generate the set first (iad-r1-datasets synth --out DIR)');
  }
  const parsed = syntheticManifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new DatasetError(manifestPath, `invalid manifest: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  const manifest = parsed.data;
  const training = await readMvtecLayout(join(dataRoot, manifest.training.root), { name: 'synthetic-train' });
  const benchmarks: Record<string, AnomalyDataset> = {};
  for (const benchmark of manifest.benchmarks) {
    benchmarks[benchmark.name] = await readMvtecLayout(join(dataRoot, benchmark.root), { name: benchmark.name });
  }
  const expertAdFile = join(dataRoot, manifest.expertAd);
  const expertAd = parseRecords(await readTextFile(expertAdFile), expertAdRecordSchema, { file: expertAdFile, format: 'jsonl' });
  return { root: dataRoot, manifest, training, benchmarks, expertAd };
}
