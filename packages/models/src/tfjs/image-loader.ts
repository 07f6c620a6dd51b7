import { stat } from 'node:fs/promises';
import { IadR1Error } from '@iad-r1/errors';
import { ImageDecodeError, MissingDependencyError } from './environment-errors';
import type { ImageInput } from '../chat';

/** Decodes an image to size × size RGB floats in [0, 1], row-major HWC. */
export type ImageLoader = (image: ImageInput, size: number) => Promise<Float32Array>;

/** Decoded RGB pixels, row-major HWC, 0–255. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

// sharp is an optional peer: loaded only when a path or encoded image must be decoded.
async function sharpOf(image: ImageInput): Promise<import('sharp').Sharp> {
  let sharp: (input: Buffer | string) => import('sharp').Sharp;
  try {
    sharp = (await import('sharp')).default as unknown as typeof sharp;
  } catch {
    throw new MissingDependencyError('sharp', 'decoding images', 'npm install sharp, or pass `imageLoader` to the model');
  }
  if (typeof image === 'string' && !image.startsWith('data:')) {
    // A FIFO or device would block the decoder forever.
    const info = await stat(image).catch(() => undefined);
    if (info && !info.isFile()) throw new ImageDecodeError(image, `not a regular file (${info.isDirectory() ? 'a folder' : 'a FIFO, device or socket'})`);
  }
  const input = typeof image === 'string' ? (image.startsWith('data:') ? Buffer.from(image.split(',')[1] ?? '', 'base64') : image) : Buffer.from(image.data);
  if (Buffer.isBuffer(input) && input.length === 0) throw new ImageDecodeError(imageName(image), 'the image is empty (0 bytes)');
  // As PIL's Image.open: no EXIF rotation.
  return sharp(input).removeAlpha().toColourspace('srgb');
}

function imageName(image: ImageInput): string {
  return typeof image === 'string' && !image.startsWith('data:') ? image : 'image';
}

// sharp's own errors ("Input file is missing", "unsupported image format") name no file.
async function decoded<T>(image: ImageInput, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (IadR1Error.isInstance(error)) throw error;
    throw new ImageDecodeError(imageName(image), `cannot decode the image (${(error as Error).message})`);
  }
}

/**
 * The default loader: sharp (an optional peer dependency) resizes with stretch to size × size.
 * Pass your own `ImageLoader` to avoid sharp or to add augmentation.
 */
export const sharpImageLoader: ImageLoader = async (image, size) => {
  const { data } = await decoded(image, sharpOf(image).then((s) => s.resize(size, size, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true })));
  const out = new Float32Array(size * size * 3);
  for (let i = 0; i < out.length; i++) out[i] = (data[i] as number) / 255;
  return out;
};

/** An image's RGB pixels (sharp), at its own size or resized with the cubic kernel to `size`. */
export async function decodeRgb(image: ImageInput, size?: { width: number; height: number }): Promise<RgbImage> {
  const { data, info } = await decoded(
    image,
    sharpOf(image).then((pipeline) => (size ? pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'cubic' }) : pipeline).raw().toBuffer({ resolveWithObject: true })),
  );
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** An image's width and height from its header. */
export async function imageSize(image: ImageInput): Promise<{ width: number; height: number }> {
  const meta = await decoded(image, sharpOf(image).then((s) => s.metadata()));
  if (!meta.width || !meta.height) throw new ImageDecodeError(imageName(image), 'no width or height in its header');
  return { width: meta.width, height: meta.height };
}

