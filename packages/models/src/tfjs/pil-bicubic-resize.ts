// PIL's bicubic resampling of 8-bit images (`Image.resize(size, Image.BICUBIC)`, what transformers'
// image processors call), reproduced to the bit: a separable convolution, horizontal pass first,
// with the cubic kernel (a = −0.5) widened by the scale when reducing, weights normalised and held
// as 22-bit fixed point, each pass rounded and clamped to 0–255. sharp's resize differs from it by
// several grey levels when enlarging (libvips aligns pixel centres differently), which moved a
// tiny model's image features by more than their own size; see the models README.

import type { RgbImage } from './image-loader';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const SUPPORT = 2;

function cubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** For each output index along one axis: the first input index read, how many, and their fixed-point weights. */
function coefficients(inSize: number, outSize: number): { first: Int32Array; count: Int32Array; weights: Int32Array; width: number } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = SUPPORT * filterScale;
  const width = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * width);
  const k = new Float64Array(width);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    const lo = Math.max(0, Math.trunc(centre - support + 0.5));
    const n = Math.min(inSize, Math.trunc(centre + support + 0.5)) - lo;
    let total = 0;
    for (let i = 0; i < n; i++) {
      k[i] = cubic((i + lo - centre + 0.5) / filterScale);
      total += k[i] as number;
    }
    for (let i = 0; i < n; i++) {
      const w = total !== 0 ? (k[i] as number) / total : (k[i] as number);
      weights[o * width + i] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    first[o] = lo;
    count[o] = n;
  }
  return { first, count, weights, width };
}

const clip8 = (sum: number): number => Math.min(255, Math.max(0, Math.floor(sum / ONE)));

/**
 * Resizes 8-bit RGB pixels (row-major HWC) to width × height exactly as PIL's `Image.BICUBIC`.
 *
 * @example
 * const resized = pilBicubicResize(await decodeRgb('query.png'), { width: 672, height: 476 });
 */
export function pilBicubicResize(rgb: RgbImage, size: { width: number; height: number }): RgbImage {
  const { width: inW, height: inH, data } = rgb;
  if (size.width === inW && size.height === inH) return rgb;
  let rows = data;
  let rowsWidth = inW;
  if (size.width !== inW) {
    const c = coefficients(inW, size.width);
    rows = new Uint8Array(inH * size.width * 3);
    for (let y = 0; y < inH; y++) {
      for (let o = 0; o < size.width; o++) {
        const lo = c.first[o] as number;
        for (let ch = 0; ch < 3; ch++) {
          let sum = ONE / 2;
          for (let i = 0; i < (c.count[o] as number); i++) sum += (data[(y * inW + lo + i) * 3 + ch] as number) * (c.weights[o * c.width + i] as number);
          rows[(y * size.width + o) * 3 + ch] = clip8(sum);
        }
      }
    }
    rowsWidth = size.width;
  }
  if (size.height === inH) return { data: rows, width: rowsWidth, height: inH };
  const c = coefficients(inH, size.height);
  const out = new Uint8Array(size.height * rowsWidth * 3);
  for (let o = 0; o < size.height; o++) {
    const lo = c.first[o] as number;
    for (let x = 0; x < rowsWidth; x++) {
      for (let ch = 0; ch < 3; ch++) {
        let sum = ONE / 2;
        for (let i = 0; i < (c.count[o] as number); i++) sum += (rows[((lo + i) * rowsWidth + x) * 3 + ch] as number) * (c.weights[o * c.width + i] as number);
        out[(o * rowsWidth + x) * 3 + ch] = clip8(sum);
      }
    }
  }
  return { data: out, width: rowsWidth, height: size.height };
}
