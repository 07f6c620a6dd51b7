// The vision tower of Qwen2-VL and Qwen2.5-VL, from small to large: weights, 2-D rotary
// positions, window ids, attention, MLP, one block, the 2 × 2 patch merger, the tower. Shapes:
// n patches of one image, E the tower's width, h heads of d, K = C·T·P·P values per patch.

import { erfGelu, sigmoidGelu, silu } from '../../nn/activations';
import { MASKED, groupedQueryAttention } from '../../nn/attention';
import { linear } from '../../nn/linear';
import { layerNorm, rmsNorm } from '../../nn/norms';
import { applyRotary, rotaryInverseFrequencies } from '../../nn/rotary';
import { type LinearModule, type WeightSet, type WeightSpec, linearSpecs } from '../../nn/weights';
import { type Tensor, tf } from '../../tf';
import type { Qwen2VisionConfig, Qwen2VlVariant } from './qwen2-vl-config';

const ones = { kind: 'ones' as const };
const zeros = { kind: 'zeros' as const };

/** The tower's linear layers (what LoRA may adapt there). */
export function qwen2VisionLinears(v: Qwen2VisionConfig, variant: Qwen2VlVariant, prefix: string): LinearModule[] {
  const E = v.width;
  const blocks = Array.from({ length: v.depth }, (_, i): LinearModule[] => {
    const p = `${prefix}.blocks.${i}`;
    const mlp: LinearModule[] =
      variant === 'qwen2_vl'
        ? [
            { module: `${p}.mlp.fc1`, inFeatures: E, outFeatures: v.mlpWidth, bias: true },
            { module: `${p}.mlp.fc2`, inFeatures: v.mlpWidth, outFeatures: E, bias: true },
          ]
        : [
            { module: `${p}.mlp.gate_proj`, inFeatures: E, outFeatures: v.mlpWidth, bias: true },
            { module: `${p}.mlp.up_proj`, inFeatures: E, outFeatures: v.mlpWidth, bias: true },
            { module: `${p}.mlp.down_proj`, inFeatures: v.mlpWidth, outFeatures: E, bias: true },
          ];
    return [{ module: `${p}.attn.qkv`, inFeatures: E, outFeatures: 3 * E, bias: true }, { module: `${p}.attn.proj`, inFeatures: E, outFeatures: E, bias: true }, ...mlp];
  }).flat();
  const merged = E * v.mergeSize ** 2;
  return [...blocks, { module: `${prefix}.merger.mlp.0`, inFeatures: merged, outFeatures: merged, bias: true }, { module: `${prefix}.merger.mlp.2`, inFeatures: merged, outFeatures: v.outWidth, bias: true }];
}

/**
 * Every weight of the tower under `prefix` (`visual` in the released checkpoints, `model.visual`
 * as newer transformers saves them), with transformers' names. The patch embedding is a 3-D
 * convolution whose stride is its kernel: a linear map of each patch, stored as [E, C, T, P, P].
 */
export function qwen2VisionSpecs(v: Qwen2VisionConfig, variant: Qwen2VlVariant, prefix: string, std: number, seed: number): WeightSpec[] {
  let next = seed;
  const E = v.width;
  const norm = (name: string): WeightSpec[] => [{ name: `${name}.weight`, shape: [E], init: ones }, ...(variant === 'qwen2_vl' ? [{ name: `${name}.bias`, shape: [E], init: zeros }] : [])];
  const K = v.inChannels * v.temporalPatchSize * v.patchSize * v.patchSize;
  const specs: WeightSpec[] = [
    { name: `${prefix}.patch_embed.proj.weight`, shape: [K, E], init: { kind: 'normal', std, seed: ++next }, transposedInFile: true, fileShape: [E, v.inChannels, v.temporalPatchSize, v.patchSize, v.patchSize] },
  ];
  const linears = qwen2VisionLinears(v, variant, prefix);
  for (let i = 0; i < v.depth; i++) {
    const p = `${prefix}.blocks.${i}`;
    specs.push(...norm(`${p}.norm1`), ...norm(`${p}.norm2`));
    for (const l of linears.filter((m) => m.module.startsWith(`${p}.`))) specs.push(...linearSpecs(l.module, l.inFeatures, l.outFeatures, { bias: l.bias, std, seed: ++next, transposedInFile: true }));
  }
  specs.push(...norm(`${prefix}.merger.ln_q`));
  for (const l of linears.filter((m) => m.module.startsWith(`${prefix}.merger.`))) specs.push(...linearSpecs(l.module, l.inFeatures, l.outFeatures, { bias: true, std, seed: ++next, transposedInFile: true }));
  return specs;
}

/**
 * cos and sin [n × d] of the 2-D rotary positions of an image's patches, in the processor's order
 * (2 × 2 blocks row by row): a quarter of the head rotates by the patch's row, a quarter by its
 * column (frequencies 1/10000^(2i/(d/2))), each quarter repeated for the two halves.
 */
export function visionRotaryTables(gridH: number, gridW: number, mergeSize: number, headDim: number): { cos: Float32Array; sin: Float32Array } {
  const inverse = rotaryInverseFrequencies(headDim / 2, 10000);
  const quarter = inverse.length;
  const n = gridH * gridW;
  const cos = new Float32Array(n * headDim);
  const sin = new Float32Array(n * headDim);
  let row = 0;
  for (let bh = 0; bh < gridH / mergeSize; bh++) {
    for (let bw = 0; bw < gridW / mergeSize; bw++) {
      for (let mh = 0; mh < mergeSize; mh++) {
        for (let mw = 0; mw < mergeSize; mw++) {
          const positions = [bh * mergeSize + mh, bw * mergeSize + mw];
          for (let axis = 0; axis < 2; axis++) {
            for (let i = 0; i < quarter; i++) {
              const angle = Math.fround((positions[axis] as number) * (inverse[i] as number));
              const [c, s] = [Math.cos(angle), Math.sin(angle)];
              for (const half of [0, headDim / 2]) {
                cos[row * headDim + half + axis * quarter + i] = c;
                sin[row * headDim + half + axis * quarter + i] = s;
              }
            }
          }
          row++;
        }
      }
    }
  }
  return { cos, sin };
}

/**
 * Qwen2.5-VL's attention windows: the window of each patch (processor order), windows of
 * `windowPatches` × `windowPatches` patches laid from the top-left corner (edge windows smaller).
 */
export function windowIds(gridH: number, gridW: number, mergeSize: number, windowPatches: number): Int32Array {
  const merged = windowPatches / mergeSize;
  const across = Math.ceil(gridW / mergeSize / merged);
  const ids = new Int32Array(gridH * gridW);
  let row = 0;
  for (let bh = 0; bh < gridH / mergeSize; bh++) {
    for (let bw = 0; bw < gridW / mergeSize; bw++) {
      const id = Math.floor(bh / merged) * across + Math.floor(bw / merged);
      for (let k = 0; k < mergeSize * mergeSize; k++) ids[row++] = id;
    }
  }
  return ids;
}

/** An additive mask [1, 1, n, n] that lets a patch attend only to patches of its own window. */
function windowBias(ids: Int32Array): Tensor {
  const n = ids.length;
  const bias = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (ids[i] !== ids[j]) bias[i * n + j] = MASKED;
  return tf.tensor4d(bias, [1, 1, n, n]);
}

/** The block's norm: LayerNorm (Qwen2-VL) or RMSNorm (Qwen2.5-VL), ε = 1e-6. */
function norm(x: Tensor, weights: WeightSet, name: string): Tensor {
  return weights.has(`${name}.bias`) ? layerNorm(x, weights.get(`${name}.weight`), weights.get(`${name}.bias`), 1e-6) : rmsNorm(x, weights.get(`${name}.weight`), 1e-6);
}

/** Self-attention over one image's patches [1, n, E]: fused qkv, 2-D rotary q and k, no causal mask. */
function visionAttention(x: Tensor, weights: WeightSet, p: string, v: Qwen2VisionConfig, cos: Tensor, sin: Tensor, bias: Tensor | null): Tensor {
  return tf.tidy(() => {
    const n = x.shape[1] as number;
    const qkv = tf.transpose(tf.reshape(linear(x, weights, `${p}.qkv`), [n, 3, v.heads, v.headDim]), [1, 2, 0, 3]);
    const [q, k, value] = tf.split(qkv, 3, 0) as [Tensor, Tensor, Tensor];
    return linear(groupedQueryAttention(applyRotary(q, cos, sin), applyRotary(k, cos, sin), value, bias, 1 / Math.sqrt(v.headDim)), weights, `${p}.proj`);
  });
}

/** The block's MLP: fc2(quick_gelu(fc1(x))) in Qwen2-VL, down(silu(gate(x)) ⊙ up(x)) in Qwen2.5-VL. */
function visionMlp(x: Tensor, weights: WeightSet, p: string, variant: Qwen2VlVariant): Tensor {
  return tf.tidy(() => (variant === 'qwen2_vl' ? linear(sigmoidGelu(linear(x, weights, `${p}.fc1`)), weights, `${p}.fc2`) : linear(tf.mul(silu(linear(x, weights, `${p}.gate_proj`)), linear(x, weights, `${p}.up_proj`)), weights, `${p}.down_proj`)));
}

/**
 * The tower on one image: patch rows [n, K] → merged tokens [n / merge², outWidth], in the
 * processor's order (which is the order the language model places them in). Qwen2.5-VL's window
 * blocks mask attention to each patch's window — the same as the reference's reordering into
 * windows, since attention does not depend on the order of its tokens.
 */
export function encodeQwen2VlImage(patches: Tensor, gridH: number, gridW: number, weights: WeightSet, v: Qwen2VisionConfig, variant: Qwen2VlVariant, prefix: string): Tensor {
  return tf.tidy(() => {
    const n = gridH * gridW;
    const tables = visionRotaryTables(gridH, gridW, v.mergeSize, v.headDim);
    const cos = tf.tensor4d(tables.cos, [1, 1, n, v.headDim]);
    const sin = tf.tensor4d(tables.sin, [1, 1, n, v.headDim]);
    const windows = v.windowSize !== undefined ? windowBias(windowIds(gridH, gridW, v.mergeSize, v.windowSize / v.patchSize)) : null;
    let x = tf.expandDims(linear(patches, weights, `${prefix}.patch_embed.proj`), 0);
    for (let i = 0; i < v.depth; i++) {
      const p = `${prefix}.blocks.${i}`;
      const bias = windows && !v.fullAttentionBlocks.includes(i) ? windows : null;
      const h = tf.add(x, visionAttention(norm(x, weights, `${p}.norm1`), weights, `${p}.attn`, v, cos, sin, bias));
      x = tf.add(h, visionMlp(norm(h, weights, `${p}.norm2`), weights, `${p}.mlp`, variant));
    }
    const grouped = tf.reshape(norm(tf.squeeze(x, [0]), weights, `${prefix}.merger.ln_q`), [n / v.mergeSize ** 2, v.width * v.mergeSize ** 2]);
    return linear(erfGelu(linear(grouped, weights, `${prefix}.merger.mlp.0`)), weights, `${prefix}.merger.mlp.2`);
  });
}
