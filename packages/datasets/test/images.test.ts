import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { maskToCells } from '@iad-r1/grid';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DatasetError, checkImageFile, isEmptyMask, loadImage, loadImageFloat, loadMask } from '../src/index';
import { tempRoot, writeBmpMask, writeMask } from './fixture-files';

describe('loadImage', () => {
  it('decodes RGB and letterboxes to a square size', async () => {
    const path = join(tempRoot(), 'wide.png');
    // 8 × 4 white image → 8 × 8 padded: rows 0-1 and 6-7 are the black letterbox.
    writeFileSync(path, await sharp({ create: { width: 8, height: 4, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer());
    const image = await loadImage(path, { size: 8 });
    expect([image.width, image.height, image.channels]).toEqual([8, 8, 3]);
    expect([...image.data.slice(0, 3)]).toEqual([0, 0, 0]);
    expect([...image.data.slice((4 * 8 + 4) * 3, (4 * 8 + 4) * 3 + 3)]).toEqual([255, 255, 255]);
    const stretched = await loadImage(path, { size: 8, fit: 'stretch' });
    expect([...stretched.data.slice(0, 3)]).toEqual([255, 255, 255]);
    const float = await loadImageFloat(path);
    expect([float.width, float.height, float.data.length, float.data[0]]).toEqual([8, 4, 96, 1]);
  });

  it('names the file it cannot read or decode', async () => {
    const root = tempRoot();
    await expect(loadImage(join(root, 'missing.png'))).rejects.toThrow(DatasetError);
    await expect(loadImage(join(root, 'missing.png'))).rejects.toThrow(`${join(root, 'missing.png')}: image not found`);
    const junk = join(root, 'junk.png');
    writeFileSync(junk, 'not an image');
    await expect(loadImage(junk)).rejects.toThrow(/junk\.png: cannot decode image/);
    // A zero-byte file: sharp alone says "Input Buffer is empty" and names nothing.
    const empty = join(root, 'empty.png');
    writeFileSync(empty, '');
    for (const load of [loadImage, loadMask, checkImageFile]) await expect(load(empty)).rejects.toThrow(`${empty}: the image file is empty (0 bytes)`);
  });

  it('checkImageFile decodes to the last byte, so a truncated file fails before a model sees it', async () => {
    const root = tempRoot();
    const whole = join(root, 'whole.png');
    writeFileSync(whole, await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 9, g: 99, b: 199 } } }).png().toBuffer());
    await expect(checkImageFile(whole, root)).resolves.toBeUndefined();
    const truncated = join(root, 'truncated.png');
    writeFileSync(truncated, readFileSync(whole).subarray(0, 80));
    await expect(checkImageFile(truncated)).rejects.toThrow(/truncated\.png: cannot decode image/);
    await expect(checkImageFile(whole, tempRoot())).rejects.toThrow(/whole\.png: is a link to .*outside the data root/);
  });
});

describe('loadMask', () => {
  it('binarises to 0/255 that maskToCells reads directly, from PNG and BMP', async () => {
    const root = tempRoot();
    await writeMask(join(root, 'm.png'), 9, [[8, 8]]);
    const mask = await loadMask(join(root, 'm.png'));
    expect(mask.data.filter((v) => v === 255)).toHaveLength(1);
    expect(maskToCells(mask).text).toBe('bottom right');
    writeBmpMask(join(root, 'm.bmp'), 9, [[0, 0]]);
    expect(maskToCells(await loadMask(join(root, 'm.bmp'))).text).toBe('top left');
    writeBmpMask(join(root, 'empty.bmp'), 9);
    expect(isEmptyMask(await loadMask(join(root, 'empty.bmp')))).toBe(true);
  });

  it('keeps masks binary when resizing', async () => {
    const root = tempRoot();
    await writeMask(join(root, 'm.png'), 4, [[0, 0], [1, 0], [0, 1], [1, 1]]);
    const mask = await loadMask(join(root, 'm.png'), { size: 16 });
    expect(new Set(mask.data)).toEqual(new Set([0, 255]));
    expect(mask.data.filter((v) => v === 255)).toHaveLength(64);
  });
});

describe('image files that are not regular files (issue #39)', () => {
  it('refuses a FIFO at once instead of blocking on it', async () => {
    const fifo = join(tempRoot(), 'query.png');
    execFileSync('mkfifo', [fifo]);
    const started = performance.now();
    await expect(loadImage(fifo)).rejects.toThrow(`${fifo}: not a regular file (a FIFO, device or socket)`);
    await expect(checkImageFile(fifo)).rejects.toThrow(DatasetError);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

