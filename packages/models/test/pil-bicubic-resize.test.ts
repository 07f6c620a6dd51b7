import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeRgb, pilBicubicResize } from '../src/tfjs/index';

// The independent implementation is Pillow itself (Debian's python3-pil, which .ci/run installs).
const python = '/usr/bin/python3';
const hasPil = (() => {
  try {
    execFileSync(python, ['-c', 'import PIL']);
    return true;
  } catch {
    return false;
  }
})();

it.runIf(process.env.IAD_R1_REQUIRE_PIL === '1')('finds Pillow where CI installs it', () => expect(hasPil, `${python} cannot import PIL (apt-get install python3-pil)`).toBe(true));

describe.skipIf(!hasPil)('pilBicubicResize against Pillow', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iad-r1-pil-'));

  it('gives PIL’s bytes exactly, enlarging, reducing, one axis only, and both ways at once', async () => {
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const [w, h] = [97, 41];
    // Smooth gradients with noise and a few hard edges: every part of the kernel is exercised.
    const data = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(128 + 90 * Math.sin(x / 5 + c) * Math.cos(y / 3) + 60 * (random() - 0.5) + (x > 60 ? 60 : 0))));
    const source = join(dir, 'source.png');
    await sharp(data, { raw: { width: w, height: h, channels: 3 } }).png().toFile(source);
    const rgb = await decodeRgb(source);
    for (const [W, H] of [[120, 50], [384, 384], [40, 17], [97, 60], [30, 41], [200, 13], [1, 1]] as const) {
      const out = join(dir, `pil-${W}x${H}.png`);
      execFileSync(python, ['-c', `from PIL import Image\nImage.open(${JSON.stringify(source)}).convert('RGB').resize((${W}, ${H}), Image.BICUBIC).save(${JSON.stringify(out)})`]);
      const expected = await decodeRgb(out);
      const ours = pilBicubicResize(rgb, { width: W, height: H });
      expect([ours.width, ours.height]).toEqual([W, H]);
      expect(Buffer.from(ours.data).equals(Buffer.from(expected.data)), `${w}×${h} → ${W}×${H}`).toBe(true);
    }
  });
});
