import type { Random } from './random';

/** An RGB colour with channels in [0, 1]. */
export type Rgb = readonly [number, number, number];

/** A float RGB image, row-major, channels in [0, 1]. */
export class Raster {
  readonly data: Float32Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Float32Array(width * height * 3);
  }

  get(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.data[i] as number, this.data[i + 1] as number, this.data[i + 2] as number];
  }

  set(x: number, y: number, color: Rgb): void {
    const i = (y * this.width + x) * 3;
    this.data[i] = color[0];
    this.data[i + 1] = color[1];
    this.data[i + 2] = color[2];
  }

  /** Mixes `color` into a pixel with weight `alpha` ∈ [0, 1]. */
  blend(x: number, y: number, color: Rgb, alpha: number): void {
    if (alpha <= 0 || x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const a = Math.min(1, alpha);
    const i = (y * this.width + x) * 3;
    for (let c = 0; c < 3; c++) this.data[i + c] = (this.data[i + c] as number) * (1 - a) + (color[c] as number) * a;
  }

  /** Bilinear sample with clamped edges. */
  sample(x: number, y: number): Rgb {
    const cx = Math.min(this.width - 1, Math.max(0, x));
    const cy = Math.min(this.height - 1, Math.max(0, y));
    const x0 = Math.floor(cx);
    const y0 = Math.floor(cy);
    const x1 = Math.min(this.width - 1, x0 + 1);
    const y1 = Math.min(this.height - 1, y0 + 1);
    const fx = cx - x0;
    const fy = cy - y0;
    const a = this.get(x0, y0);
    const b = this.get(x1, y0);
    const c = this.get(x0, y1);
    const d = this.get(x1, y1);
    return [0, 1, 2].map((k) => (a[k] as number) * (1 - fx) * (1 - fy) + (b[k] as number) * fx * (1 - fy) + (c[k] as number) * (1 - fx) * fy + (d[k] as number) * fx * fy) as unknown as Rgb;
  }

  clone(): Raster {
    const copy = new Raster(this.width, this.height);
    copy.data.set(this.data);
    return copy;
  }

  /** Mean brightness of the pixels where `weight` > 0.5 (all pixels without weights). */
  meanBrightness(weight?: Float32Array): number {
    let sum = 0;
    let n = 0;
    for (let p = 0; p < this.width * this.height; p++) {
      if (weight && (weight[p] as number) <= 0.5) continue;
      sum += ((this.data[p * 3] as number) + (this.data[p * 3 + 1] as number) + (this.data[p * 3 + 2] as number)) / 3;
      n++;
    }
    return n > 0 ? sum / n : 0;
  }

  /** 8-bit RGB bytes, clamped and rounded. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.data.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, this.data[i] as number)) * 255);
    return out;
  }
}

/** Smooth 2-D value noise on a seeded lattice; `fbm` sums octaves. Values roughly in [0, 1]. */
export class ValueNoise {
  private readonly lattice: Float32Array;
  private static readonly SIZE = 64;

  constructor(rng: Random) {
    this.lattice = new Float32Array(ValueNoise.SIZE * ValueNoise.SIZE);
    for (let i = 0; i < this.lattice.length; i++) this.lattice[i] = rng.next();
  }

  at(x: number, y: number): number {
    const n = ValueNoise.SIZE;
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const fx = x - x0;
    const fy = y - y0;
    const sx = fx * fx * (3 - 2 * fx);
    const sy = fy * fy * (3 - 2 * fy);
    const v = (i: number, j: number): number => this.lattice[(((j % n) + n) % n) * n + (((i % n) + n) % n)] as number;
    const top = v(x0, y0) * (1 - sx) + v(x0 + 1, y0) * sx;
    const bottom = v(x0, y0 + 1) * (1 - sx) + v(x0 + 1, y0 + 1) * sx;
    return top * (1 - sy) + bottom * sy;
  }

  fbm(x: number, y: number, octaves = 4): number {
    let sum = 0;
    let amplitude = 0.5;
    let frequency = 1;
    let norm = 0;
    for (let o = 0; o < octaves; o++) {
      sum += amplitude * this.at(x * frequency, y * frequency);
      norm += amplitude;
      amplitude *= 0.5;
      frequency *= 2;
    }
    return sum / norm;
  }
}

export function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}

export function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

export function scale(color: Rgb, k: number): Rgb {
  return [color[0] * k, color[1] * k, color[2] * k];
}

/** Jitters a colour by up to ±amount per channel. */
export function jitter(color: Rgb, rng: Random, amount: number): Rgb {
  return [clamp01(color[0] + rng.uniform(-amount, amount)), clamp01(color[1] + rng.uniform(-amount, amount)), clamp01(color[2] + rng.uniform(-amount, amount))];
}
