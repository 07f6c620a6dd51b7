// SigLIP's vision transformer as LLaVA-OneVision uses it, from small to large: weights, patch rows,
// attention, MLP, one pre-LN encoder layer, the tower. The tower's output is the hidden state
// `vision_feature_layer` selects — never the post-layernorm, which the reference applies only to
// `last_hidden_state`, a tensor LLaVA-OneVision does not read. Shapes: n tiles, N = P² patches per
// tile, E the tower's width, h heads of d, K = C·p·p values per patch.

import { tanhGelu } from '../../nn/activations';
import { groupedQueryAttention } from '../../nn/attention';
import { linear } from '../../nn/linear';
import { layerNorm } from '../../nn/norms';
import { type LinearModule, type WeightSet, type WeightSpec, linearSpecs } from '../../nn/weights';
import { type Tensor, tf } from '../../tf';
import type { SiglipVisionConfig } from './llava-onevision-config';

const ones = { kind: 'ones' as const };
const zeros = { kind: 'zeros' as const };

/** The tower's linear layers (what LoRA may adapt there). */
export function siglipLinears(v: SiglipVisionConfig, prefix: string): LinearModule[] {
  const E = v.width;
  return Array.from({ length: v.layers }, (_, i): LinearModule[] => {
    const p = `${prefix}.encoder.layers.${i}`;
    return [
      ...['q_proj', 'k_proj', 'v_proj', 'out_proj'].map((name) => ({ module: `${p}.self_attn.${name}`, inFeatures: E, outFeatures: E, bias: true })),
      { module: `${p}.mlp.fc1`, inFeatures: E, outFeatures: v.mlpWidth, bias: true },
      { module: `${p}.mlp.fc2`, inFeatures: v.mlpWidth, outFeatures: E, bias: true },
    ];
  }).flat();
}

/**
 * Every weight of the tower under `prefix` (`vision_tower.vision_model` in the released
 * checkpoints), with transformers' names. The patch embedding is a convolution whose stride is its
 * kernel: a linear map of each patch, stored as [E, C, p, p]. The post-layernorm is declared (the
 * checkpoints carry it and saving keeps it) but not applied.
 */
export function siglipSpecs(v: SiglipVisionConfig, prefix: string, std: number, seed: number): WeightSpec[] {
  let next = seed;
  const E = v.width;
  const norm = (name: string): WeightSpec[] => [
    { name: `${name}.weight`, shape: [E], init: ones },
    { name: `${name}.bias`, shape: [E], init: zeros },
  ];
  const K = v.channels * v.patchSize * v.patchSize;
  const specs: WeightSpec[] = [
    { name: `${prefix}.embeddings.patch_embedding.weight`, shape: [K, E], init: { kind: 'normal', std, seed: ++next }, transposedInFile: true, fileShape: [E, v.channels, v.patchSize, v.patchSize] },
    { name: `${prefix}.embeddings.patch_embedding.bias`, shape: [E], init: zeros },
    { name: `${prefix}.embeddings.position_embedding.weight`, shape: [v.patchesPerSide ** 2, E], init: { kind: 'normal', std, seed: ++next } },
  ];
  const linears = siglipLinears(v, prefix);
  for (let i = 0; i < v.layers; i++) {
    const p = `${prefix}.encoder.layers.${i}`;
    specs.push(...norm(`${p}.layer_norm1`), ...norm(`${p}.layer_norm2`));
    for (const l of linears.filter((m) => m.module.startsWith(`${p}.`))) specs.push(...linearSpecs(l.module, l.inFeatures, l.outFeatures, { bias: true, std, seed: ++next, transposedInFile: true }));
  }
  specs.push(...norm(`${prefix}.post_layernorm`));
  return specs;
}

/**
 * Tiles channel-first [n, C, S, S] → patch rows [n·P², C·p·p], tile by tile, patches row by row,
 * each row (channel, y, x) as the convolution kernel is laid out. Pixels past P·p (384 − 27·14 = 6
 * at the right and bottom) are not read, as the stride-p convolution does not read them.
 */
export function siglipPatchRows(pixels: Float32Array, tiles: number, size: number, v: SiglipVisionConfig): Float32Array {
  const { patchSize: p, patchesPerSide: P, channels: C } = v;
  const K = C * p * p;
  const rows = new Float32Array(tiles * P * P * K);
  let k = 0;
  for (let t = 0; t < tiles; t++) {
    for (let py = 0; py < P; py++) {
      for (let px = 0; px < P; px++) {
        for (let c = 0; c < C; c++) {
          for (let y = 0; y < p; y++) {
            const start = ((t * C + c) * size + py * p + y) * size + px * p;
            rows.set(pixels.subarray(start, start + p), k);
            k += p;
          }
        }
      }
    }
  }
  return rows;
}

/** [n, N, E] → [n, h, N, d]. */
function toHeads(x: Tensor, heads: number, headDim: number): Tensor {
  const [n, steps] = x.shape as [number, number, number];
  return tf.transpose(tf.reshape(x, [n, steps, heads, headDim]), [0, 2, 1, 3]);
}

/** Full self-attention within each tile, biased projections, scores scaled by 1/√d. */
function siglipAttention(x: Tensor, weights: WeightSet, p: string, v: SiglipVisionConfig): Tensor {
  return tf.tidy(() => {
    const heads = (name: string) => toHeads(linear(x, weights, `${p}.${name}`), v.heads, v.headDim);
    return linear(groupedQueryAttention(heads('q_proj'), heads('k_proj'), heads('v_proj'), null, 1 / Math.sqrt(v.headDim)), weights, `${p}.out_proj`);
  });
}

/** One pre-LN encoder layer: x + attn(ln1(x)), then h + fc2(gelu_tanh(fc1(ln2(h)))). */
function siglipLayer(x: Tensor, weights: WeightSet, p: string, v: SiglipVisionConfig): Tensor {
  return tf.tidy(() => {
    const norm = (y: Tensor, name: string) => layerNorm(y, weights.get(`${p}.${name}.weight`), weights.get(`${p}.${name}.bias`), v.layerNormEps);
    const h = tf.add(x, siglipAttention(norm(x, 'layer_norm1'), weights, `${p}.self_attn`, v));
    return tf.add(h, linear(tanhGelu(linear(norm(h, 'layer_norm2'), weights, `${p}.mlp.fc1`)), weights, `${p}.mlp.fc2`));
  });
}

/**
 * The tower on an image's tiles: patch rows [n·N, K] → the hidden states after each of
 * `featureLayers` encoder layers (0 = the embeddings), concatenated, [n, N, E·layers]. Layers past
 * the last one selected are not run (the released checkpoints select the last).
 */
export function encodeSiglipTiles(patchRows: Tensor, tiles: number, weights: WeightSet, v: SiglipVisionConfig, prefix: string, featureLayers: readonly number[]): Tensor {
  return tf.tidy(() => {
    const N = v.patchesPerSide ** 2;
    const embedded = linear(patchRows, weights, `${prefix}.embeddings.patch_embedding`);
    let x = tf.add(tf.reshape(embedded, [tiles, N, v.width]), weights.get(`${prefix}.embeddings.position_embedding.weight`));
    const byLayer = new Map<number, Tensor>([[0, x]]);
    for (let i = 0; i < Math.max(...featureLayers); i++) {
      x = siglipLayer(x, weights, `${prefix}.encoder.layers.${i}`, v);
      byLayer.set(i + 1, x);
    }
    const selected = featureLayers.map((layer) => byLayer.get(layer) as Tensor);
    return selected.length === 1 ? (selected[0] as Tensor) : tf.concat(selected, -1);
  });
}
