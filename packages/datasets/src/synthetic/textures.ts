import { Raster, type Rgb, ValueNoise, clamp01, jitter, mix, scale } from './raster';
import type { Random } from './random';
import type { Scene } from './scene';

type TextureRenderer = (size: number, rng: Random) => Raster;

function fill(size: number, shade: (x: number, y: number) => Rgb): Raster {
  const raster = new Raster(size, size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) raster.set(x, y, shade(x, y));
  return raster;
}

// Each texture: a base look with seeded jitter in colour, phase and scale, so normal images vary
// the way real surfaces do while staying recognisably one category.
const TEXTURES: Record<string, TextureRenderer> = {
  woven(size, rng) {
    const noise = new ValueNoise(rng);
    const base = jitter([0.55, 0.5, 0.38], rng, 0.05);
    const period = (size / 64) * rng.uniform(5.5, 7);
    const phase = rng.uniform(0, period);
    return fill(size, (x, y) => {
      const i = Math.floor((x + phase) / period);
      const j = Math.floor((y + phase) / period);
      const along = (i + j) % 2 === 0 ? ((y + phase) % period) / period : ((x + phase) % period) / period;
      const thread = 0.62 + 0.33 * Math.sin(Math.PI * along);
      return scale(base, thread * (0.9 + 0.2 * noise.fbm(x / 6, y / 6, 2)));
    });
  },
  brushed(size, rng) {
    const noise = new ValueNoise(rng);
    const grey = rng.uniform(0.55, 0.68);
    return fill(size, (x, y) => {
      const streak = noise.fbm(x / (size * 0.6), y * 1.7, 3);
      const v = grey + 0.18 * (streak - 0.5) + 0.05 * (noise.at(x * 3.1, y * 5.3) - 0.5);
      return [v, v, v * 1.03];
    });
  },
  wood(size, rng) {
    const noise = new ValueNoise(rng);
    const light = jitter([0.72, 0.52, 0.3], rng, 0.04);
    const dark = jitter([0.45, 0.28, 0.13], rng, 0.03);
    const rings = rng.uniform(0.35, 0.5) * (64 / size);
    return fill(size, (x, y) => {
      const grain = Math.sin((x * rings + noise.fbm(x / 16, y / 48, 3) * 6) * Math.PI);
      return mix(light, dark, clamp01(0.5 + 0.5 * grain) * 0.8 + 0.1 * noise.at(x / 2, y / 9));
    });
  },
  speckle(size, rng) {
    const noise = new ValueNoise(rng);
    const base = jitter([0.62, 0.6, 0.58], rng, 0.04);
    const raster = fill(size, (x, y) => scale(base, 0.9 + 0.15 * noise.fbm(x / 8, y / 8, 3)));
    const dots = Math.round(size * size * 0.06);
    for (let k = 0; k < dots; k++) {
      const x = rng.int(0, size - 1);
      const y = rng.int(0, size - 1);
      raster.blend(x, y, rng.next() < 0.5 ? [0.2, 0.2, 0.22] : [0.9, 0.88, 0.85], rng.uniform(0.4, 0.8));
    }
    return raster;
  },
  leather(size, rng) {
    const noise = new ValueNoise(rng);
    const base = jitter([0.36, 0.22, 0.14], rng, 0.04);
    const cells = Array.from({ length: Math.round((size * size) / 40) }, () => [rng.uniform(0, size), rng.uniform(0, size)] as const);
    return fill(size, (x, y) => {
      let d1 = Infinity;
      let d2 = Infinity;
      for (const [cx, cy] of cells) {
        const d = Math.hypot(x - cx, y - cy);
        if (d < d1) [d1, d2] = [d, d1];
        else if (d < d2) d2 = d;
      }
      const crease = clamp01((d2 - d1) / 1.6);
      return scale(base, 0.65 + 0.35 * crease + 0.1 * noise.fbm(x / 5, y / 5, 2));
    });
  },
  carpet(size, rng) {
    const noise = new ValueNoise(rng);
    const base = jitter([0.3, 0.36, 0.5], rng, 0.06);
    return fill(size, (x, y) => scale(base, 0.7 + 0.6 * (noise.at(x * 0.9, y * 0.9) - 0.5) + 0.35 * noise.fbm(x / 10, y / 10, 2)));
  },
  tile(size, rng) {
    const noise = new ValueNoise(rng);
    const glaze = jitter([0.82, 0.8, 0.74], rng, 0.04);
    const grout: Rgb = [0.45, 0.43, 0.4];
    const period = (size / 64) * rng.uniform(15, 20);
    const offset = rng.uniform(0, period);
    return fill(size, (x, y) => {
      const gx = ((x + offset) % period) / period;
      const gy = ((y + offset) % period) / period;
      const edge = Math.min(gx, 1 - gx, gy, 1 - gy) * period;
      return edge < 1.2 * (size / 64) ? grout : scale(glaze, 0.95 + 0.08 * noise.fbm(x / 12, y / 12, 2));
    });
  },
  mesh(size, rng) {
    const base: Rgb = [0.12, 0.12, 0.13];
    const wire = jitter([0.7, 0.7, 0.72], rng, 0.05);
    const period = (size / 64) * rng.uniform(7, 9);
    const offset = rng.uniform(0, period);
    return fill(size, (x, y) => {
      const dx = Math.abs((((x + offset) % period) / period) - 0.5);
      const dy = Math.abs((((y + offset) % period) / period) - 0.5);
      const w = Math.max(clamp01(1 - Math.abs(dx - 0.5) * period / 1.3), clamp01(1 - Math.abs(dy - 0.5) * period / 1.3));
      return mix(base, wire, w);
    });
  },
  marble(size, rng) {
    const noise = new ValueNoise(rng);
    const white = jitter([0.9, 0.9, 0.88], rng, 0.03);
    const vein: Rgb = [0.45, 0.45, 0.5];
    const angle = rng.uniform(0, Math.PI);
    return fill(size, (x, y) => {
      const t = (x * Math.cos(angle) + y * Math.sin(angle)) / (size / 6) + noise.fbm(x / 14, y / 14, 4) * 5;
      return mix(white, vein, Math.pow(1 - Math.abs(Math.sin(t * Math.PI)), 6) * 0.8);
    });
  },
  fiber(size, rng) {
    const noise = new ValueNoise(rng);
    const base = jitter([0.86, 0.83, 0.76], rng, 0.03);
    const raster = fill(size, (x, y) => scale(base, 0.93 + 0.1 * noise.fbm(x / 7, y / 7, 3)));
    const fibers = Math.round(size * 0.6);
    for (let k = 0; k < fibers; k++) {
      const x0 = rng.uniform(0, size);
      const y0 = rng.uniform(0, size);
      const a = rng.uniform(0, Math.PI);
      const length = rng.uniform(3, 7) * (size / 64);
      for (let t = 0; t < length; t += 0.5) raster.blend(Math.round(x0 + Math.cos(a) * t), Math.round(y0 + Math.sin(a) * t), [0.7, 0.66, 0.58], 0.35);
    }
    return raster;
  },
};

/** Names of the texture categories. */
export const TEXTURE_NAMES = Object.keys(TEXTURES);

/** Renders a normal texture image: the material fills the frame. */
export function renderTexture(name: string, size: number, rng: Random): Scene {
  const render = TEXTURES[name];
  if (!render) throw new RangeError(`unknown texture ${JSON.stringify(name)}`);
  return { raster: render(size, rng), support: new Float32Array(size * size).fill(1), background: null };
}
