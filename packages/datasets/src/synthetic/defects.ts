import type { CoarseType } from '@iad-r1/cot-schema';
import { Raster, type Rgb, ValueNoise, clamp01, mix, scale } from './raster';
import type { Random } from './random';
import type { Scene } from './scene';

/** Defect folder names (MVTec style) and the coarse type each one is. */
export const DEFECT_TYPES: Readonly<Record<string, CoarseType>> = {
  scratch: 'Scratch',
  hole: 'Hole',
  contamination: 'Contamination',
  foreign_object: 'Presence of foreign objects',
  missing_part: 'Missing parts',
  deformation: 'Deformation',
  abrasion: 'Abrasion',
  damage: 'Damage',
};
export type DefectName = keyof typeof DEFECT_TYPES;
export const DEFECT_NAMES = Object.keys(DEFECT_TYPES) as DefectName[];

interface Point {
  x: number;
  y: number;
}

/** Where a defect is painted and what it may touch. */
interface Canvas {
  raster: Raster;
  support: Float32Array;
  background: Rgb | null;
  size: number;
  /** Pixels per unit at 64 px, so sizes scale with the image. */
  k: number;
  mask: Uint8Array;
}

function forEachInRadius(canvas: Canvas, c: Point, radius: number, visit: (x: number, y: number, d: number) => void): void {
  const x0 = Math.max(0, Math.floor(c.x - radius - 1));
  const x1 = Math.min(canvas.size - 1, Math.ceil(c.x + radius + 1));
  const y0 = Math.max(0, Math.floor(c.y - radius - 1));
  const y1 = Math.min(canvas.size - 1, Math.ceil(c.y + radius + 1));
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) visit(x, y, Math.hypot(x + 0.5 - c.x, y + 0.5 - c.y));
}

function supportAt(canvas: Canvas, x: number, y: number): number {
  return canvas.support[y * canvas.size + x] as number;
}

function mark(canvas: Canvas, x: number, y: number): void {
  canvas.mask[y * canvas.size + x] = 255;
}

function segmentDistance(px: number, py: number, a: Point, b: Point): number {
  const bx = b.x - a.x;
  const by = b.y - a.y;
  const t = clamp01(((px - a.x) * bx + (py - a.y) * by) / (bx * bx + by * by || 1));
  return Math.hypot(px - a.x - bx * t, py - a.y - by * t);
}

/** Draws an anti-aliased polyline in `color`, marking pixels it covers well. */
function strokePolyline(canvas: Canvas, points: Point[], width: number, color: Rgb, strength: number): void {
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as Point;
    const b = points[i] as Point;
    const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    forEachInRadius(canvas, mid, Math.hypot(b.x - a.x, b.y - a.y) / 2 + width + 1, (x, y) => {
      const coverage = clamp01(width / 2 + 0.5 - segmentDistance(x + 0.5, y + 0.5, a, b));
      const s = supportAt(canvas, x, y);
      if (coverage <= 0 || s < 0.5) return;
      canvas.raster.blend(x, y, color, coverage * strength * s);
      if (coverage > 0.3) mark(canvas, x, y);
    });
  }
}

// A colour that stands out from the neighbourhood (not one pixel: on a mesh that may be a bright
// wire over a dark gap).
function contrastColor(canvas: Canvas, c: Point): Rgb {
  const sum = [0, 0, 0];
  let n = 0;
  forEachInRadius(canvas, c, 4 * canvas.k, (x, y, d) => {
    if (d > 4 * canvas.k || supportAt(canvas, x, y) < 0.5) return;
    const p = canvas.raster.get(x, y);
    for (let k = 0; k < 3; k++) sum[k] = (sum[k] as number) + (p[k] as number);
    n++;
  });
  const [r, g, b] = sum.map((v) => v / Math.max(1, n)) as [number, number, number];
  return (r + g + b) / 3 > 0.45 ? scale([r, g, b], 0.3) : [Math.min(1, r + 0.55), Math.min(1, g + 0.55), Math.min(1, b + 0.5)];
}

type Painter = (canvas: Canvas, c: Point, rng: Random) => void;

const PAINTERS: Record<DefectName, Painter> = {
  scratch(canvas, c, rng) {
    const angle = rng.uniform(0, Math.PI);
    const half = rng.uniform(6, 11) * canvas.k;
    const a = { x: c.x - Math.cos(angle) * half, y: c.y - Math.sin(angle) * half };
    const b = { x: c.x + Math.cos(angle) * half, y: c.y + Math.sin(angle) * half };
    const bend = { x: c.x + rng.uniform(-1, 1) * canvas.k, y: c.y + rng.uniform(-1, 1) * canvas.k };
    strokePolyline(canvas, [a, bend, b], 1.1 * canvas.k, contrastColor(canvas, c), 0.9);
  },
  hole(canvas, c, rng) {
    const r = rng.uniform(2.6, 4.2) * canvas.k;
    forEachInRadius(canvas, c, r + 1.5, (x, y, d) => {
      if (supportAt(canvas, x, y) < 0.5) return;
      if (d < r + 0.5) {
        const depth = clamp01(1 - d / (r + 0.5));
        canvas.raster.set(x, y, scale([0.06, 0.055, 0.05], 0.6 + 0.6 * (1 - depth)));
        mark(canvas, x, y);
      } else if (d < r + 1.5) {
        canvas.raster.blend(x, y, [0.92, 0.92, 0.9], 0.35);
      }
    });
  },
  contamination(canvas, c, rng) {
    const noise = new ValueNoise(rng);
    const tint = rng.pick<Rgb>([[0.36, 0.24, 0.1], [0.1, 0.1, 0.08], [0.55, 0.32, 0.1], [0.3, 0.35, 0.12]]);
    const blobs = Array.from({ length: rng.int(3, 5) }, () => ({
      x: c.x + rng.uniform(-3, 3) * canvas.k,
      y: c.y + rng.uniform(-3, 3) * canvas.k,
      r: rng.uniform(2.2, 4.5) * canvas.k,
    }));
    forEachInRadius(canvas, c, 9 * canvas.k, (x, y) => {
      const s = supportAt(canvas, x, y);
      if (s < 0.5) return;
      const inside = Math.max(...blobs.map((b) => b.r - Math.hypot(x + 0.5 - b.x, y + 0.5 - b.y))) + (noise.at(x / 2, y / 2) - 0.5) * 2.5;
      const alpha = clamp01(inside / 2) * 0.7;
      canvas.raster.blend(x, y, tint, alpha * s);
      if (alpha > 0.2) mark(canvas, x, y);
    });
  },
  foreign_object(canvas, c, rng) {
    if (rng.next() < 0.5) {
      // A fibre or hair: a curved dark or light strand lying on the part.
      const points: Point[] = [];
      let angle = rng.uniform(0, Math.PI * 2);
      let p = { x: c.x - Math.cos(angle) * 6 * canvas.k, y: c.y - Math.sin(angle) * 6 * canvas.k };
      for (let i = 0; i <= 8; i++) {
        points.push(p);
        angle += rng.uniform(-0.5, 0.5);
        p = { x: p.x + Math.cos(angle) * 1.6 * canvas.k, y: p.y + Math.sin(angle) * 1.6 * canvas.k };
      }
      strokePolyline(canvas, points, 1.1 * canvas.k, contrastColor(canvas, c), 0.95);
      return;
    }
    // A chip of another material with a soft shadow.
    const color = rng.pick<Rgb>([[0.2, 0.65, 0.3], [0.2, 0.4, 0.85], [0.95, 0.85, 0.2], [0.9, 0.9, 0.92]]);
    const corners = Array.from({ length: 6 }, (_, i) => {
      const a = (i / 6) * Math.PI * 2 + rng.uniform(-0.3, 0.3);
      const r = rng.uniform(2.2, 3.8) * canvas.k;
      return { x: c.x + Math.cos(a) * r, y: c.y + Math.sin(a) * r };
    });
    const inside = (px: number, py: number): boolean => {
      let hit = false;
      for (let i = 0, j = corners.length - 1; i < corners.length; j = i++) {
        const a = corners[i] as Point;
        const b = corners[j] as Point;
        if (a.y > py !== b.y > py && px < ((b.x - a.x) * (py - a.y)) / (b.y - a.y) + a.x) hit = !hit;
      }
      return hit;
    };
    forEachInRadius(canvas, c, 6 * canvas.k, (x, y) => {
      if (supportAt(canvas, x, y) < 0.5) return;
      if (inside(x + 0.5 - canvas.k, y + 0.5 - canvas.k) && !inside(x + 0.5, y + 0.5)) canvas.raster.blend(x, y, [0, 0, 0], 0.35);
    });
    forEachInRadius(canvas, c, 6 * canvas.k, (x, y) => {
      if (supportAt(canvas, x, y) < 0.5 || !inside(x + 0.5, y + 0.5)) return;
      canvas.raster.set(x, y, scale(color, 0.85 + 0.3 * clamp01((c.y - y) / (4 * canvas.k) + 0.5)));
      mark(canvas, x, y);
    });
  },
  missing_part(canvas, c, rng) {
    const r = rng.uniform(4, 6) * canvas.k;
    if (canvas.background) {
      // A bite out of the part: the background shows through.
      forEachInRadius(canvas, c, r, (x, y, d) => {
        const s = supportAt(canvas, x, y);
        if (d > r || s < 0.05) return;
        canvas.raster.blend(x, y, canvas.background as Rgb, s);
        if (s > 0.5) mark(canvas, x, y);
      });
      return;
    }
    // On a texture: a notch where the material is gone, dark with a lit lower edge.
    const angle = rng.uniform(0, Math.PI);
    const hw = r;
    const hh = r * 0.55;
    forEachInRadius(canvas, c, r + 2, (x, y) => {
      const dx = x + 0.5 - c.x;
      const dy = y + 0.5 - c.y;
      const u = dx * Math.cos(angle) + dy * Math.sin(angle);
      const v = -dx * Math.sin(angle) + dy * Math.cos(angle);
      if (Math.abs(u) <= hw && Math.abs(v) <= hh) {
        canvas.raster.set(x, y, Math.abs(v) > hh - 1 ? [0.5, 0.48, 0.45] : [0.05, 0.05, 0.06]);
        mark(canvas, x, y);
      }
    });
  },
  deformation(canvas, c, rng) {
    const original = canvas.raster.clone();
    // Textures need a stronger warp than silhouettes to read as a distortion.
    const texture = canvas.background === null;
    const radius = rng.uniform(8, 11) * canvas.k;
    const angle = rng.uniform(0, Math.PI * 2);
    const push = (texture ? rng.uniform(4.5, 6) : rng.uniform(3, 4.5)) * canvas.k;
    const swirl = (texture ? rng.uniform(1.8, 2.6) : rng.uniform(0.9, 1.4)) * (rng.next() < 0.5 ? -1 : 1);
    const support = canvas.support.slice();
    forEachInRadius(canvas, c, radius, (x, y, d) => {
      if (d >= radius) return;
      const falloff = (1 - d / radius) ** 2;
      const dx = x + 0.5 - c.x;
      const dy = y + 0.5 - c.y;
      const a = swirl * falloff;
      // Source point: rotated around the centre and pushed along one direction (a dent or bulge).
      const sx = c.x + dx * Math.cos(a) - dy * Math.sin(a) - Math.cos(angle) * push * falloff - 0.5;
      const sy = c.y + dx * Math.sin(a) + dy * Math.cos(a) - Math.sin(angle) * push * falloff - 0.5;
      const color = original.sample(sx, sy);
      const before = original.get(x, y);
      canvas.raster.set(x, y, color);
      const ix = Math.min(canvas.size - 1, Math.max(0, Math.round(sx)));
      const iy = Math.min(canvas.size - 1, Math.max(0, Math.round(sy)));
      canvas.support[y * canvas.size + x] = Math.max(support[y * canvas.size + x] as number, support[iy * canvas.size + ix] as number);
      const change = Math.max(...[0, 1, 2].map((k) => Math.abs((color[k] as number) - (before[k] as number))));
      // On a texture the whole warped disc is the defect; on an object, where the silhouette moved.
      if (texture ? d < radius * 0.7 : change > 0.06 && d < radius * 0.85) mark(canvas, x, y);
    });
  },
  abrasion(canvas, c, rng) {
    const noise = new ValueNoise(rng);
    const a = rng.uniform(5, 7.5) * canvas.k;
    const b = rng.uniform(3, 4.5) * canvas.k;
    const angle = rng.uniform(0, Math.PI);
    const streak = rng.uniform(0, Math.PI);
    const mean = canvas.raster.meanBrightness(canvas.support);
    const worn: Rgb = [Math.min(1, mean + 0.2), Math.min(1, mean + 0.2), Math.min(1, mean + 0.18)];
    forEachInRadius(canvas, c, a + 1, (x, y) => {
      const s = supportAt(canvas, x, y);
      if (s < 0.5) return;
      const dx = x + 0.5 - c.x;
      const dy = y + 0.5 - c.y;
      const u = (dx * Math.cos(angle) + dy * Math.sin(angle)) / a;
      const v = (-dx * Math.sin(angle) + dy * Math.cos(angle)) / b;
      const r = u * u + v * v;
      if (r > 1) return;
      const lines = 0.5 + 0.5 * Math.sin((dx * Math.cos(streak) + dy * Math.sin(streak)) * 2.4 / canvas.k);
      const color = mix(canvas.raster.get(x, y), worn, 0.65);
      const grain = (noise.at(x * 1.3, y * 1.3) - 0.5) * 0.16 + (lines - 0.5) * 0.08;
      canvas.raster.blend(x, y, [clamp01(color[0] + grain), clamp01(color[1] + grain), clamp01(color[2] + grain)], (1 - r * 0.4) * s);
      mark(canvas, x, y);
    });
  },
  damage(canvas, c, rng) {
    const dark = scale(canvas.raster.get(Math.floor(c.x), Math.floor(c.y)), 0.18);
    const crack = (start: Point, heading: number, steps: number): Point[] => {
      const points = [start];
      let p = start;
      let a = heading;
      for (let i = 0; i < steps; i++) {
        a += rng.uniform(-0.65, 0.65);
        p = { x: p.x + Math.cos(a) * 1.8 * canvas.k, y: p.y + Math.sin(a) * 1.8 * canvas.k };
        points.push(p);
      }
      return points;
    };
    const heading = rng.uniform(0, Math.PI * 2);
    const main = [...crack(c, heading, 4).reverse(), ...crack(c, heading + Math.PI, 4).slice(1)];
    strokePolyline(canvas, main, 1.3 * canvas.k, dark, 0.95);
    const branchFrom = main[rng.int(2, main.length - 3)] as Point;
    strokePolyline(canvas, crack(branchFrom, heading + rng.uniform(0.8, 1.6), 3), 1 * canvas.k, dark, 0.85);
    // Chipped, lighter rim along the crack.
    forEachInRadius(canvas, c, 10 * canvas.k, (x, y) => {
      if (canvas.mask[y * canvas.size + x]) return;
      const near = [[-1, 0], [1, 0], [0, -1], [0, 1]].some(([ox, oy]) => canvas.mask[(y + (oy as number)) * canvas.size + x + (ox as number)] === 255);
      if (near && supportAt(canvas, x, y) > 0.5) canvas.raster.blend(x, y, [0.95, 0.95, 0.92], 0.25);
    });
  },
};

/** Chooses a defect centre on the material: well inside for most types, on the rim for bites and dents. */
function chooseCentre(scene: Scene, defect: DefectName, rng: Random, size: number): Point | undefined {
  const onEdge = scene.background !== null && (defect === 'missing_part' || defect === 'deformation');
  const margin = Math.round(size * 0.1);
  const candidates: number[] = [];
  for (let y = margin; y < size - margin; y++) {
    for (let x = margin; x < size - margin; x++) {
      const s = scene.support[y * size + x] as number;
      if (onEdge) {
        const inner = [[-2, 0], [2, 0], [0, -2], [0, 2]].some(([dx, dy]) => (scene.support[(y + (dy as number)) * size + x + (dx as number)] as number) < 0.2);
        if (s > 0.5 && inner) candidates.push(y * size + x);
      } else if (s > 0.99) {
        const r = Math.round(size * 0.06);
        const solid = [[-r, 0], [r, 0], [0, -r], [0, r]].every(([dx, dy]) => (scene.support[(y + (dy as number)) * size + x + (dx as number)] as number) > 0.9);
        if (solid) candidates.push(y * size + x);
      }
    }
  }
  if (candidates.length === 0) return undefined;
  const p = rng.pick(candidates);
  return { x: (p % size) + rng.next(), y: Math.floor(p / size) + rng.next() };
}

/**
 * Paints one defect onto a normal scene (in place) and returns its pixel mask (255 = defect).
 * Retries at another spot when a placement leaves too small a mark.
 */
export function paintDefect(scene: Scene, defect: DefectName, rng: Random): Uint8Array {
  const size = scene.raster.width;
  const minimum = Math.max(4, Math.round((size * size) / 1000));
  for (let attempt = 0; attempt < 12; attempt++) {
    const centre = chooseCentre(scene, defect, rng, size);
    if (!centre) break;
    const canvas: Canvas = { raster: scene.raster.clone(), support: scene.support.slice(), background: scene.background, size, k: size / 64, mask: new Uint8Array(size * size) };
    (PAINTERS[defect] as Painter)(canvas, centre, rng);
    const area = canvas.mask.reduce((n, v) => n + (v ? 1 : 0), 0);
    if (area >= minimum) {
      scene.raster.data.set(canvas.raster.data);
      scene.support.set(canvas.support);
      return canvas.mask;
    }
  }
  throw new Error(`could not place a visible ${defect} defect`);
}
