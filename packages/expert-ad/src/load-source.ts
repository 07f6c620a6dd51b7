import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type AnomalyDataset, generateSyntheticSet, readMvtecLayout, readRealIad } from '@iad-r1/datasets';

/** Where the pipeline's images come from. */
export const EXPERT_AD_SOURCES = ['synthetic', 'realiad', 'mvtec'] as const;
export type ExpertAdSource = (typeof EXPERT_AD_SOURCES)[number];

/** Options of {@link loadSource}. */
export interface LoadSourceOptions {
  /** Real-IAD image folder (`realiad_256`, …); default the largest present. */
  imageFolder?: string;
  /** Only these categories. */
  categories?: readonly string[];
  log?: (line: string) => void;
}

/**
 * Reads the images the pipeline pairs: Real-IAD (JSON splits), any MVTec-layout folder, or the
 * embedded synthetic set's training categories (generated into `root` first when it holds none).
 *
 * @example
 * const dataset = await loadSource('mvtec', '/data/my-line');
 */
export async function loadSource(source: ExpertAdSource, root: string, options: LoadSourceOptions = {}): Promise<AnomalyDataset> {
  const read = options.categories ? { categories: options.categories } : {};
  switch (source) {
    case 'realiad':
      return readRealIad(root, { ...read, ...(options.imageFolder ? { imageFolder: options.imageFolder } : {}) });
    case 'mvtec':
      return readMvtecLayout(root, { ...read, name: 'mvtec' });
    case 'synthetic':
      if (!existsSync(join(root, 'synthetic.json'))) {
        options.log?.(`${root} holds no synthetic set: generating the default one there`);
        await generateSyntheticSet({ out: root });
      }
      return readMvtecLayout(join(root, 'train'), { ...read, name: 'synthetic' });
  }
}
