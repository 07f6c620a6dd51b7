import type { ImageInput } from '../chat';

/** Decodes an image to size × size RGB floats in [0, 1], row-major HWC. */
export type ImageLoader = (image: ImageInput, size: number) => Promise<Float32Array>;

/**
 * The default loader: sharp (an optional peer dependency) resizes with stretch to size × size.
 * Pass your own `ImageLoader` to avoid sharp or to add augmentation.
 */
export const sharpImageLoader: ImageLoader = async (image, size) => {
  // sharp is an optional peer: loaded only when a path or encoded image must be decoded.
  let sharp: (input: Buffer | string) => import('sharp').Sharp;
  try {
    sharp = (await import('sharp')).default as unknown as typeof sharp;
  } catch {
    throw new Error('TinyVLM needs an image decoder: install sharp, or pass `imageLoader` to the model');
  }
  const input = typeof image === 'string' ? (image.startsWith('data:') ? Buffer.from(image.split(',')[1] ?? '', 'base64') : image) : Buffer.from(image.data);
  const { data } = await sharp(input).removeAlpha().toColourspace('srgb').resize(size, size, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const out = new Float32Array(size * size * 3);
  for (let i = 0; i < out.length; i++) out[i] = (data[i] as number) / 255;
  return out;
};
