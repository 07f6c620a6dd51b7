import { loadImage, loadMask, writeFileAtomic } from '@iad-r1/datasets';
import sharp from 'sharp';

/** Options of {@link highlightDefect}. */
export interface HighlightOptions {
  /** Outline colour; default pure red. */
  color?: { r: number; g: number; b: number };
  /** Outline thickness in pixels; default about 1/100 of the image side, at least 1. */
  thickness?: number;
}

/**
 * The query image with the defect region outlined (docs/METHOD.md §7 step 2: the describer sees the
 * anomalous region highlighted). The mask is resized to the image; the outline is drawn just
 * outside the region, so the defect's own pixels stay visible. Returns PNG bytes.
 *
 * @example
 * const png = await highlightDefect('test/scratch/003.png', 'ground_truth/scratch/003_mask.png');
 */
export async function highlightDefect(imagePath: string, maskPath: string, options: HighlightOptions = {}): Promise<Buffer> {
  const image = await loadImage(imagePath);
  const { width, height } = image;
  const mask = await loadMask(maskPath, { size: { width, height } });
  const color = options.color ?? { r: 255, g: 0, b: 0 };
  const thickness = options.thickness ?? Math.max(1, Math.round(Math.min(width, height) / 100));
  // Ring = pixels outside the mask within `thickness` of it: a square dilation done as two
  // one-dimensional passes, so large images with thick outlines stay linear in the pixel count.
  const horizontal = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let last = Number.NEGATIVE_INFINITY;
    for (let x = 0; x < width; x++) {
      if (mask.data[row + x] === 255) last = x;
      if (x - last <= thickness) horizontal[row + x] = 1;
    }
    last = Number.POSITIVE_INFINITY;
    for (let x = width - 1; x >= 0; x--) {
      if (mask.data[row + x] === 255) last = x;
      if (last - x <= thickness) horizontal[row + x] = 1;
    }
  }
  const out = Buffer.from(image.data);
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      if (mask.data[y * width + x] === 255) continue;
      let near = false;
      for (let dy = -thickness; dy <= thickness && !near; dy++) {
        const yy = y + dy;
        near = yy >= 0 && yy < height && horizontal[yy * width + x] === 1;
      }
      if (!near) continue;
      const i = (y * width + x) * 3;
      out[i] = color.r;
      out[i + 1] = color.g;
      out[i + 2] = color.b;
    }
  }
  return sharp(out, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Writes `highlightDefect`'s PNG to `file` atomically (a crash never leaves half an image). */
export async function writeHighlight(imagePath: string, maskPath: string, file: string, options: HighlightOptions = {}): Promise<void> {
  await writeFileAtomic(file, await highlightDefect(imagePath, maskPath, options));
}
