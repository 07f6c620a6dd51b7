/** A synthetic category: an object on a background, or a texture filling the frame. */
export interface SyntheticCategory {
  name: string;
  kind: 'object' | 'texture';
  /** How the CoT names it: "a machined steel plate with four mounting holes". */
  description: string;
  /** Noun for the decision sentence: "the plate". */
  noun: string;
}

export const SYNTHETIC_CATEGORIES: readonly SyntheticCategory[] = [
  { name: 'plate', kind: 'object', description: 'a machined steel plate with four mounting holes', noun: 'plate' },
  { name: 'connector', kind: 'object', description: 'a black connector housing with five gold pins', noun: 'connector' },
  { name: 'capsule', kind: 'object', description: 'a two-coloured capsule', noun: 'capsule' },
  { name: 'gear', kind: 'object', description: 'a steel gear with a centre bore', noun: 'gear' },
  { name: 'washer', kind: 'object', description: 'a brass washer', noun: 'washer' },
  { name: 'screw', kind: 'object', description: 'a steel screw with a threaded shaft', noun: 'screw' },
  { name: 'nut', kind: 'object', description: 'a hexagonal steel nut', noun: 'nut' },
  { name: 'cap', kind: 'object', description: 'a red bottle cap with a ridged rim', noun: 'cap' },
  { name: 'bracket', kind: 'object', description: 'an L-shaped metal bracket with a mounting hole', noun: 'bracket' },
  { name: 'chip', kind: 'object', description: 'an integrated circuit package with eight pins', noun: 'chip' },
  { name: 'woven', kind: 'texture', description: 'a woven fabric surface', noun: 'fabric' },
  { name: 'wood', kind: 'texture', description: 'a wood grain surface', noun: 'wood surface' },
  { name: 'speckle', kind: 'texture', description: 'a speckled stone surface', noun: 'stone surface' },
  { name: 'fiber', kind: 'texture', description: 'a fibrous paper surface', noun: 'paper surface' },
  { name: 'brushed', kind: 'texture', description: 'a brushed metal surface', noun: 'metal surface' },
  { name: 'mesh', kind: 'texture', description: 'a metal wire mesh', noun: 'mesh' },
  { name: 'leather', kind: 'texture', description: 'a grained leather surface', noun: 'leather' },
  { name: 'carpet', kind: 'texture', description: 'a carpet surface', noun: 'carpet' },
  { name: 'tile', kind: 'texture', description: 'a glazed ceramic tile surface', noun: 'tile surface' },
  { name: 'marble', kind: 'texture', description: 'a veined marble surface', noun: 'marble' },
];

/** Categories used for training (PA-SFT and SC-GRPO data). */
export const TRAINING_CATEGORIES = ['plate', 'connector', 'capsule', 'gear', 'woven', 'wood', 'speckle', 'fiber'] as const;

/**
 * Six held-out benchmarks mirroring the paper's split: three object sets (like MVTec-AD, VisA,
 * MPDD) and three texture sets (like DAGM, DTD-Synthetic, KolektorSDD). None of their categories
 * is seen in training, so evaluating on them measures zero-shot transfer.
 */
export const SYNTHETIC_BENCHMARKS: ReadonlyArray<{ name: string; mirrors: string; kind: 'object' | 'texture'; categories: readonly string[] }> = [
  { name: 'syn-mvtec', mirrors: 'MVTec-AD', kind: 'object', categories: ['washer', 'screw'] },
  { name: 'syn-visa', mirrors: 'VisA', kind: 'object', categories: ['nut', 'cap'] },
  { name: 'syn-mpdd', mirrors: 'MPDD', kind: 'object', categories: ['bracket', 'chip'] },
  { name: 'syn-dagm', mirrors: 'DAGM', kind: 'texture', categories: ['brushed', 'mesh'] },
  { name: 'syn-dtd', mirrors: 'DTD-Synthetic', kind: 'texture', categories: ['leather', 'carpet'] },
  { name: 'syn-sdd', mirrors: 'KolektorSDD', kind: 'texture', categories: ['tile', 'marble'] },
];

export function categoryByName(name: string): SyntheticCategory {
  const category = SYNTHETIC_CATEGORIES.find((c) => c.name === name);
  if (!category) throw new RangeError(`unknown synthetic category ${JSON.stringify(name)}`);
  return category;
}
