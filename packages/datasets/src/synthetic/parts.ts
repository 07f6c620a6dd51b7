import { Raster, type Rgb, ValueNoise, clamp01, jitter, mix, scale } from './raster';
import type { Random } from './random';
import type { Scene } from './scene';

// Objects are unions of signed-distance shapes in a unit frame ([-1, 1]², y down), posed with a
// small random shift, rotation and scale, and shaded per part. Distances are converted to pixels
// for anti-aliased edges.

type Vec = readonly [number, number];
type Sdf = (p: Vec) => number;

const circle = (c: Vec, r: number): Sdf => (p) => Math.hypot(p[0] - c[0], p[1] - c[1]) - r;
const box = (c: Vec, half: Vec, round = 0): Sdf => (p) => {
  const qx = Math.abs(p[0] - c[0]) - half[0] + round;
  const qy = Math.abs(p[1] - c[1]) - half[1] + round;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - round;
};
const segment = (a: Vec, b: Vec, r: number): Sdf => (p) => {
  const bax = b[0] - a[0];
  const bay = b[1] - a[1];
  const t = clamp01(((p[0] - a[0]) * bax + (p[1] - a[1]) * bay) / (bax * bax + bay * bay));
  return Math.hypot(p[0] - a[0] - bax * t, p[1] - a[1] - bay * t) - r;
};
const hexagon = (c: Vec, r: number): Sdf => (p) => {
  const k = [-0.866025404, 0.5, 0.577350269] as const;
  let x = Math.abs(p[0] - c[0]);
  let y = Math.abs(p[1] - c[1]);
  const d = 2 * Math.min(k[0] * x + k[1] * y, 0);
  x -= d * k[0];
  y -= d * k[1];
  x -= Math.min(Math.max(x, -k[2] * r), k[2] * r);
  y -= r;
  return Math.hypot(x, y) * Math.sign(y);
};
const union = (...parts: Sdf[]): Sdf => (p) => Math.min(...parts.map((s) => s(p)));
const subtract = (a: Sdf, b: Sdf): Sdf => (p) => Math.max(a(p), -b(p));

/** One material region of an object: its shape and how it is shaded at a point. */
interface Part {
  sdf: Sdf;
  shade: (p: Vec, rng: { noise: ValueNoise }) => Rgb;
}

interface ObjectSpec {
  background: Rgb;
  parts: (rng: Random) => Part[];
}

const metal = (base: Rgb) => (p: Vec, { noise }: { noise: ValueNoise }): Rgb =>
  scale(base, 0.85 + 0.25 * (0.5 - p[1] * 0.35) + 0.12 * (noise.fbm(p[0] * 6 + 10, p[1] * 6 + 10, 3) - 0.5));
const plastic = (base: Rgb) => (p: Vec, { noise }: { noise: ValueNoise }): Rgb =>
  scale(base, 0.9 + 0.15 * (0.3 - p[1] * 0.3 - p[0] * 0.1) + 0.04 * (noise.at(p[0] * 20 + 5, p[1] * 20 + 5) - 0.5));

const OBJECTS: Record<string, ObjectSpec> = {
  plate: {
    background: [0.16, 0.17, 0.2],
    parts: (rng) => {
      const holes = [-1, 1].flatMap((sx) => [-1, 1].map((sy) => circle([sx * 0.58, sy * 0.38], 0.07)));
      return [{ sdf: subtract(box([0, 0], [0.78, 0.56], 0.1), union(...holes)), shade: metal(jitter([0.72, 0.73, 0.76], rng, 0.04)) }];
    },
  },
  washer: {
    background: [0.2, 0.2, 0.22],
    parts: (rng) => [{ sdf: subtract(circle([0, 0], 0.68), circle([0, 0], 0.3)), shade: metal(jitter([0.78, 0.62, 0.3], rng, 0.04)) }],
  },
  connector: {
    background: [0.82, 0.82, 0.8],
    parts: (rng) => [
      { sdf: box([0, 0.18], [0.62, 0.36], 0.05), shade: plastic(jitter([0.14, 0.14, 0.15], rng, 0.02)) },
      ...[-0.4, -0.2, 0, 0.2, 0.4].map((x) => ({ sdf: box([x, -0.38], [0.045, 0.22]), shade: metal([0.85, 0.7, 0.35]) })),
    ],
  },
  screw: {
    background: [0.15, 0.16, 0.18],
    parts: (rng) => {
      const steel = jitter([0.66, 0.67, 0.7], rng, 0.04);
      return [
        { sdf: box([0, -0.58], [0.36, 0.13], 0.04), shade: metal(steel) },
        {
          sdf: box([0, 0.14], [0.14, 0.6], 0.02),
          shade: (p, ctx) => scale(metal(steel)(p, ctx), 0.78 + 0.22 * Math.abs(Math.sin((p[1] * 14 + p[0] * 2) * Math.PI))),
        },
      ];
    },
  },
  capsule: {
    background: [0.2, 0.3, 0.22],
    parts: (rng) => {
      const left = jitter([0.8, 0.2, 0.18], rng, 0.05);
      return [
        { sdf: subtract(segment([-0.5, 0], [0.5, 0], 0.3), box([0.5, 0], [0.5, 1])), shade: plastic(left) },
        { sdf: subtract(segment([-0.5, 0], [0.5, 0], 0.3), box([-0.5, 0], [0.5, 1])), shade: plastic([0.92, 0.9, 0.86]) },
      ];
    },
  },
  bracket: {
    background: [0.78, 0.78, 0.76],
    parts: (rng) => [
      {
        sdf: subtract(union(box([0.05, 0.48], [0.65, 0.14], 0.03), box([-0.46, -0.05], [0.14, 0.62], 0.03)), circle([0.35, 0.48], 0.07)),
        shade: metal(jitter([0.42, 0.3, 0.2], rng, 0.04)),
      },
    ],
  },
  nut: {
    background: [0.22, 0.22, 0.25],
    parts: (rng) => [{ sdf: subtract(hexagon([0, 0], 0.6), circle([0, 0], 0.3)), shade: metal(jitter([0.6, 0.61, 0.64], rng, 0.04)) }],
  },
  cap: {
    background: [0.85, 0.85, 0.83],
    parts: (rng) => {
      const red = jitter([0.75, 0.15, 0.15], rng, 0.05);
      return [
        {
          sdf: circle([0, 0], 0.7),
          shade: (p, ctx) => {
            const r = Math.hypot(p[0], p[1]);
            const ridge = r > 0.6 ? 0.82 + 0.18 * Math.abs(Math.sin(Math.atan2(p[1], p[0]) * 24)) : r < 0.45 ? 1.06 : 0.96;
            return scale(plastic(red)(p, ctx), ridge);
          },
        },
      ];
    },
  },
  gear: {
    background: [0.18, 0.2, 0.2],
    parts: (rng) => {
      const teeth = rng.int(10, 14);
      const body: Sdf = (p) => Math.hypot(p[0], p[1]) - (0.55 + 0.1 * (Math.sin(Math.atan2(p[1], p[0]) * teeth) > 0 ? 1 : 0));
      return [{ sdf: subtract(body, circle([0, 0], 0.16)), shade: metal(jitter([0.7, 0.7, 0.68], rng, 0.04)) }];
    },
  },
  chip: {
    background: [0.12, 0.35, 0.2],
    parts: () => {
      const pins = [-0.3, -0.1, 0.1, 0.3].flatMap((t) => [box([-0.55, t], [0.12, 0.04]), box([0.55, t], [0.12, 0.04])]);
      return [
        { sdf: box([0, 0], [0.45, 0.5], 0.03), shade: plastic([0.1, 0.1, 0.11]) },
        { sdf: union(...pins), shade: metal([0.8, 0.8, 0.82]) },
      ];
    },
  },
};

/** Names of the object categories. */
export const OBJECT_NAMES = Object.keys(OBJECTS);

/** Renders a normal object image: the part, posed with a little jitter, on its background. */
export function renderObject(name: string, size: number, rng: Random): Scene {
  const spec = OBJECTS[name];
  if (!spec) throw new RangeError(`unknown object ${JSON.stringify(name)}`);
  const noise = new ValueNoise(rng);
  const parts = spec.parts(rng);
  const background = jitter(spec.background, rng, 0.02);
  const angle = rng.uniform(-0.14, 0.14);
  const zoom = rng.uniform(0.92, 1.05);
  const shift: Vec = [rng.uniform(-0.05, 0.05), rng.uniform(-0.05, 0.05)];
  const half = size / 2;
  const raster = new Raster(size, size);
  const support = new Float32Array(size * size);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Pixel centre → unit frame, undoing the pose.
      const ux = ((x + 0.5 - half) / half - shift[0]) / zoom;
      const uy = ((y + 0.5 - half) / half - shift[1]) / zoom;
      const p: Vec = [ux * cos + uy * sin, -ux * sin + uy * cos];
      const bg = scale(background, 0.95 + 0.1 * noise.at(x / 9 + 40, y / 9 + 40));
      let color: Rgb = bg;
      let coverage = 0;
      for (const part of parts) {
        const c = clamp01(0.5 - part.sdf(p) * half * zoom);
        if (c > 0) {
          color = mix(color, part.shade(p, { noise }), c);
          coverage = Math.max(coverage, c);
        }
      }
      raster.set(x, y, color);
      support[y * size + x] = coverage;
    }
  }
  return { raster, support, background };
}
