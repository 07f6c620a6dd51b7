/** Kinds of self-made anomaly {@link pasteSyntheticAnomaly} draws. */
export const SYNTHETIC_ANOMALY_KINDS = ['cut-paste', 'scar', 'blob'] as const;
export type SyntheticAnomalyKind = (typeof SYNTHETIC_ANOMALY_KINDS)[number];

/**
 * A copy of a normal image with one self-made local irregularity, for self-supervised
 * pretraining (the idea of CutPaste, Li et al. 2021): a small patch of the image pasted elsewhere
 * (possibly transposed, brightness jittered), a thin line of a random colour, or a small disc of
 * a random colour blended in. It uses no defect labels or masks, only normal images.
 * `pixels` is size × size × 3 floats in [0, 1], row-major; `random` is uniform in [0, 1).
 *
 * @example
 * const odd = pasteSyntheticAnomaly(pixels, 32, mulberry32(1));
 */
export function pasteSyntheticAnomaly(pixels: Float32Array, size: number, random: () => number, kind?: SyntheticAnomalyKind): { pixels: Float32Array; kind: SyntheticAnomalyKind } {
  const out = Float32Array.from(pixels);
  const chosen = kind ?? (SYNTHETIC_ANOMALY_KINDS[Math.floor(random() * SYNTHETIC_ANOMALY_KINDS.length)] as SyntheticAnomalyKind);
  const int = (n: number): number => Math.floor(random() * n);
  const unit = Math.max(1, size / 32); // sizes scale with the image
  const set = (x: number, y: number, rgb: readonly number[], mix = 1): void => {
    if (x < 0 || y < 0 || x >= size || y >= size) return;
    for (let c = 0; c < 3; c++) {
      const i = (y * size + x) * 3 + c;
      out[i] = mix * (rgb[c] as number) + (1 - mix) * (out[i] as number);
    }
  };
  if (chosen === 'cut-paste') {
    const w = Math.round((2 + int(6)) * unit);
    const h = Math.round((2 + int(6)) * unit);
    const [sx, sy, dx, dy] = [int(size - w), int(size - h), int(size - w), int(size - h)];
    const transpose = random() < 0.5;
    const gain = 0.7 + 0.6 * random();
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const [fx, fy] = transpose ? [sx + (y % w), sy + (x % h)] : [sx + x, sy + y];
        const from = (fy * size + fx) * 3;
        set(dx + x, dy + y, [0, 1, 2].map((c) => Math.min(1, (pixels[from + c] as number) * gain)));
      }
    }
  } else if (chosen === 'scar') {
    const length = (4 + int(10)) * unit;
    const angle = random() * Math.PI;
    const [x0, y0] = [random() * size, random() * size];
    const colour = [random(), random(), random()];
    for (let t = 0; t < length; t++) set(Math.round(x0 + t * Math.cos(angle)), Math.round(y0 + t * Math.sin(angle)), colour);
  } else {
    const radius = (1 + random() * 3) * unit;
    const [cx, cy] = [random() * size, random() * size];
    const colour = [random(), random(), random()];
    const mix = 0.5 + 0.5 * random();
    for (let y = Math.floor(cy - radius); y <= cy + radius; y++) for (let x = Math.floor(cx - radius); x <= cx + radius; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= radius * radius) set(x, y, colour, mix);
  }
  return { pixels: out, kind: chosen };
}
