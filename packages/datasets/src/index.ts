export { DatasetError } from './dataset-error';
export { JsonlAppender, JsonlFileError, readJsonlFile } from './jsonl-file';
export { writeFileAtomic } from './atomic-file';
export { coarseTypeOfDefect } from './defect-type';
export { readSettingsFile, readTextFile } from './text-file';
export { assertRealPathInside } from './paths';
export type { AnomalyDataset, AnomalySample, ReadOptions, SkippedItem } from './sample';
export { type MvtecLayoutOptions, readMvtecLayout } from './readers/mvtec-layout';
export { type VisaOptions, readVisa } from './readers/visa';
export { readDagm } from './readers/dagm';
export { readKolektorSdd, readKolektorSdd2 } from './readers/kolektor-sdd';
export { type RealIadOptions, readRealIad, realIadSplitFileSchema } from './readers/real-iad';
export { type MmadManifestOptions, readMmadManifest } from './readers/mmad-manifest';
export { DATASET_KINDS, type DatasetKind, readDataset } from './readers/read-dataset';
export {
  type BinaryMask,
  type FitMode,
  type LoadImageOptions,
  type RawImage,
  checkImageFile,
  isEmptyMask,
  loadImage,
  loadImageFloat,
  loadMask,
  thumbnailDataUrl,
} from './images/load-image';
export {
  type GenerateSyntheticOptions,
  SYNTHETIC_GENERATOR_VERSION,
  type SyntheticManifest,
  generateSyntheticSet,
  syntheticManifestSchema,
} from './synthetic/generate-synthetic';
export { type SyntheticSet, readSyntheticSet } from './synthetic/read-synthetic-set';
export {
  INSTRUCTION_TEMPLATES,
  type InstructionExample,
  type InstructionTask,
  syntheticInstructionExamples,
} from './synthetic/instruction-examples';
export { SYNTHETIC_BENCHMARKS, SYNTHETIC_CATEGORIES, TRAINING_CATEGORIES, type SyntheticCategory } from './synthetic/catalog';
export { DEFECT_NAMES, DEFECT_TYPES, type DefectName } from './synthetic/defects';
export { type ContactSheetOptions, contactSheet } from './synthetic/contact-sheet';
export { type Random, createRandom, hashSeed } from './synthetic/random';
