/** The two groups of the paper's defect taxonomy. */
export const ANOMALY_GROUPS = ['Surface anomalies', 'Structural anomalies'] as const;
/** One of the two anomaly groups. */
export type AnomalyGroup = (typeof ANOMALY_GROUPS)[number];

/** The eight coarse defect types of Expert-AD (docs/METHOD.md §3), in the paper's order. */
export const COARSE_TYPES = [
  'Contamination',
  'Presence of foreign objects',
  'Scratch',
  'Missing parts',
  'Deformation',
  'Hole',
  'Damage',
  'Abrasion',
] as const;
/** One of the eight coarse defect types. */
export type CoarseType = (typeof COARSE_TYPES)[number];

/** One coarse type with its group and synonyms, in the order the type reward scans them. */
export interface AnomalyCategory {
  name: CoarseType;
  group: AnomalyGroup;
  synonyms: readonly string[];
}

/**
 * The type vocabulary of docs/METHOD.md §3. Order matters: the type reward scans category names and
 * synonyms in exactly this order and keeps the first strictly best match.
 */
export const ANOMALY_TAXONOMY: readonly AnomalyCategory[] = [
  {
    name: 'Contamination',
    group: 'Surface anomalies',
    synonyms: ['surface contamination', 'stain', 'dirt', 'impurity', 'color anomaly'],
  },
  {
    name: 'Presence of foreign objects',
    group: 'Surface anomalies',
    synonyms: [
      'foreign object',
      'foreign body',
      'debris',
      'contaminant object',
      'extraneous material',
      'foreign element',
      'foreign matter',
      'unwanted object',
    ],
  },
  {
    name: 'Scratch',
    group: 'Surface anomalies',
    synonyms: ['surface scratch', 'scratch mark', 'linear scratch', 'score mark', 'linear anomaly'],
  },
  {
    name: 'Missing parts',
    group: 'Surface anomalies',
    synonyms: ['missing part', 'surface notch', 'notch', 'gap', 'chip', 'surface discontinuity'],
  },
  {
    name: 'Deformation',
    group: 'Structural anomalies',
    synonyms: [
      'shape distortion',
      'warping',
      'bending',
      'twisting',
      'shape deviation',
      'geometric distortion',
      'irregularity',
      'bent component',
    ],
  },
  {
    name: 'Hole',
    group: 'Structural anomalies',
    synonyms: ['opening', 'perforation', 'puncture', 'cavity', 'void', 'aperture', 'penetration defect', 'through-hole'],
  },
  {
    name: 'Damage',
    group: 'Structural anomalies',
    synonyms: [
      'structural damage',
      'breakage',
      'fracture',
      'rupture',
      'deterioration',
      'material damage',
      'surface damage',
    ],
  },
  {
    name: 'Abrasion',
    group: 'Structural anomalies',
    synonyms: ['wear', 'grinding damage', 'surface erosion', 'wear mark', 'surface wear'],
  },
];

/** Phrases that name a whole group rather than a type (docs/METHOD.md §3, type reward step 3). */
export const GROUP_PHRASES: Readonly<Record<string, AnomalyGroup>> = {
  'surface anomaly': 'Surface anomalies',
  'surface anomalies': 'Surface anomalies',
  'structural anomaly': 'Structural anomalies',
  'structural anomalies': 'Structural anomalies',
};

/** The group a coarse type belongs to. */
export function groupOfType(type: CoarseType): AnomalyGroup {
  const category = ANOMALY_TAXONOMY.find((c) => c.name === type);
  if (!category) throw new RangeError(`unknown coarse type ${JSON.stringify(type)}`);
  return category.group;
}

/**
 * Real-IAD defect codes → the paper's coarse types (docs/DATA.md). "pit" (AK) maps to Hole.
 *
 * @example
 * REAL_IAD_DEFECT_CODES.HS; // 'Scratch'
 */
export const REAL_IAD_DEFECT_CODES: Readonly<Record<string, CoarseType>> = {
  AK: 'Hole',
  BX: 'Deformation',
  CH: 'Abrasion',
  HS: 'Scratch',
  PS: 'Damage',
  QS: 'Missing parts',
  YW: 'Presence of foreign objects',
  ZW: 'Contamination',
};

/**
 * The coarse type of a Real-IAD defect code, or undefined for an unknown code.
 *
 * @example
 * coarseTypeOfRealIadCode('ak'); // 'Hole'
 */
export function coarseTypeOfRealIadCode(code: string): CoarseType | undefined {
  return REAL_IAD_DEFECT_CODES[code.trim().toUpperCase()];
}
