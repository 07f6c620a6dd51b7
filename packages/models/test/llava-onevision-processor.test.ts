import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ONEVISION_GRID_PINPOINTS, anyresMaxSize, bilinearMatrix, imageTokenCount, llavaOnevisionConfig, llavaOnevisionProcessorConfigOf, llavaOnevisionProcessorSchema, patchOutputSize, processLlavaOnevisionImage, readLlavaOnevisionProcessorConfig, selectBestResolution, siglipPatchRows, unpaddedSize } from '../src/tfjs/index';
import { TINY_LLAVA_ONEVISION_PREPROCESSOR, TINY_PINPOINTS, tinyLlavaOnevisionConfig } from './fixtures/tiny-checkpoints';

const released = { patchesPerSide: 27, size: 384, pinpoints: ONEVISION_GRID_PINPOINTS, maxTiles: 9 };

describe('the grid resolution and the image-token count (worked by hand on the released processor’s settings)', () => {
  it('chooses the resolution that keeps the most pixels, then wastes the least', () => {
    // 480 × 640: every candidate of at least 480 × 640 keeps all 307,200 pixels; 768 × 768 wastes the least.
    expect(selectBestResolution(480, 640, ONEVISION_GRID_PINPOINTS)).toEqual([768, 768]);
    expect(selectBestResolution(1024, 1024, ONEVISION_GRID_PINPOINTS)).toEqual([1152, 1152]);
    expect(selectBestResolution(384, 1536, ONEVISION_GRID_PINPOINTS)).toEqual([384, 1536]);
    // Too large for any candidate: the largest downscale wins.
    expect(selectBestResolution(4000, 4000, ONEVISION_GRID_PINPOINTS)).toEqual([2304, 2304]);
    // 480 × 640 into 768 × 768: the width fills it (scale 1.2), the height becomes ⌈480 · 1.2⌉ = 576.
    expect(patchOutputSize(480, 640, [768, 768])).toEqual({ height: 576, width: 768 });
  });

  it('counts the whole image, the unpadded tile features and one newline per row', () => {
    // 480 × 640 → 2 × 2 tiles → 54 × 54 features; wider than the grid: ⌊480 · 54 / 640⌋ = 40 rows kept (7 cut above and below).
    expect(unpaddedSize(480, 640, 54, 54)).toEqual({ rows: 40, columns: 54, top: 7, left: 0 });
    expect(imageTokenCount({ height: 480, width: 640 }, true, released)).toBe(729 + 40 * 54 + 40);
    // 1024 × 1024 → 3 × 3 tiles → 81 × 81 features, exactly 9 tiles' worth: no downsize.
    expect(imageTokenCount({ height: 1024, width: 1024 }, true, released)).toBe(729 + 81 * 81 + 81);
    // 384 × 1536 → 1 × 4 tiles → 27 × 108, nothing to cut.
    expect(imageTokenCount({ height: 384, width: 1536 }, true, released)).toBe(729 + 27 * 108 + 27);
    // 2304 × 2304 → 6 × 6 tiles → 162 × 162 = 4 × 9 tiles' worth: ratio 2, downsized to 81 × 81.
    expect(anyresMaxSize(162, 162, 27, 9)).toEqual({ rows: 81, columns: 81 });
    expect(imageTokenCount({ height: 2304, width: 2304 }, true, released)).toBe(729 + 81 * 81 + 81);
    // Read whole (several images in a conversation): 729 patches and one newline.
    expect(imageTokenCount({ height: 480, width: 640 }, false, released)).toBe(730);
  });

  it('interpolates as PyTorch’s bilinear with align_corners=False', () => {
    // 4 → 2: outputs read the input at 0.5 and 2.5, halfway between neighbours.
    expect(Array.from(bilinearMatrix(2, 4))).toEqual([0.5, 0.5, 0, 0, 0, 0, 0.5, 0.5]);
    // 2 → 4: sources −0.25 (clamped to 0), 0.25, 0.75, 1.25 (past the last input: itself).
    expect(Array.from(bilinearMatrix(4, 2))).toEqual([1, 0, 0.75, 0.25, 0.25, 0.75, 0, 1]);
  });
});

describe('processLlavaOnevisionImage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iad-r1-llava-processor-'));
  const model = llavaOnevisionConfig(tinyLlavaOnevisionConfig(), 'config.json');

  async function flat(name: string, width: number, height: number, rgb: [number, number, number]): Promise<string> {
    const file = join(dir, name);
    await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toFile(file);
    return file;
  }

  it('tiles one image: the whole image first, then the letterboxed grid row by row, black padding normalised', async () => {
    const c = llavaOnevisionProcessorConfigOf(llavaOnevisionProcessorSchema.parse(TINY_LLAVA_ONEVISION_PREPROCESSOR), model, 'preprocessor_config.json');
    // 40 × 24 (W × H) → best 30 × 60 (H × W) → resized to 30 × 50, 5 black columns each side, 2 tiles.
    expect(selectBestResolution(24, 40, TINY_PINPOINTS)).toEqual([30, 60]);
    const image = await processLlavaOnevisionImage(await flat('grey.png', 40, 24, [255, 255, 255]), c, true);
    expect([image.tiles, image.grid, image.original]).toEqual([3, { rows: 1, columns: 2 }, { height: 24, width: 40 }]);
    const at = (tile: number, channel: number, y: number, x: number) => image.pixels[((tile * 3 + channel) * 30 + y) * 30 + x] as number;
    // White is (1 − 0.5) / 0.5 = 1; black padding (0 − 0.5) / 0.5 = −1.
    expect([at(0, 0, 0, 0), at(0, 2, 29, 29)]).toEqual([1, 1]);
    expect([at(1, 0, 10, 4), at(1, 1, 10, 5), at(2, 2, 10, 24), at(2, 0, 10, 25)]).toEqual([-1, 1, 1, -1]);
  });

  it('reads an image whole when the conversation has several: padded to a square with the mean colour', async () => {
    const c = llavaOnevisionProcessorConfigOf(llavaOnevisionProcessorSchema.parse({ ...TINY_LLAVA_ONEVISION_PREPROCESSOR, image_mean: [0.2, 0.4, 0.6] }), model, 'preprocessor_config.json');
    // 30 × 10 (W × H), white: rows 10–19 of the 30 × 30 square hold it, the rest is ⌊mean · 255⌋ = (51, 102, 153).
    const image = await processLlavaOnevisionImage(await flat('strip.png', 30, 10, [255, 255, 255]), c, false);
    expect([image.tiles, image.grid]).toEqual([1, undefined]);
    const at = (channel: number, y: number, x: number) => image.pixels[(channel * 30 + y) * 30 + x] as number;
    const std = 0.5;
    expect(at(0, 0, 3)).toBeCloseTo((51 / 255 - 0.2) / std, 6);
    expect(at(2, 29, 3)).toBeCloseTo((153 / 255 - 0.6) / std, 6);
    expect(at(1, 15, 3)).toBeCloseTo((1 - 0.4) / std, 6);
  });

  it('cuts patch rows as the stride-4 convolution reads them, the last 2 pixels of 30 unread', () => {
    // pixel (tile t, channel c, y, x) = 1000t + 100c + y + x / 100
    const pixels = Float32Array.from({ length: 2 * 3 * 30 * 30 }, (_, i) => {
      const [t, c, y, x] = [Math.floor(i / 2700), Math.floor(i / 900) % 3, Math.floor(i / 30) % 30, i % 30];
      return 1000 * t + 100 * c + y + x / 100;
    });
    const rows = siglipPatchRows(pixels, 2, 30, model.vision);
    const K = 3 * 16;
    expect(rows.length).toBe(2 * 49 * K);
    // Tile 1, patch (row 2, column 3) = row 49 + 17; its value (c = 1, y = 1, x = 2) is pixel (1, 1, 8 + 1, 12 + 2).
    const row = 49 + 2 * 7 + 3;
    expect(rows[row * K + 16 + 4 + 2]).toBeCloseTo(1000 + 100 + 9 + 0.14, 4);
  });

  it('refuses a preprocessor that does not match the tower, by file and field', async () => {
    // No preprocessor_config.json: the processor's defaults, 384-pixel tiles, which this tiny tower does not read.
    await expect(readLlavaOnevisionProcessorConfig(dir, model)).rejects.toThrow(`${join(dir, 'preprocessor_config.json')}: field size: 384 pixels, but the vision tower reads 30 (config.json vision_config.image_size)`);
    const parse = (fields: Record<string, unknown>) => () => llavaOnevisionProcessorConfigOf(llavaOnevisionProcessorSchema.parse({ ...TINY_LLAVA_ONEVISION_PREPROCESSOR, ...fields }), model, 'dir/preprocessor_config.json');
    expect(parse({ size: { height: 384, width: 384 } })).toThrow(/dir\/preprocessor_config\.json: field size: 384 pixels, but the vision tower reads 30/);
    expect(parse({ resample: 2 })).toThrow(/field resample: 2 is not supported/);
    expect(parse({ image_grid_pinpoints: [[30, 30]] })).toThrow(/field image_grid_pinpoints: differ from config\.json/);
  });
});
