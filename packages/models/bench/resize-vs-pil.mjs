// node packages/models/bench/resize-vs-pil.mjs [image]   (after `pnpm build`; needs Debian's python3-pil)
// The image processors resize with pilBicubicResize, PIL's bicubic reproduced in JavaScript, because
// the reference processors (transformers) resize with PIL. This prints, for the resizes the Qwen2-VL
// processor (smart_resize at two pixel budgets) and the LLaVA-OneVision processor (into the grid
// resolution; the whole image to one 384-pixel tile) make of a photo-like image, how far
// pilBicubicResize and sharp's cubic resize are from PIL itself, in grey levels. One JSON line each.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ONEVISION_GRID_PINPOINTS, decodeRgb, patchOutputSize, pilBicubicResize, selectBestResolution, smartResize } from '../dist/tfjs/index.js';

const python = '/usr/bin/python3';
const image = process.argv[2] ?? fileURLToPath(new URL('../../datasets/docs/contact-sheet.png', import.meta.url));
try {
  execFileSync(python, ['-c', 'import PIL'], { stdio: 'ignore' });
} catch {
  console.error(`skip: ${python} cannot import PIL (apt-get install python3-pil)`);
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'iad-r1-resize-'));

function difference(ours, theirs) {
  let sum = 0;
  let max = 0;
  let differing = 0;
  for (let i = 0; i < ours.data.length; i++) {
    const d = Math.abs((ours.data[i] ?? 0) - (theirs.data[i] ?? 0));
    sum += d;
    max = Math.max(max, d);
    if (d > 0) differing++;
  }
  return { meanAbsGreyLevels: +(sum / ours.data.length).toFixed(3), maxAbsGreyLevels: max, share: +(differing / ours.data.length).toFixed(3) };
}

const original = await decodeRgb(image);
const { width, height } = original;
const [bestHeight, bestWidth] = selectBestResolution(height, width, ONEVISION_GRID_PINPOINTS);
const targets = [
  ['qwen2_vl max_pixels 480000', smartResize(height, width, { factor: 28, minPixels: 3136, maxPixels: 480000 })],
  ['qwen2_vl max_pixels 100000', smartResize(height, width, { factor: 28, minPixels: 3136, maxPixels: 100000 })],
  [`llava_onevision into ${bestWidth}x${bestHeight}`, patchOutputSize(height, width, [bestHeight, bestWidth])],
  ['llava_onevision whole image', { width: 384, height: 384 }],
];
for (const [resize, target] of targets) {
  const pil = join(dir, `pil-${target.width}x${target.height}.png`);
  execFileSync(python, ['-c', `from PIL import Image\nImage.open(${JSON.stringify(image)}).convert('RGB').resize((${target.width}, ${target.height}), Image.BICUBIC).save(${JSON.stringify(pil)})`]);
  const reference = await decodeRgb(pil);
  const line = { bench: 'resize-vs-pil', image: image.split('/').at(-1), resize, from: `${width}x${height}`, to: `${target.width}x${target.height}`, pilBicubicResize: difference(pilBicubicResize(original, target), reference), sharpCubic: difference(await decodeRgb(image, target), reference) };
  console.log(JSON.stringify(line));
}
rmSync(dir, { recursive: true, force: true });
