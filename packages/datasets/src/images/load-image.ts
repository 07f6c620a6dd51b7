import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { decode as decodeBmp } from 'bmp-ts';
import sharp, { type KernelEnum, type OutputInfo, type ResizeOptions, type Sharp } from 'sharp';
import { DatasetError } from '../dataset-error';
import { assertRealPathInside } from '../paths';

/** Decoded pixels, row-major, `channels` interleaved bytes per pixel. */
export interface RawImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** How an image is brought to a square target size. */
export type FitMode = 'pad' | 'stretch' | 'cover';

export interface LoadImageOptions {
  /** Target side (square) or explicit size; default: keep the image's size. */
  size?: number | { width: number; height: number };
  /** `pad` (default: keep aspect, letterbox with `background`), `stretch`, or `cover` (crop). */
  fit?: FitMode;
  /** Letterbox colour for `pad`; default black. */
  background?: { r: number; g: number; b: number };
}

// sharp (libvips) reads PNG, JPEG, TIFF, WebP; BMP (KolektorSDD labels) needs a decoder of its own.
async function openImage(path: string): Promise<Sharp> {
  let bytes: Buffer;
  try {
    // A FIFO or device would block the read forever.
    const info = await stat(path);
    if (!info.isFile()) throw new DatasetError(path, `not a regular file (${info.isDirectory() ? 'a folder' : 'a FIFO, device or socket'})`);
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new DatasetError(path, code === 'ENOENT' ? 'image not found' : `cannot read image: ${(error as Error).message}`);
  }
  if (bytes.length === 0) throw new DatasetError(path, 'the image file is empty (0 bytes)');
  if (extname(path).toLowerCase() === '.bmp' || (bytes[0] === 0x42 && bytes[1] === 0x4d)) {
    try {
      const bmp = decodeBmp(bytes, { toRGBA: true });
      return sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: 4 } });
    } catch (error) {
      throw new DatasetError(path, `cannot decode BMP: ${(error as Error).message}`);
    }
  }
  try {
    return sharp(bytes, { failOn: 'error' });
  } catch (error) {
    throw new DatasetError(path, `cannot decode image: ${(error as Error).message}`);
  }
}

/**
 * Checks that an image can be given to a model: inside `root` once links are followed (when a
 * root is given), not empty, and decodable to the last pixel (a truncated file fails here, not at
 * the model server). Throws a {@link DatasetError} naming the file.
 *
 * @example
 * await checkImageFile('/data/mvtec/bottle/test/good/000.png', '/data/mvtec');
 */
export async function checkImageFile(path: string, root?: string): Promise<void> {
  if (root !== undefined) await assertRealPathInside(root, path);
  const image = await openImage(path);
  try {
    await image.raw().toBuffer();
  } catch (error) {
    throw new DatasetError(path, `cannot decode image: ${(error as Error).message}`);
  }
}

function resizeOptions(options: LoadImageOptions, kernel: keyof KernelEnum): ResizeOptions | undefined {
  if (options.size === undefined) return undefined;
  const { width, height } = typeof options.size === 'number' ? { width: options.size, height: options.size } : options.size;
  const fit = options.fit === 'stretch' ? 'fill' : options.fit === 'cover' ? 'cover' : 'contain';
  return { width, height, fit, kernel, background: { ...(options.background ?? { r: 0, g: 0, b: 0 }), alpha: 1 } };
}

/**
 * Decodes an image to 8-bit RGB, optionally resized to a target size.
 *
 * @example
 * const { width, height, data } = await loadImage('bottle/test/broken_large/000.png', { size: 224 });
 */
export async function loadImage(path: string, options: LoadImageOptions = {}): Promise<RawImage> {
  let pipeline = (await openImage(path)).removeAlpha().toColourspace('srgb');
  const resize = resizeOptions(options, 'lanczos3');
  if (resize) pipeline = pipeline.resize(resize);
  try {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (error) {
    throw new DatasetError(path, `cannot decode image: ${(error as Error).message}`);
  }
}

/**
 * Decodes an image to float RGB in [0, 1], height × width × 3 (HWC), ready for a tensor.
 *
 * @example
 * const { data } = await loadImageFloat('query.png', { size: 64 }); // Float32Array(64 * 64 * 3)
 */
export async function loadImageFloat(path: string, options: LoadImageOptions = {}): Promise<{ width: number; height: number; data: Float32Array }> {
  const image = await loadImage(path, options);
  const data = new Float32Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = (image.data[i] as number) / 255;
  return { width: image.width, height: image.height, data };
}

/** A binary mask: one byte per pixel, 255 for defect and 0 elsewhere. */
export interface BinaryMask {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Decodes a defect mask to one byte per pixel, 255 where any channel is above `threshold`
 * (default 127), else 0. Resizing uses nearest-neighbour so the mask stays binary. The result
 * plugs into `maskToCells` from `@iad-r1/grid` as it is.
 *
 * @example
 * const mask = await loadMask('bottle/ground_truth/broken_large/000_mask.png');
 * maskToCells(mask).text; // e.g. 'top right'
 */
export async function loadMask(path: string, options: { size?: LoadImageOptions['size']; threshold?: number } = {}): Promise<BinaryMask> {
  let pipeline = (await openImage(path)).removeAlpha();
  const resize = resizeOptions({ ...(options.size !== undefined ? { size: options.size } : {}), fit: 'stretch' }, 'nearest');
  if (resize) pipeline = pipeline.resize(resize);
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new DatasetError(path, `cannot decode mask: ${(error as Error).message}`);
  }
  const { width, height, channels } = raw.info;
  const threshold = options.threshold ?? 127;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    let on = false;
    for (let c = 0; c < channels; c++) if ((raw.data[i * channels + c] as number) > threshold) on = true;
    data[i] = on ? 255 : 0;
  }
  return { width, height, data };
}

/** True when a mask has no defect pixel (KolektorSDD's way of marking a normal image). */
export function isEmptyMask(mask: BinaryMask): boolean {
  return mask.data.every((v) => v === 0);
}

/**
 * A small PNG of an image as a `data:` URL, for self-contained HTML reports.
 *
 * @example
 * `<img src="${await thumbnailDataUrl(sample.imagePath, 128)}">`
 */
export async function thumbnailDataUrl(path: string, size = 128): Promise<string> {
  const image = await loadImage(path, { size, fit: 'pad' });
  const png = await sharp(Buffer.from(image.data), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}
