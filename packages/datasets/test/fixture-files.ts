import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { encode as encodeBmp } from 'bmp-ts';
import sharp from 'sharp';

/** A fresh temporary folder for one fixture tree. */
export function tempRoot(prefix = 'iad-r1-datasets-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a small solid-colour PNG (or JPEG, by extension). */
export async function writeImage(path: string, size = 8, value = 128): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const raw = Buffer.alloc(size * size * 3, value);
  const image = sharp(raw, { raw: { width: size, height: size, channels: 3 } });
  writeFileSync(path, await (/\.jpe?g$/i.test(path) ? image.jpeg() : image.png()).toBuffer());
}

/** Writes a grey-scale mask PNG with the given pixels set to 255. */
export async function writeMask(path: string, size = 8, on: Array<[number, number]> = [[0, 0]]): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const raw = Buffer.alloc(size * size);
  for (const [x, y] of on) raw[y * size + x] = 255;
  writeFileSync(path, await sharp(raw, { raw: { width: size, height: size, channels: 1 } }).png().toBuffer());
}

/** Writes a 24-bit BMP mask (KolektorSDD labels), with the given pixels white. */
export function writeBmpMask(path: string, size = 8, on: Array<[number, number]> = []): void {
  mkdirSync(dirname(path), { recursive: true });
  const data = Buffer.alloc(size * size * 4); // ABGR for bmp-ts
  for (const [x, y] of on) data.fill(255, (y * size + x) * 4, (y * size + x) * 4 + 4);
  writeFileSync(path, encodeBmp({ width: size, height: size, data, bitPP: 24 }).data);
}

export function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
