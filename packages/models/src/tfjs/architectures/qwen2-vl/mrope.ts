// Multimodal rotary positions (M-RoPE) of Qwen2-VL and Qwen2.5-VL: every token has a temporal, a
// height and a width position; the head's frequencies are split in three sections, each rotated by
// one of them.

/** Positions on the three axes, one entry per token. */
export interface MropePositions {
  t: Int32Array;
  h: Int32Array;
  w: Int32Array;
  /** The position of the token after the sequence (largest position + 1): where decoding goes on. */
  next: number;
}

/** An image's merged-token grid in the language model: frames, rows, columns. */
export interface MergedGrid {
  t: number;
  h: number;
  w: number;
}

/**
 * The 3-D positions of one unpadded sequence, as transformers' `get_rope_index` assigns them:
 * text counts up on all three axes together; each image's run of `t·h·w` image tokens takes
 * (frame, row, column) offset by the position that follows the text before it; the text after an
 * image goes on from the largest position so far + 1.
 *
 * @example
 * // two text tokens, a 1 × 2 × 2 image, one text token
 * mropePositions([5, 6, 9, 9, 9, 9, 7], 9, [{ t: 1, h: 2, w: 2 }]);
 * // t: [0 1 2 2 2 2 4], h: [0 1 2 2 3 3 4], w: [0 1 2 3 2 3 4], next: 5
 */
export function mropePositions(ids: readonly number[], imageTokenId: number, grids: readonly MergedGrid[]): MropePositions {
  const n = ids.length;
  const t = new Int32Array(n);
  const h = new Int32Array(n);
  const w = new Int32Array(n);
  let at = 0;
  let next = 0;
  const text = (until: number) => {
    for (; at < until; at++, next++) t[at] = h[at] = w[at] = next;
  };
  for (const [k, grid] of grids.entries()) {
    const start = ids.indexOf(imageTokenId, at);
    if (start < 0) throw new RangeError(`the sequence has ${k} image token runs for ${grids.length} images`);
    text(start);
    const base = next;
    const count = grid.t * grid.h * grid.w;
    for (let i = 0; i < count; i++) {
      if (ids[start + i] !== imageTokenId) throw new RangeError(`image ${k} needs ${count} image tokens from position ${start}; position ${start + i} holds another token`);
      t[start + i] = base + Math.floor(i / (grid.h * grid.w));
      h[start + i] = base + (Math.floor(i / grid.w) % grid.h);
      w[start + i] = base + (i % grid.w);
    }
    at = start + count;
    next = base + Math.max(grid.t, grid.h, grid.w);
  }
  text(n);
  return { t, h, w, next };
}

/** Where one sequence sits in a padded batch row: its first column, and how many tokens it has. */
export interface PaddedSpan {
  positions: MropePositions;
  offset: number;
  length: number;
}

/**
 * The 3-D positions of a padded batch, [rows · steps] per axis: each sequence's positions from its
 * offset; tokens past its prompt (a completion being taught) go on from `next` on all three axes;
 * padding takes 1 on every axis, as the reference gives it (it is masked anyway).
 */
export function paddedMropePositions(spans: readonly PaddedSpan[], steps: number): Pick<MropePositions, 't' | 'h' | 'w'> {
  const size = spans.length * steps;
  const out = { t: new Int32Array(size).fill(1), h: new Int32Array(size).fill(1), w: new Int32Array(size).fill(1) };
  spans.forEach(({ positions, offset, length }, b) => {
    const prompt = positions.t.length;
    for (let k = 0; k < length; k++) {
      const at = b * steps + offset + k;
      const after = positions.next + k - prompt;
      out.t[at] = k < prompt ? (positions.t[k] as number) : after;
      out.h[at] = k < prompt ? (positions.h[k] as number) : after;
      out.w[at] = k < prompt ? (positions.w[k] as number) : after;
    }
  });
  return out;
}

/**
 * cos and sin [tokens × D] for 3-D positions: frequency i of the half-head (1/θ^(2i/D)) takes its
 * angle from the temporal position while i < s₀, the height position while i < s₀ + s₁, the width
 * position after (sections `s`), and the second half of the head repeats the first (rotate-half).
 */
export function mropeTables(positions: Pick<MropePositions, 't' | 'h' | 'w'>, inverseFrequencies: Float32Array, sections: readonly [number, number, number]): { cos: Float32Array; sin: Float32Array } {
  const half = inverseFrequencies.length;
  const dim = 2 * half;
  const n = positions.t.length;
  const axisOf = Int8Array.from({ length: half }, (_, i) => (i < sections[0] ? 0 : i < sections[0] + sections[1] ? 1 : 2));
  const axes = [positions.t, positions.h, positions.w];
  const cos = new Float32Array(n * dim);
  const sin = new Float32Array(n * dim);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(((axes[axisOf[i] as number] as Int32Array)[k] as number) * (inverseFrequencies[i] as number));
      const [c, s] = [Math.cos(angle), Math.sin(angle)];
      cos[k * dim + i] = c;
      cos[k * dim + half + i] = c;
      sin[k * dim + i] = s;
      sin[k * dim + half + i] = s;
    }
  }
  return { cos, sin };
}
