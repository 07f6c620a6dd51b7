// The LLaVA-OneVision image processor (transformers' `LlavaOnevisionImageProcessor`), and the count
// of `<image>` tokens each image expands to, computed as its processor does. One image in a
// conversation is tiled ("anyres"): resized into the best grid resolution and padded, cut into
// tiles of the tower's size, with the whole image resized beside them. With several images in a
// conversation each is padded to a square with the mean colour and read whole, no tiles.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { imageSide } from '../config-bounds';
import type { ImageInput } from '../../../chat';
import { type RgbImage, decodeRgb } from '../../image-loader';
import { pilBicubicResize } from '../../pil-bicubic-resize';
import { ConfigFieldError, parseConfigFields } from '../config-field-error';
import { readJsonFile } from '../hf-folder';
import type { LlavaOnevisionConfig } from './llava-onevision-config';

/**
 * The grid resolution (height, width) an image of `height` × `width` is resized into: the one
 * that keeps the most of its pixels after an aspect-preserving downscale, then wastes the least.
 *
 * @example
 * selectBestResolution(480, 640, [[384, 384], [384, 768], [768, 768]]); // [768, 768]
 */
export function selectBestResolution(height: number, width: number, pinpoints: ReadonlyArray<readonly [number, number]>): [number, number] {
  let best: [number, number] | undefined;
  let bestEffective = 0;
  let bestWasted = Number.POSITIVE_INFINITY;
  for (const [h, w] of pinpoints) {
    const scale = Math.min(w / width, h / height);
    const effective = Math.min(Math.trunc(width * scale) * Math.trunc(height * scale), width * height);
    const wasted = w * h - effective;
    if (effective > bestEffective || (effective === bestEffective && wasted < bestWasted)) {
      bestEffective = effective;
      bestWasted = wasted;
      best = [h, w];
    }
  }
  if (!best) throw new RangeError('no grid resolution fits');
  return best;
}

/** The size an image is resized to inside a target resolution: the limiting side fills it, the other keeps the aspect ratio (rounded up). */
export function patchOutputSize(height: number, width: number, target: readonly [number, number]): { height: number; width: number } {
  const [targetHeight, targetWidth] = target;
  const scaleW = targetWidth / width;
  const scaleH = targetHeight / height;
  return scaleW < scaleH ? { width: targetWidth, height: Math.min(Math.ceil(height * scaleW), targetHeight) } : { height: targetHeight, width: Math.min(Math.ceil(width * scaleH), targetWidth) };
}

/** Python's `int(round(x, 7))` for x ≥ 0: guards the unpadding arithmetic against 26.9999999… */
function roundedDown(x: number): number {
  return Math.trunc(Math.round(x * 1e7) / 1e7);
}

/**
 * The rows and columns of tile features kept after unpadding: a grid of `gridHeight` × `gridWidth`
 * features that holds an image of `height` × `width` letterboxed, less the padding, as transformers'
 * `unpad_image` cuts it (equal margins, integer arithmetic).
 */
export function unpaddedSize(height: number, width: number, gridHeight: number, gridWidth: number): { rows: number; columns: number; top: number; left: number } {
  if (width / height > gridWidth / gridHeight) {
    const kept = roundedDown(height * (gridWidth / width));
    const padding = Math.floor((gridHeight - kept) / 2);
    return { rows: gridHeight - 2 * padding, columns: gridWidth, top: padding, left: 0 };
  }
  const kept = roundedDown(width * (gridHeight / height));
  const padding = Math.floor((gridWidth - kept) / 2);
  return { rows: gridHeight, columns: gridWidth - 2 * padding, top: 0, left: padding };
}

/** The size unpadded tile features are downsized to (bilinear) when they exceed `maxTiles` tiles' worth, else unchanged. */
export function anyresMaxSize(rows: number, columns: number, patchesPerSide: number, maxTiles: number): { rows: number; columns: number } {
  const ratio = Math.sqrt((rows * columns) / (maxTiles * patchesPerSide ** 2));
  return ratio > 1.1 ? { rows: Math.floor(rows / ratio), columns: Math.floor(columns / ratio) } : { rows, columns };
}

/** What the processor reads from `preprocessor_config.json`, with `LlavaOnevisionImageProcessor`'s defaults. */
export const llavaOnevisionProcessorSchema = z
  .object({
    size: z.object({ height: imageSide().optional(), width: imageSide().optional(), shortest_edge: imageSide().optional() }).passthrough().default({ height: 384, width: 384 }),
    image_grid_pinpoints: z.array(z.tuple([imageSide(), imageSide()])).max(1024).optional(),
    image_mean: z.array(z.number()).length(3).default([0.48145466, 0.4578275, 0.40821073]),
    image_std: z.array(z.number()).length(3).default([0.26862954, 0.26130258, 0.27577711]),
    resample: z.number().int().default(3),
    do_resize: z.boolean().default(true),
    do_rescale: z.boolean().default(true),
    rescale_factor: z.number().positive().default(1 / 255),
    do_normalize: z.boolean().default(true),
    do_convert_rgb: z.boolean().default(true),
  })
  .passthrough();

/** How conversations with several images are read: `square` as current transformers does (each image whole, padded to a square, no tiles), `anyres` as older releases and flat image lists did (each image tiled). */
export type MultiImageMode = 'square' | 'anyres';

/** The processor's settings, resolved. */
export interface LlavaOnevisionProcessorConfig {
  /** Side of the tiles and of the resized whole image (the tower's `image_size`). */
  size: number;
  pinpoints: Array<[number, number]>;
  mean: [number, number, number];
  std: [number, number, number];
  rescale: number | undefined;
  normalize: boolean;
  multiImage: MultiImageMode;
}

/** Resolves parsed `preprocessor_config.json` fields against the model's config; `file` names it in errors. */
export function llavaOnevisionProcessorConfigOf(c: z.output<typeof llavaOnevisionProcessorSchema>, model: LlavaOnevisionConfig, file: string, multiImage: MultiImageMode = 'square'): LlavaOnevisionProcessorConfig {
  const height = c.size.height ?? c.size.shortest_edge;
  const width = c.size.width ?? c.size.shortest_edge;
  if (height !== width || height === undefined) throw new ConfigFieldError(file, 'size', `tiles of ${width} × ${height} are not supported (square tiles only)`);
  if (height !== model.vision.imageSize) throw new ConfigFieldError(file, 'size', `${height} pixels, but the vision tower reads ${model.vision.imageSize} (config.json vision_config.image_size)`);
  if (!c.do_resize) throw new ConfigFieldError(file, 'do_resize', 'false is not supported: the tower reads tiles of its own size');
  if (c.resample !== 3) throw new ConfigFieldError(file, 'resample', `${c.resample} is not supported (only 3, bicubic)`);
  const pinpoints = (c.image_grid_pinpoints ?? model.gridPinpoints) as Array<[number, number]>;
  if (JSON.stringify(pinpoints) !== JSON.stringify(model.gridPinpoints)) throw new ConfigFieldError(file, 'image_grid_pinpoints', 'differ from config.json image_grid_pinpoints; the image tokens would not match the features');
  for (const [h, w] of pinpoints) if (h % height !== 0 || w % height !== 0) throw new ConfigFieldError(file, 'image_grid_pinpoints', `[${h}, ${w}] is not a whole number of ${height}-pixel tiles`);
  return { size: height, pinpoints, mean: c.image_mean as [number, number, number], std: c.image_std as [number, number, number], rescale: c.do_rescale ? c.rescale_factor : undefined, normalize: c.do_normalize, multiImage };
}

/** Reads a checkpoint's `preprocessor_config.json` (the processor's defaults when there is none). */
export async function readLlavaOnevisionProcessorConfig(dir: string, model: LlavaOnevisionConfig, multiImage?: MultiImageMode): Promise<LlavaOnevisionProcessorConfig> {
  const file = join(dir, 'preprocessor_config.json');
  const raw = existsSync(file) ? await readJsonFile(dir, 'preprocessor_config.json') : {};
  return llavaOnevisionProcessorConfigOf(parseConfigFields(llavaOnevisionProcessorSchema, raw, file), model, file, multiImage);
}

/**
 * The `<image>` tokens one image expands to, as `LlavaOnevisionProcessor` counts them: tiled, the
 * whole image's P² patches, plus the unpadded (and, past `anyres_max_N`, downsized) tile features
 * with one newline per row; read whole (several images in a conversation), P² + 1.
 *
 * @example
 * imageTokenCount({ height: 480, width: 640 }, true, { patchesPerSide: 27, size: 384, pinpoints: ONEVISION_GRID_PINPOINTS, maxTiles: 9 }); // 729 + 40 · 54 + 40 = 2929
 */
export function imageTokenCount(original: { height: number; width: number }, tiled: boolean, c: { patchesPerSide: number; size: number; pinpoints: ReadonlyArray<readonly [number, number]>; maxTiles: number }): number {
  const base = c.patchesPerSide ** 2;
  if (!tiled) return base + 1;
  const [bestHeight, bestWidth] = selectBestResolution(original.height, original.width, c.pinpoints);
  const grid = { rows: c.patchesPerSide * Math.floor(bestHeight / c.size), columns: c.patchesPerSide * Math.floor(bestWidth / c.size) };
  const unpadded = unpaddedSize(original.height, original.width, grid.rows, grid.columns);
  const kept = anyresMaxSize(unpadded.rows, unpadded.columns, c.patchesPerSide, c.maxTiles);
  return base + kept.rows * kept.columns + kept.rows;
}

/** One image as the tower reads it: tiles channel-first, as transformers' `pixel_values` of that image. */
export interface LlavaOnevisionPixels {
  /** [tiles, 3, size, size], rescaled and normalised: the whole image first, then the grid row by row. */
  pixels: Float32Array;
  tiles: number;
  size: number;
  original: { height: number; width: number };
  /** Tiles down and across (absent when the image is read whole). */
  grid: { rows: number; columns: number } | undefined;
}

/** Pads pixels (HWC, 0–255) to height × width with `fill`, the image at (top, left). */
function padded(rgb: RgbImage, height: number, width: number, top: number, left: number, fill: readonly number[]): RgbImage {
  const data = new Uint8Array(height * width * 3);
  for (let i = 0; i < height * width; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = fill[c] as number;
  for (let y = 0; y < rgb.height; y++) data.set(rgb.data.subarray(y * rgb.width * 3, (y + 1) * rgb.width * 3), ((top + y) * width + left) * 3);
  return { data, width, height };
}

/** Writes the size × size window at (top, left) of an image, rescaled and normalised, channel-first into `out` at `offset`. */
function writeTile(rgb: RgbImage, top: number, left: number, size: number, c: LlavaOnevisionProcessorConfig, out: Float32Array, offset: number): void {
  for (let channel = 0; channel < 3; channel++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let v = rgb.data[((top + y) * rgb.width + left + x) * 3 + channel] as number;
        if (c.rescale !== undefined) v *= c.rescale;
        if (c.normalize) v = (v - (c.mean[channel] as number)) / (c.std[channel] as number);
        out[offset + (channel * size + y) * size + x] = v;
      }
    }
  }
}

/**
 * The processor for one image (decoded with sharp, resized with PIL's bicubic to the bit). Tiled:
 * the best grid resolution, an aspect-preserving resize into it,
 * black padding centred, tiles row by row, and the whole image resized to one tile before them.
 * Whole: padded to a square with the mean colour (as integers 0–255), resized to one tile.
 */
export async function processLlavaOnevisionImage(image: ImageInput, c: LlavaOnevisionProcessorConfig, tiled: boolean): Promise<LlavaOnevisionPixels> {
  const rgb = await decodeRgb(image);
  const original = { height: rgb.height, width: rgb.width };
  const s = c.size;
  const tileSize = s * s * 3;
  if (!tiled) {
    const side = Math.max(rgb.height, rgb.width);
    const fill = c.mean.map((m) => Math.trunc(m * 255));
    const square = padded(rgb, side, side, Math.floor((side - rgb.height) / 2), Math.floor((side - rgb.width) / 2), fill);
    const pixels = new Float32Array(tileSize);
    writeTile(pilBicubicResize(square, { width: s, height: s }), 0, 0, s, c, pixels, 0);
    return { pixels, tiles: 1, size: s, original, grid: undefined };
  }
  const best = selectBestResolution(rgb.height, rgb.width, c.pinpoints);
  const inner = patchOutputSize(rgb.height, rgb.width, best);
  const [bestHeight, bestWidth] = best;
  // As the reference's divmod: the odd pixel of padding goes after the image.
  const canvas = padded(pilBicubicResize(rgb, inner), bestHeight, bestWidth, Math.floor((bestHeight - inner.height) / 2), Math.floor((bestWidth - inner.width) / 2), [0, 0, 0]);
  const grid = { rows: bestHeight / s, columns: bestWidth / s };
  const tiles = 1 + grid.rows * grid.columns;
  const pixels = new Float32Array(tiles * tileSize);
  writeTile(pilBicubicResize(rgb, { width: s, height: s }), 0, 0, s, c, pixels, 0);
  for (let r = 0; r < grid.rows; r++) for (let col = 0; col < grid.columns; col++) writeTile(canvas, r * s, col * s, s, c, pixels, (1 + r * grid.columns + col) * tileSize);
  return { pixels, tiles, size: s, original, grid };
}
