import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MAX_MAX_PIXELS, MAX_MIN_PIXELS, boundedInt, imageSide } from '../config-bounds';
import type { ImageInput } from '../../../chat';
import { decodeRgb } from '../../image-loader';
import { pilBicubicResize } from '../../pil-bicubic-resize';
import { parseConfigFields } from '../config-field-error';
import { readJsonFile } from '../hf-folder';

/**
 * Python's `round` on a float: to the nearest integer, halves to the even neighbour (2.5 → 2,
 * 3.5 → 4). `Math.round` sends halves up, which gives another grid for some image sizes.
 */
export function roundHalfToEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The Qwen2-VL processor's `smart_resize`: height and width rounded to multiples of `factor`
 * (patch × merge = 28), then scaled down or up, keeping the aspect ratio as well as it can, so the
 * pixel count lies within [minPixels, maxPixels].
 *
 * @example
 * smartResize(480, 640, { factor: 28, minPixels: 3136, maxPixels: 12845056 }); // { height: 476, width: 644 }
 */
export function smartResize(height: number, width: number, options: { factor: number; minPixels: number; maxPixels: number }): { height: number; width: number } {
  const { factor, minPixels, maxPixels } = options;
  if (Math.max(height, width) / Math.min(height, width) > 200) throw new RangeError(`an image of ${width} × ${height} has an aspect ratio over 200`);
  let h = roundHalfToEven(height / factor) * factor;
  let w = roundHalfToEven(width / factor) * factor;
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.max(factor, Math.floor(height / beta / factor) * factor);
    w = Math.max(factor, Math.floor(width / beta / factor) * factor);
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return { height: h, width: w };
}

const minPixels = () => boundedInt(MAX_MIN_PIXELS, 'a lower pixel bound (every image is enlarged to it)');
const maxPixels = () => boundedInt(MAX_MAX_PIXELS, 'an upper pixel bound');

/** What the processor reads from `preprocessor_config.json`, with the Qwen2-VL processor's defaults. */
export const qwen2VlProcessorSchema = z
  .object({
    min_pixels: minPixels().optional(),
    max_pixels: maxPixels().optional(),
    // Newer processors keep the pixel bounds here: shortest_edge is min_pixels, longest_edge max_pixels.
    size: z.object({ shortest_edge: minPixels().optional(), longest_edge: maxPixels().optional(), min_pixels: minPixels().optional(), max_pixels: maxPixels().optional() }).passthrough().optional(),
    patch_size: imageSide().default(14),
    temporal_patch_size: imageSide().default(2),
    merge_size: imageSide().default(2),
    image_mean: z.array(z.number()).length(3).default([0.48145466, 0.4578275, 0.40821073]),
    image_std: z.array(z.number()).length(3).default([0.26862954, 0.26130258, 0.27577711]),
    do_resize: z.boolean().default(true),
    do_rescale: z.boolean().default(true),
    rescale_factor: z.number().positive().default(1 / 255),
    do_normalize: z.boolean().default(true),
    do_convert_rgb: z.boolean().default(true),
  })
  .passthrough();

/** The processor's settings, resolved. */
export interface Qwen2VlProcessorConfig {
  minPixels: number;
  maxPixels: number;
  patchSize: number;
  temporalPatchSize: number;
  mergeSize: number;
  mean: [number, number, number];
  std: [number, number, number];
  resize: boolean;
  rescale: number | undefined;
  normalize: boolean;
}

/** Reads a checkpoint's `preprocessor_config.json` (the processor's defaults when there is none); `override` sets the pixel bounds. */
export async function readQwen2VlProcessorConfig(dir: string, override: { minPixels?: number; maxPixels?: number } = {}): Promise<Qwen2VlProcessorConfig> {
  const file = join(dir, 'preprocessor_config.json');
  const raw = existsSync(file) ? await readJsonFile(dir, 'preprocessor_config.json') : {};
  return processorConfigOf(parseConfigFields(qwen2VlProcessorSchema, raw, file), override);
}

/** Resolves parsed `preprocessor_config.json` fields (newer files keep the bounds in `size`). */
export function processorConfigOf(c: z.output<typeof qwen2VlProcessorSchema>, override: { minPixels?: number; maxPixels?: number } = {}): Qwen2VlProcessorConfig {
  for (const [name, value, max] of [['minPixels', override.minPixels, MAX_MIN_PIXELS], ['maxPixels', override.maxPixels, MAX_MAX_PIXELS]] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > max)) throw new RangeError(`${name} must be a whole number from 1 to ${max.toLocaleString('en-US')}, got ${value}`);
  }
  return {
    minPixels: override.minPixels ?? c.min_pixels ?? c.size?.shortest_edge ?? c.size?.min_pixels ?? 56 * 56,
    maxPixels: override.maxPixels ?? c.max_pixels ?? c.size?.longest_edge ?? c.size?.max_pixels ?? 28 * 28 * 1280,
    patchSize: c.patch_size,
    temporalPatchSize: c.temporal_patch_size,
    mergeSize: c.merge_size,
    mean: c.image_mean as [number, number, number],
    std: c.image_std as [number, number, number],
    resize: c.do_resize,
    rescale: c.do_rescale ? c.rescale_factor : undefined,
    normalize: c.do_normalize,
  };
}

/** One image as the vision tower reads it: patch rows and the (t, h, w) patch grid. */
export interface VisionPatches {
  /** [gridT · gridH · gridW] rows of C · T · P · P values. */
  patches: Float32Array;
  gridT: number;
  gridH: number;
  gridW: number;
}

/**
 * Pixels (row-major HWC, 0–255, already at a size that is a multiple of patch × merge) → the
 * vision tower's patch rows, in the reference processor's order: rows by (t, block row, block
 * column, row within the 2 × 2 block, column within it), each row (channel, frame, y, x); the one
 * image repeated over `temporalPatchSize` frames; values rescaled and normalised.
 */
export function patchesFromPixels(pixels: ArrayLike<number>, height: number, width: number, c: Qwen2VlProcessorConfig): VisionPatches {
  const p = c.patchSize;
  const m = c.mergeSize;
  const frames = c.temporalPatchSize;
  if (height % (p * m) !== 0 || width % (p * m) !== 0) throw new RangeError(`an image of ${width} × ${height} does not split into ${p * m}-pixel blocks`);
  const gridH = height / p;
  const gridW = width / p;
  const rowLength = 3 * frames * p * p;
  const patches = new Float32Array(gridH * gridW * rowLength);
  const value = (y: number, x: number, channel: number): number => {
    let v = pixels[(y * width + x) * 3 + channel] as number;
    if (c.rescale !== undefined) v *= c.rescale;
    if (c.normalize) v = (v - (c.mean[channel] as number)) / (c.std[channel] as number);
    return v;
  };
  let row = 0;
  for (let bh = 0; bh < gridH / m; bh++) {
    for (let bw = 0; bw < gridW / m; bw++) {
      for (let mh = 0; mh < m; mh++) {
        for (let mw = 0; mw < m; mw++) {
          const y0 = (bh * m + mh) * p;
          const x0 = (bw * m + mw) * p;
          let k = row * rowLength;
          for (let channel = 0; channel < 3; channel++) {
            for (let frame = 0; frame < frames; frame++) {
              for (let y = 0; y < p; y++) for (let x = 0; x < p; x++) patches[k++] = value(y0 + y, x0 + x, channel);
            }
          }
          row++;
        }
      }
    }
  }
  return { patches, gridT: 1, gridH, gridW };
}

/**
 * The Qwen2-VL / Qwen2.5-VL image processor for one image: `smart_resize`, PIL's bicubic resize
 * reproduced to the bit ({@link pilBicubicResize}; the image is decoded with sharp), rescale and
 * normalise with the checkpoint's mean and std, and the patch order of {@link patchesFromPixels}.
 */
export async function processQwen2VlImage(image: ImageInput, c: Qwen2VlProcessorConfig): Promise<VisionPatches> {
  const original = await decodeRgb(image);
  const target = c.resize ? smartResize(original.height, original.width, { factor: c.patchSize * c.mergeSize, minPixels: c.minPixels, maxPixels: c.maxPixels }) : original;
  const rgb = pilBicubicResize(original, target);
  return patchesFromPixels(rgb.data, rgb.height, rgb.width, c);
}
