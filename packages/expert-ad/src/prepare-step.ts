import { assertSameSettings } from '@iad-r1/errors';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toJsonl } from '@iad-r1/cot-schema';
import { type AnomalyDataset, DatasetError, writeFileAtomic } from '@iad-r1/datasets';
import { type PreparePairsOptions, preparePairs } from './prepare-pairs';
import type { PairRecord } from './records';
import { WORKSPACE_FILES, readPairs } from './workspace';

/** Options of {@link prepareStep}. */
export interface PrepareStepOptions extends PreparePairsOptions {
  /** The pipeline's output folder. */
  out: string;
  /** Recorded in `prepare.json` so a later run with other settings is caught: e.g. `{ source: 'mvtec', root: '/data/line-3' }`. */
  provenance?: Record<string, string>;
}

/**
 * Step 1 as a resumable step: runs `preparePairs` and writes `pairs.jsonl` and `prepare.json`
 * (the settings). When the folder already holds pairs prepared with the same settings they are
 * reused; other settings are an error, since later steps' files belong to those pairs.
 *
 * @example
 * const pairs = await prepareStep(await readMvtecLayout('/data/line-3'), { out: 'out/line-3', seed: 0 });
 */
export async function prepareStep(dataset: AnomalyDataset, options: PrepareStepOptions): Promise<{ pairs: PairRecord[]; resumed: boolean }> {
  const settings = {
    ...options.provenance,
    dataset: dataset.name,
    root: dataset.root,
    seed: options.seed ?? 0,
    gridSize: options.gridSize ?? 3,
    perCategory: options.perCategory ?? null,
    typeMap: options.typeMap ?? {},
  };
  const configFile = join(options.out, WORKSPACE_FILES.prepareConfig);
  const previous = await readFile(configFile, 'utf8').then((text) => JSON.parse(text) as Record<string, unknown>, () => undefined);
  if (previous) {
    assertSameSettings(configFile, previous, settings, 'use another output folder');
    return { pairs: await readPairs(options.out), resumed: true };
  }
  const pairs = await preparePairs(dataset, options);
  if (pairs.length === 0) throw new DatasetError(dataset.root, 'no (reference, query) pair could be made (each category needs normal and anomalous images with masks)');
  await writeFileAtomic(join(options.out, WORKSPACE_FILES.pairs), toJsonl(pairs));
  // Written last: its presence means pairs.jsonl is complete.
  await writeFileAtomic(configFile, `${JSON.stringify(settings, null, 2)}\n`);
  return { pairs, resumed: false };
}
