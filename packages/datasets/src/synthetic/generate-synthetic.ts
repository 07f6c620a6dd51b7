import { readFile, rm } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { type ExpertAdRecord, expertAdRecordSchema, toJsonl } from '@iad-r1/cot-schema';
import { maskToCells } from '@iad-r1/grid';
import sharp from 'sharp';
import { z } from 'zod';
import { writeFileAtomic } from '../atomic-file';
import { DatasetError } from '../dataset-error';
import { SYNTHETIC_BENCHMARKS, TRAINING_CATEGORIES, categoryByName } from './catalog';
import { anomalousThink, fineTypeFor, normalThink } from './cot-templates';
import { DEFECT_NAMES, DEFECT_TYPES, type DefectName, paintDefect } from './defects';
import { renderObject } from './parts';
import { createRandom, hashSeed } from './random';
import type { Scene } from './scene';
import { renderTexture } from './textures';

/** Bumped whenever the same seed would write different files (images or records). */
export const SYNTHETIC_GENERATOR_VERSION = 3;

export interface GenerateSyntheticOptions {
  /** Output folder. */
  out: string;
  seed?: number;
  /** Image side in pixels; default 64. */
  size?: number;
  /** Images per category and split part: K train normals, K test normals, K test anomalies. Default 8. */
  perCategory?: number;
  /** The same count for the six held-out benchmarks only; default `perCategory`. Lets a large training set go with quick evaluations. */
  benchmarkPerCategory?: number;
  /** Regenerate over a folder that holds a set with other parameters. */
  force?: boolean;
  /** Called after each image with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** `synthetic.json`: what was generated, written last so its presence means the set is complete. */
export const syntheticManifestSchema = z.object({
  generator: z.literal('iad-r1-synthetic'),
  version: z.number().int(),
  seed: z.number().int(),
  size: z.number().int().positive(),
  perCategory: z.number().int().positive(),
  /** Absent in sets written before it existed: then equal to perCategory. */
  benchmarkPerCategory: z.number().int().positive().optional(),
  training: z.object({ root: z.string(), categories: z.array(z.string()) }),
  benchmarks: z.array(z.object({ name: z.string(), mirrors: z.string(), kind: z.enum(['object', 'texture']), root: z.string(), categories: z.array(z.string()) })),
  expertAd: z.string(),
  counts: z.object({
    images: z.number().int(),
    masks: z.number().int(),
    expertAdRecords: z.number().int(),
    defects: z.record(z.string(), z.number().int()),
  }),
});
export type SyntheticManifest = z.infer<typeof syntheticManifestSchema>;

async function writePng(path: string, data: Uint8Array, size: number, channels: 1 | 3): Promise<void> {
  const png = await sharp(Buffer.from(data.buffer, data.byteOffset, data.length), { raw: { width: size, height: size, channels } })
    .png({ compressionLevel: 9, adaptiveFiltering: false })
    .toBuffer();
  await writeFileAtomic(path, png);
}

function render(category: string, size: number, seed: number, ...key: Array<string | number>): Scene {
  const rng = createRandom(hashSeed(seed, category, ...key));
  return categoryByName(category).kind === 'object' ? renderObject(category, size, rng) : renderTexture(category, size, rng);
}

const pad = (i: number): string => String(i).padStart(3, '0');

/**
 * Generates the embedded synthetic dataset (docs/DATA.md): textured surfaces and simple objects with
 * the eight defect types drawn on them, pixel masks, MVTec layout, deterministic from the seed.
 * Training categories go to `train/`, the six held-out benchmarks to `benchmarks/<name>/`, and
 * template Expert-AD records (three-layer CoT, location from the mask) for the training
 * categories to `expert-ad.jsonl`. Same seed and options → byte-identical files.
 *
 * @example
 * const manifest = await generateSyntheticSet({ out: 'data/synthetic', seed: 0 });
 * manifest.counts.images; // 480 with the defaults
 */
export async function generateSyntheticSet(options: GenerateSyntheticOptions): Promise<SyntheticManifest> {
  const out = resolve(options.out);
  const seed = options.seed ?? 0;
  const size = options.size ?? 64;
  const perCategory = options.perCategory ?? 8;
  const benchmarkPerCategory = options.benchmarkPerCategory ?? perCategory;
  if (!Number.isInteger(size) || size < 32) throw new RangeError(`size must be a whole number ≥ 32, got ${size}`);
  if (!Number.isInteger(perCategory) || perCategory < 1) throw new RangeError(`perCategory must be a whole number ≥ 1, got ${perCategory}`);
  if (!Number.isInteger(benchmarkPerCategory) || benchmarkPerCategory < 1) throw new RangeError(`benchmarkPerCategory must be a whole number ≥ 1, got ${benchmarkPerCategory}`);

  const manifestPath = join(out, 'synthetic.json');
  const existing = await readFile(manifestPath, 'utf8').then((t) => syntheticManifestSchema.safeParse(JSON.parse(t)), () => undefined);
  if (existing?.success) {
    const m = existing.data;
    const same =
      m.seed === seed && m.size === size && m.perCategory === perCategory && (m.benchmarkPerCategory ?? m.perCategory) === benchmarkPerCategory && m.version === SYNTHETIC_GENERATOR_VERSION;
    if (same && !options.force) return m;
    if (!same && !options.force) {
      throw new DatasetError(out, `holds a synthetic set with other parameters (seed ${m.seed}, size ${m.size}, perCategory ${m.perCategory}, benchmarkPerCategory ${m.benchmarkPerCategory ?? m.perCategory}, generator version ${m.version}; this is version ${SYNTHETIC_GENERATOR_VERSION}); pass force or choose another folder`);
    }
  }
  await rm(manifestPath, { force: true });
  await rm(join(out, 'train'), { recursive: true, force: true });
  await rm(join(out, 'benchmarks'), { recursive: true, force: true });

  const groups = [
    { root: 'train', categories: [...TRAINING_CATEGORIES] as string[], count: perCategory },
    ...SYNTHETIC_BENCHMARKS.map((b) => ({ root: `benchmarks/${b.name}`, categories: [...b.categories], count: benchmarkPerCategory })),
  ];
  const total = groups.reduce((n, g) => n + g.categories.length * g.count * 3, 0);
  let done = 0;
  const tick = (): void => options.onProgress?.(++done, total);
  const defectCounts: Record<string, number> = Object.fromEntries(DEFECT_NAMES.map((d) => [d, 0]));
  const records: ExpertAdRecord[] = [];
  let masks = 0;
  const rel = (path: string): string => relative(out, path).split(sep).join('/');

  for (const group of groups) {
    const isTraining = group.root === 'train';
    for (const name of group.categories) {
      const category = categoryByName(name);
      const base = join(out, group.root, name);
      const trainGood: string[] = [];
      for (let i = 0; i < group.count; i++) {
        const path = join(base, 'train', 'good', `${pad(i)}.png`);
        await writePng(path, render(name, size, seed, 'train', i).raster.toBytes(), size, 3);
        trainGood.push(path);
        tick();
      }
      for (let i = 0; i < group.count; i++) {
        const path = join(base, 'test', 'good', `${pad(i)}.png`);
        await writePng(path, render(name, size, seed, 'test-good', i).raster.toBytes(), size, 3);
        tick();
        if (isTraining) {
          const rng = createRandom(hashSeed(seed, name, 'cot-normal', i));
          records.push(
            expertAdRecordSchema.parse({
              id: rel(path).replace(/\.png$/, ''),
              queryImage: rel(path),
              referenceImage: rel(trainGood[i % trainGood.length] as string),
              label: 'normal',
              think: normalThink(category, rng),
              source: { dataset: 'synthetic', category: name },
              review: { status: 'accepted', note: 'template-generated' },
            }),
          );
        }
      }
      // Anomalies: defect types round-robin from a category-specific offset, so small sets still
      // spread over all eight types across categories.
      const offset = hashSeed(seed, name, 'defect-offset') % DEFECT_NAMES.length;
      const perDefect: Record<string, number> = {};
      for (let i = 0; i < group.count; i++) {
        const defect = DEFECT_NAMES[(offset + i) % DEFECT_NAMES.length] as DefectName;
        const index = (perDefect[defect] = (perDefect[defect] ?? -1) + 1);
        const scene = render(name, size, seed, 'test-defect', i);
        const rng = createRandom(hashSeed(seed, name, 'paint', i));
        const mask = paintDefect(scene, defect, rng);
        const imagePath = join(base, 'test', defect, `${pad(index)}.png`);
        const maskPath = join(base, 'ground_truth', defect, `${pad(index)}_mask.png`);
        await writePng(imagePath, scene.raster.toBytes(), size, 3);
        await writePng(maskPath, mask, size, 1);
        masks++;
        defectCounts[defect] = (defectCounts[defect] ?? 0) + 1;
        tick();
        if (isTraining) {
          const placement = maskToCells({ width: size, height: size, data: mask });
          const type = DEFECT_TYPES[defect] as (typeof DEFECT_TYPES)[string];
          const cotRng = createRandom(hashSeed(seed, name, 'cot-defect', i));
          const fineType = fineTypeFor(type, cotRng);
          const location = placement.text as string;
          records.push(
            expertAdRecordSchema.parse({
              id: rel(imagePath).replace(/\.png$/, ''),
              queryImage: rel(imagePath),
              referenceImage: rel(trainGood[i % trainGood.length] as string),
              label: 'anomalous',
              location: { text: location, cells: placement.cells, gridSize: 3 },
              coarseType: type,
              fineType,
              think: anomalousThink(category, type, fineType, location, cotRng),
              source: { dataset: 'synthetic', category: name, defectCode: defect },
              review: { status: 'accepted', note: 'template-generated' },
            }),
          );
        }
      }
    }
  }

  await writeFileAtomic(join(out, 'expert-ad.jsonl'), toJsonl(records));
  const manifest: SyntheticManifest = {
    generator: 'iad-r1-synthetic',
    version: SYNTHETIC_GENERATOR_VERSION,
    seed,
    size,
    perCategory,
    ...(benchmarkPerCategory !== perCategory ? { benchmarkPerCategory } : {}),
    training: { root: 'train', categories: [...TRAINING_CATEGORIES] },
    benchmarks: SYNTHETIC_BENCHMARKS.map((b) => ({ name: b.name, mirrors: b.mirrors, kind: b.kind, root: `benchmarks/${b.name}`, categories: [...b.categories] })),
    expertAd: 'expert-ad.jsonl',
    counts: { images: total, masks, expertAdRecords: records.length, defects: defectCounts },
  };
  await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
