// A plain-loop float64 Qwen2-VL / Qwen2.5-VL forward pass written from the architecture's
// definition — patch embedding from the 3-D convolution kernel as stored, 2-D rotary positions,
// LayerNorm + QuickGELU (Qwen2-VL) or RMSNorm + SwiGLU (Qwen2.5-VL) blocks, windows enumerated as
// the reference pads and tiles the merged grid, the 2 × 2 merger with erf GELU — then the image
// features placed at the image tokens and the decoder with M-RoPE. Slow and obvious on purpose.
import { type Positions3, type ReferenceConfig, type ReferenceWeights, matVec, referenceDecoderLogits, rmsNorm, weight } from './qwen2-reference';

export interface ReferenceVision {
  variant: 'qwen2_vl' | 'qwen2_5_vl';
  prefix: string;
  depth: number;
  width: number;
  heads: number;
  mlpWidth: number;
  patchSize: number;
  mergeSize: number;
  /** Qwen2.5-VL: window side in pixels, and the blocks that attend over the whole image. */
  windowSize?: number;
  fullAttentionBlocks?: number[];
}

// Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
export function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

export function layerNorm(x: number[], g: Float32Array, b: Float32Array, eps: number): number[] {
  const mean = x.reduce((a, v) => a + v, 0) / x.length;
  const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * (g[i] as number) + (b[i] as number));
}

/** The positions (row, column) of the patches of a grid in the processor's order (2 × 2 blocks row by row). */
function patchPositions(gridH: number, gridW: number, m: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let bh = 0; bh < gridH / m; bh++) for (let bw = 0; bw < gridW / m; bw++) for (let mh = 0; mh < m; mh++) for (let mw = 0; mw < m; mw++) out.push([bh * m + mh, bw * m + mw]);
  return out;
}

/** Which patches share a window: the merged grid padded to whole windows, cut into window × window tiles. */
function windowMembers(gridH: number, gridW: number, v: ReferenceVision): number[][] {
  const per = (v.windowSize as number) / v.mergeSize / v.patchSize;
  const [mh, mw] = [gridH / v.mergeSize, gridW / v.mergeSize];
  const windows: number[][] = [];
  for (let wh = 0; wh < Math.ceil(mh / per) + 1; wh++) {
    for (let ww = 0; ww < Math.ceil(mw / per) + 1; ww++) {
      const merged: number[] = [];
      for (let i = 0; i < per; i++) for (let j = 0; j < per; j++) if (wh * per + i < mh && ww * per + j < mw) merged.push((wh * per + i) * mw + ww * per + j);
      // Each merged token is 2 × 2 consecutive patch rows.
      if (merged.length > 0) windows.push(merged.flatMap((k) => Array.from({ length: v.mergeSize ** 2 }, (_, q) => k * v.mergeSize ** 2 + q)));
    }
  }
  return windows;
}

/** Merged image features [n / 4][outWidth] of one image's patch rows [n][K]. */
export function referenceVision(w: ReferenceWeights, v: ReferenceVision, patches: number[][], gridH: number, gridW: number): number[][] {
  const E = v.width;
  const d = E / v.heads;
  const p = v.prefix;
  const n = patches.length;
  const K = (patches[0] as number[]).length;
  let xs = patches.map((row) => matVec(weight(w, `${p}.patch_embed.proj.weight`), row, E));
  const positions = patchPositions(gridH, gridW, v.mergeSize);
  // Rotary: frequency j < d/4 of 1/10000^(2j/(d/2)); the first quarter rotates by the row, the second by the column.
  const angles = positions.map(([r, c]) => [...Array.from({ length: d / 4 }, (_, j) => r / 10000 ** ((2 * j) / (d / 2))), ...Array.from({ length: d / 4 }, (_, j) => c / 10000 ** ((2 * j) / (d / 2)))]);
  const rotate = (vec: number[], a: number[]) => vec.map((x, i) => (i < d / 2 ? x * Math.cos(a[i] as number) - (vec[i + d / 2] as number) * Math.sin(a[i] as number) : x * Math.cos(a[i - d / 2] as number) + (vec[i - d / 2] as number) * Math.sin(a[i - d / 2] as number)));
  const everyone = [Array.from({ length: n }, (_, i) => i)];
  const windows = v.windowSize ? windowMembers(gridH, gridW, v) : everyone;
  const norm = (x: number[], name: string) => (v.variant === 'qwen2_vl' ? layerNorm(x, weight(w, `${name}.weight`), weight(w, `${name}.bias`), 1e-6) : rmsNorm(x, weight(w, `${name}.weight`), 1e-6));
  for (let l = 0; l < v.depth; l++) {
    const b = `${p}.blocks.${l}`;
    const groups = v.windowSize && !(v.fullAttentionBlocks ?? []).includes(l) ? windows : everyone;
    const h = xs.map((x) => norm(x, `${b}.norm1`));
    const qkv = h.map((x) => matVec(weight(w, `${b}.attn.qkv.weight`), x, 3 * E, weight(w, `${b}.attn.qkv.bias`)));
    const attended = xs.map(() => new Array<number>(E).fill(0));
    for (const group of groups) {
      for (let head = 0; head < v.heads; head++) {
        const q = (i: number) => rotate((qkv[i] as number[]).slice(head * d, (head + 1) * d), angles[i] as number[]);
        const k = (i: number) => rotate((qkv[i] as number[]).slice(E + head * d, E + (head + 1) * d), angles[i] as number[]);
        const val = (i: number) => (qkv[i] as number[]).slice(2 * E + head * d, 2 * E + (head + 1) * d);
        for (const i of group) {
          const qi = q(i);
          const scores = group.map((j) => k(j).reduce((a, kj, z) => a + kj * (qi[z] as number), 0) / Math.sqrt(d));
          const max = Math.max(...scores);
          const e = scores.map((s) => Math.exp(s - max));
          const sum = e.reduce((a, x) => a + x, 0);
          group.forEach((j, gj) => val(j).forEach((vz, z) => ((attended[i] as number[])[head * d + z] = ((attended[i] as number[])[head * d + z] as number) + ((e[gj] as number) / sum) * vz)));
        }
      }
    }
    xs = xs.map((x, i) => x.map((value, z) => value + (matVec(weight(w, `${b}.attn.proj.weight`), attended[i] as number[], E, weight(w, `${b}.attn.proj.bias`))[z] as number)));
    xs = xs.map((x) => {
      const hh = norm(x, `${b}.norm2`);
      let out: number[];
      if (v.variant === 'qwen2_vl') {
        const f = matVec(weight(w, `${b}.mlp.fc1.weight`), hh, v.mlpWidth, weight(w, `${b}.mlp.fc1.bias`)).map((z) => z / (1 + Math.exp(-1.702 * z)));
        out = matVec(weight(w, `${b}.mlp.fc2.weight`), f, E, weight(w, `${b}.mlp.fc2.bias`));
      } else {
        const gate = matVec(weight(w, `${b}.mlp.gate_proj.weight`), hh, v.mlpWidth, weight(w, `${b}.mlp.gate_proj.bias`));
        const up = matVec(weight(w, `${b}.mlp.up_proj.weight`), hh, v.mlpWidth, weight(w, `${b}.mlp.up_proj.bias`));
        out = matVec(weight(w, `${b}.mlp.down_proj.weight`), gate.map((g, z) => (g / (1 + Math.exp(-g))) * (up[z] as number)), E, weight(w, `${b}.mlp.down_proj.bias`));
      }
      return x.map((value, z) => value + (out[z] as number));
    });
  }
  void K;
  const normed = xs.map((x) => norm(x, `${p}.merger.ln_q`));
  const groupSize = v.mergeSize ** 2;
  const merged: number[][] = [];
  for (let i = 0; i < n; i += groupSize) merged.push(normed.slice(i, i + groupSize).flat());
  const hiddenWidth = E * groupSize;
  const outWidth = weight(w, `${p}.merger.mlp.2.bias`).length;
  return merged.map((x) => {
    const h1 = matVec(weight(w, `${p}.merger.mlp.0.weight`), x, hiddenWidth, weight(w, `${p}.merger.mlp.0.bias`)).map((z) => 0.5 * z * (1 + erf(z / Math.SQRT2)));
    return matVec(weight(w, `${p}.merger.mlp.2.weight`), h1, outWidth, weight(w, `${p}.merger.mlp.2.bias`));
  });
}

/**
 * Logits [T][V] of a prompt's ids whose image tokens take the given images' features in order,
 * at the given 3-D positions.
 */
export function referenceQwen2VlLogits(w: ReferenceWeights, text: ReferenceConfig, vision: ReferenceVision, ids: readonly number[], imageTokenId: number, images: Array<{ patches: number[][]; gridH: number; gridW: number }>, positions: Positions3): number[][] {
  const features = images.flatMap((image) => referenceVision(w, vision, image.patches, image.gridH, image.gridW));
  const embed = weight(w, `${text.prefix ?? 'model'}.embed_tokens.weight`);
  let k = 0;
  const embeds = ids.map((id) => (id === imageTokenId ? (features[k++] as number[]) : Array.from(embed.subarray(id * text.hidden, (id + 1) * text.hidden))));
  if (k !== features.length) throw new Error(`reference: ${k} image tokens for ${features.length} features`);
  return referenceDecoderLogits(w, text, embeds, positions);
}
