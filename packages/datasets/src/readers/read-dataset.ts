import { readDagm } from './dagm';
import { readKolektorSdd, readKolektorSdd2 } from './kolektor-sdd';
import { readMvtecLayout } from './mvtec-layout';
import { readRealIad } from './real-iad';
import { readVisa } from './visa';
import type { AnomalyDataset, ReadOptions } from '../sample';

/** Benchmark names `readDataset` understands. */
export const DATASET_KINDS = ['mvtec', 'mpdd', 'visa', 'visa-converted', 'dagm', 'dtd', 'sdd', 'sdd2', 'real-iad', 'synthetic'] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

/**
 * Reads a benchmark by name from its root folder, with the reader its layout needs.
 * (MMAD manifests carry their own root: use `readMmadManifest`.)
 *
 * @example
 * const mpdd = await readDataset('mpdd', '/data/MPDD');
 */
export async function readDataset(kind: DatasetKind, root: string, options: ReadOptions = {}): Promise<AnomalyDataset> {
  switch (kind) {
    case 'mvtec':
    case 'mpdd':
    case 'dtd':
    case 'synthetic':
      return readMvtecLayout(root, { ...options, name: kind });
    case 'visa-converted':
      return readMvtecLayout(root, { ...options, name: 'visa' });
    case 'visa':
      return readVisa(root, options);
    case 'dagm':
      return readDagm(root, options);
    case 'sdd':
      return readKolektorSdd(root, options);
    case 'sdd2':
      return readKolektorSdd2(root, options);
    case 'real-iad':
      return readRealIad(root, options);
  }
}
