import sharp, { type OverlayOptions } from 'sharp';
import { loadImage, loadMask } from '../images/load-image';
import type { AnomalySample } from '../sample';

export interface ContactSheetOptions {
  /** Tile side in pixels; default 96 (images are upscaled with nearest neighbour). */
  tile?: number;
  /** Tiles per row; default 8. */
  columns?: number;
  /** Outline defect masks in red on anomalous tiles; default true. */
  outlineMasks?: boolean;
}

/**
 * Lays images out on one PNG, anomalous ones with their mask outlined in red, so a person can see
 * what a dataset's defects look like.
 *
 * @example
 * const png = await contactSheet(dataset.samples.filter((s) => s.split === 'test').slice(0, 16));
 */
export async function contactSheet(samples: readonly AnomalySample[], options: ContactSheetOptions = {}): Promise<Buffer> {
  const tile = options.tile ?? 96;
  const columns = Math.min(options.columns ?? 8, Math.max(1, samples.length));
  const rows = Math.ceil(samples.length / columns);
  const gap = 4;
  const composites: OverlayOptions[] = [];
  for (const [i, sample] of samples.entries()) {
    const image = await loadImage(sample.imagePath, { size: tile, fit: 'stretch' });
    const data = Buffer.from(image.data);
    if (sample.maskPath && options.outlineMasks !== false) {
      const mask = await loadMask(sample.maskPath, { size: tile });
      for (let y = 0; y < tile; y++) {
        for (let x = 0; x < tile; x++) {
          const on = mask.data[y * tile + x] === 255;
          const edge = on && [[-1, 0], [1, 0], [0, -1], [0, 1]].some(([dx, dy]) => {
            const nx = x + (dx as number);
            const ny = y + (dy as number);
            return nx < 0 || ny < 0 || nx >= tile || ny >= tile || mask.data[ny * tile + nx] !== 255;
          });
          if (edge) data.set([255, 32, 32], (y * tile + x) * 3);
        }
      }
    }
    composites.push({
      input: data,
      raw: { width: tile, height: tile, channels: 3 },
      left: gap + (i % columns) * (tile + gap),
      top: gap + Math.floor(i / columns) * (tile + gap),
    });
  }
  return sharp({
    create: { width: gap + columns * (tile + gap), height: gap + rows * (tile + gap), channels: 3, background: { r: 255, g: 255, b: 255 } },
  })
    .composite(composites)
    .png()
    .toBuffer();
}
