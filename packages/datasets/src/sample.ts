import type { AnomalyLabel } from '@iad-r1/cot-schema';

/** One image of a dataset, whatever the layout it was read from. */
export interface AnomalySample {
  /** Stable id: the image path relative to the data root, without extension. */
  id: string;
  /** Benchmark name (`mvtec`, `visa`, …; for MMAD manifests the first path segment, e.g. `DS-MVTec`). */
  dataset: string;
  category: string;
  label: AnomalyLabel;
  /** Absolute path of the image. */
  imagePath: string;
  /** Absolute path of the defect mask, when the dataset has one. */
  maskPath?: string;
  /** Defect name as the dataset spells it (folder name, Real-IAD code, …), for anomalous images. */
  defect?: string;
  split: 'train' | 'test';
  /** Per-image reference candidates (MMAD `similar_templates`), absolute; else use the dataset's `normalReferences`. */
  references?: string[];
  /** Camera view (Real-IAD `C1`..`C5`). */
  view?: string;
  /** Physical sample the image belongs to (Real-IAD `S0001`), so pairs can be kept within one object. */
  group?: string;
}

/** An item a reader passed over because `skipInvalid` was set. */
export interface SkippedItem {
  path: string;
  reason: string;
  line?: number;
}

/** What every reader returns. */
export interface AnomalyDataset {
  name: string;
  /** Absolute data root. */
  root: string;
  samples: AnomalySample[];
  /** Normal training images per category (absolute paths), the pool for 1-shot references. */
  normalReferences: Record<string, string[]>;
  /** Items passed over with `skipInvalid`; empty otherwise (an invalid item throws). */
  skipped: SkippedItem[];
}

/** Options every reader accepts. */
export interface ReadOptions {
  /** Report invalid items in `skipped` instead of throwing a `DatasetError`. Default false. */
  skipInvalid?: boolean;
  /** Read only these categories; naming one that does not exist is an error. */
  categories?: readonly string[];
}
