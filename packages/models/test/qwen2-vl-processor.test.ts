import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { mropePositions, mropeTables, patchesFromPixels, processQwen2VlImage, processorConfigOf, qwen2VlProcessorSchema, rotaryInverseFrequencies, rotaryTables, roundHalfToEven, smartResize } from '../src/tfjs/index';

const bounds = { factor: 28, minPixels: 56 * 56, maxPixels: 28 * 28 * 1280 };

describe('smartResize', () => {
  it('rounds halves to even as Python does, where Math.round would give another grid', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001].map(roundHalfToEven)).toEqual([0, 2, 2, 4, 2, 3]);
    // 70 / 28 = 2.5 → 2 blocks (Math.round: 3); 126 / 28 = 4.5 → 4, 98 / 28 = 3.5 → 4.
    expect(smartResize(70, 84, bounds)).toEqual({ height: 56, width: 84 });
    expect(smartResize(126, 98, bounds)).toEqual({ height: 112, width: 112 });
  });

  it('keeps the pixel count within the bounds (worked examples)', () => {
    expect(smartResize(480, 640, bounds)).toEqual({ height: 476, width: 644 });
    // Over max_pixels = 480000 (the authors' setting): β = √(1000·2000 / 480000), floor to multiples of 28.
    expect(smartResize(1000, 2000, { ...bounds, maxPixels: 480000 })).toEqual({ height: 476, width: 952 });
    expect(smartResize(1024, 1024, { ...bounds, maxPixels: 480000 })).toEqual({ height: 672, width: 672 });
    // Under min_pixels: β = √(3136 / 600), ceil to multiples of 28.
    expect(smartResize(20, 30, bounds)).toEqual({ height: 56, width: 84 });
    expect(() => smartResize(10, 2100, bounds)).toThrow(/aspect ratio over 200/);
  });

  it('reads the bounds from min_pixels / max_pixels or from size, and lets them be overridden', () => {
    expect(processorConfigOf(qwen2VlProcessorSchema.parse({ min_pixels: 3136, max_pixels: 12845056 }))).toMatchObject({ minPixels: 3136, maxPixels: 12845056, patchSize: 14, mergeSize: 2, temporalPatchSize: 2 });
    expect(processorConfigOf(qwen2VlProcessorSchema.parse({ size: { shortest_edge: 100, longest_edge: 200000 } }))).toMatchObject({ minPixels: 100, maxPixels: 200000 });
    expect(processorConfigOf(qwen2VlProcessorSchema.parse({ max_pixels: 1 }), { maxPixels: 480000 }).maxPixels).toBe(480000);
  });
});

describe('patchesFromPixels', () => {
  // A 56 × 56 image whose pixel (y, x, c) holds 1000·c + 100·⌊y/14⌋ + 10·⌊x/14⌋ + (y % 14 === 0 && x % 14 === 0 ? 1 : 0).
  const size = 56;
  const pixels = Float32Array.from({ length: size * size * 3 }, (_, i) => {
    const [y, x, c] = [Math.floor(i / (size * 3)), Math.floor(i / 3) % size, i % 3];
    return 1000 * c + 100 * Math.floor(y / 14) + 10 * Math.floor(x / 14) + (y % 14 === 0 && x % 14 === 0 ? 1 : 0);
  });
  const raw = processorConfigOf(qwen2VlProcessorSchema.parse({ do_rescale: false, do_normalize: false }));

  it('orders patches by 2 × 2 block, then within the block, each row channel, frame, y, x', () => {
    const { patches, gridT, gridH, gridW } = patchesFromPixels(pixels, size, size, raw);
    expect([gridT, gridH, gridW]).toEqual([1, 4, 4]);
    const rowLength = 3 * 2 * 14 * 14;
    expect(patches.length).toBe(16 * rowLength);
    // Patch (row, column) of row r, read from its first value (channel 0, frame 0, y 0, x 0).
    const first = (r: number) => patches[r * rowLength] as number;
    // Rows 0–3: block (0, 0) — patches (0,0) (0,1) (1,0) (1,1); row 4 starts block (0, 1) at patch (0, 2); row 8 block (1, 0).
    expect([0, 1, 2, 3, 4, 8, 15].map(first)).toEqual([1, 11, 101, 111, 21, 201, 331]);
    // Within a row: 196 values of channel 0 for frame 0, the same 196 for frame 1, then channel 1.
    const row5 = patches.subarray(5 * rowLength, 6 * rowLength); // block (0, 1), patch (0, 3)
    expect(row5[0]).toBe(31);
    expect(row5[1]).toBe(30); // y 0, x 1: not a patch corner
    expect(Array.from(row5.subarray(196, 392))).toEqual(Array.from(row5.subarray(0, 196)));
    expect(row5[392]).toBe(1031);
  });

  it('rescales and normalises with the checkpoint’s mean and std', () => {
    const c = processorConfigOf(qwen2VlProcessorSchema.parse({}));
    const { patches } = patchesFromPixels(new Uint8Array(size * size * 3).fill(255), size, size, c);
    // (255 / 255 − mean) / std for channel 0 and channel 2 (the CLIP defaults).
    expect(patches[0]).toBeCloseTo((1 - 0.48145466) / 0.26862954, 5);
    expect(patches[4 * 196]).toBeCloseTo((1 - 0.40821073) / 0.27577711, 5);
  });

  it('reads an image file with sharp at the size smart_resize chose', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'iad-r1-qwen2vl-')), 'part.png');
    await sharp({ create: { width: 98, height: 126, channels: 3, background: { r: 200, g: 40, b: 10 } } }).png().toFile(file);
    const { gridH, gridW, patches } = await processQwen2VlImage(file, raw);
    // 126 × 98 → 112 × 112 (halves to even) → 8 × 8 patches.
    expect([gridH, gridW]).toEqual([8, 8]);
    expect([patches[0], patches[196 * 2], patches[196 * 4]]).toEqual([200, 40, 10]);
  });
});

describe('M-RoPE positions', () => {
  it('counts text on all axes, gives image tokens (frame, row, column), and goes on after the largest', () => {
    const p = mropePositions([5, 6, 9, 9, 9, 9, 7], 9, [{ t: 1, h: 2, w: 2 }]);
    expect(Array.from(p.t)).toEqual([0, 1, 2, 2, 2, 2, 4]);
    expect(Array.from(p.h)).toEqual([0, 1, 2, 2, 3, 3, 4]);
    expect(Array.from(p.w)).toEqual([0, 1, 2, 3, 2, 3, 4]);
    expect(p.next).toBe(5);
  });

  it('handles a 1-shot prompt (two images of other sizes) and names a mismatch', () => {
    // text, a 1 × 1 × 2 image, text, a 1 × 2 × 1 image, text
    const p = mropePositions([1, 9, 9, 2, 3, 9, 9, 4], 9, [{ t: 1, h: 1, w: 2 }, { t: 1, h: 2, w: 1 }]);
    expect(Array.from(p.t)).toEqual([0, 1, 1, 3, 4, 5, 5, 7]);
    expect(Array.from(p.h)).toEqual([0, 1, 1, 3, 4, 5, 6, 7]);
    expect(Array.from(p.w)).toEqual([0, 1, 2, 3, 4, 5, 5, 7]);
    expect(p.next).toBe(8);
    expect(() => mropePositions([1, 9, 2], 9, [{ t: 1, h: 1, w: 2 }])).toThrow(/image 0 needs 2 image tokens from position 1; position 2 holds another token/);
    expect(() => mropePositions([1, 2], 9, [{ t: 1, h: 1, w: 1 }])).toThrow(/0 image token runs for 1 images/);
  });

  it('takes each frequency’s angle from its section’s axis; equal axes give plain RoPE', () => {
    const inverse = rotaryInverseFrequencies(8, 10000); // 4 frequencies, sections 1 / 2 / 1
    const positions = { t: new Int32Array([3]), h: new Int32Array([5]), w: new Int32Array([7]) };
    const { cos } = mropeTables(positions, inverse, [1, 2, 1]);
    const expected = [3, 5, 5, 7].map((p, i) => Math.cos(Math.fround(p * (inverse[i] as number))));
    expect(Array.from(cos.subarray(0, 4))).toEqual(expected.map(Math.fround));
    expect(Array.from(cos.subarray(4, 8))).toEqual(Array.from(cos.subarray(0, 4)));
    const same = { t: new Int32Array([4, 9]), h: new Int32Array([4, 9]), w: new Int32Array([4, 9]) };
    expect(mropeTables(same, inverse, [1, 2, 1])).toEqual(rotaryTables([4, 9], inverse));
  });
});
