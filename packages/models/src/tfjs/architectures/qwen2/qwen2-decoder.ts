// The Qwen2 decoder in TensorFlow.js: the language model of Qwen2, Qwen2-VL, Qwen2.5-VL and
// LLaVA-OneVision. From small to large: the weights, attention, MLP, one layer, the stack, the
// output head. Shapes: B batch, T new positions, S positions attended (cache + new), H hidden size,
// nH / nKV query / key-value heads, D head dimension, I intermediate size, V vocabulary.

import { untransposedMatMul } from '../../mat-mul';
import { silu } from '../../nn/activations';
import { type CacheSlot, type KvCache, extendCache, groupedQueryAttention } from '../../nn/attention';
import { dense, linear } from '../../nn/linear';
import { rmsNorm } from '../../nn/norms';
import { applyRotary } from '../../nn/rotary';
import { type LinearModule, type WeightSet, type WeightSpec, linearSpecs } from '../../nn/weights';
import { type Tensor, tf } from '../../tf';
import type { Qwen2DecoderConfig } from './qwen2-config';

/** Rotary tables for the positions being computed, [B, 1, T, D] each (1-D positions or M-RoPE). */
export interface RotaryInputs {
  cos: Tensor;
  sin: Tensor;
}

/** The linear layers of decoder layer i, with their shapes. */
export function qwen2LayerLinears(c: Qwen2DecoderConfig, prefix: string, i: number): LinearModule[] {
  const p = `${prefix}.layers.${i}`;
  const q = c.heads * c.headDim;
  const kv = c.kvHeads * c.headDim;
  return [
    { module: `${p}.self_attn.q_proj`, inFeatures: c.hiddenSize, outFeatures: q, bias: true },
    { module: `${p}.self_attn.k_proj`, inFeatures: c.hiddenSize, outFeatures: kv, bias: true },
    { module: `${p}.self_attn.v_proj`, inFeatures: c.hiddenSize, outFeatures: kv, bias: true },
    { module: `${p}.self_attn.o_proj`, inFeatures: q, outFeatures: c.hiddenSize, bias: false },
    { module: `${p}.mlp.gate_proj`, inFeatures: c.hiddenSize, outFeatures: c.intermediateSize, bias: false },
    { module: `${p}.mlp.up_proj`, inFeatures: c.hiddenSize, outFeatures: c.intermediateSize, bias: false },
    { module: `${p}.mlp.down_proj`, inFeatures: c.intermediateSize, outFeatures: c.hiddenSize, bias: false },
  ];
}

/**
 * Every weight of the decoder under `prefix` (`model` in Qwen2ForCausalLM), with transformers'
 * names; linear weights are held [in, out] and stored [out, in] as PyTorch does. `headName` is the
 * untied output head (`lm_head`), absent with tied embeddings.
 */
export function qwen2DecoderSpecs(c: Qwen2DecoderConfig, prefix: string, headName: string, seed: number): WeightSpec[] {
  const std = c.initializerRange;
  let next = seed;
  const ones = { kind: 'ones' as const };
  const specs: WeightSpec[] = [{ name: `${prefix}.embed_tokens.weight`, shape: [c.vocabSize, c.hiddenSize], init: { kind: 'normal', std, seed: ++next } }];
  for (let i = 0; i < c.layers; i++) {
    specs.push({ name: `${prefix}.layers.${i}.input_layernorm.weight`, shape: [c.hiddenSize], init: ones });
    for (const l of qwen2LayerLinears(c, prefix, i)) {
      if (l.module.endsWith('down_proj')) specs.push({ name: `${prefix}.layers.${i}.post_attention_layernorm.weight`, shape: [c.hiddenSize], init: ones });
      specs.push(...linearSpecs(l.module, l.inFeatures, l.outFeatures, { bias: l.bias, std, seed: ++next, transposedInFile: true }));
    }
  }
  specs.push({ name: `${prefix}.norm.weight`, shape: [c.hiddenSize], init: ones });
  if (!c.tieWordEmbeddings) specs.push(...linearSpecs(headName, c.hiddenSize, c.vocabSize, { bias: false, std, seed: ++next, transposedInFile: true }));
  return specs;
}

/** [B, T, n·D] → [B, n, T, D]. */
function toHeads(x: Tensor, heads: number, headDim: number): Tensor {
  const [batch, steps] = x.shape as [number, number, number];
  return tf.transpose(tf.reshape(x, [batch, steps, heads, headDim]), [0, 2, 1, 3]);
}

/**
 * Grouped-query self-attention with biased q/k/v projections and rotary positions. Keys are
 * cached after rotation; with a cache slot, the new keys and values are appended to its past and
 * the grown cache returned (kept; the caller disposes it).
 */
export function qwen2Attention(x: Tensor, weights: WeightSet, p: string, c: Qwen2DecoderConfig, rope: RotaryInputs, bias: Tensor | null, cache?: CacheSlot): { y: Tensor; cache: KvCache | undefined } {
  let nextCache: KvCache | undefined;
  const y = tf.tidy(() => {
    const q = applyRotary(toHeads(linear(x, weights, `${p}.q_proj`), c.heads, c.headDim), rope.cos, rope.sin);
    const k = applyRotary(toHeads(linear(x, weights, `${p}.k_proj`), c.kvHeads, c.headDim), rope.cos, rope.sin);
    const v = toHeads(linear(x, weights, `${p}.v_proj`), c.kvHeads, c.headDim);
    let keys = k;
    let values = v;
    if (cache) {
      nextCache = extendCache(cache.past, k, v);
      keys = nextCache.k;
      values = nextCache.v;
    }
    return linear(groupedQueryAttention(q, keys, values, bias, 1 / Math.sqrt(c.headDim)), weights, `${p}.o_proj`);
  });
  return { y, cache: nextCache };
}

/** The SwiGLU MLP: down(silu(gate(x)) ⊙ up(x)). */
export function qwen2Mlp(x: Tensor, weights: WeightSet, p: string): Tensor {
  return tf.tidy(() => linear(tf.mul(silu(linear(x, weights, `${p}.gate_proj`)), linear(x, weights, `${p}.up_proj`)), weights, `${p}.down_proj`));
}

/** One decoder layer: x + attn(rmsnorm(x)), then + mlp(rmsnorm(x)). */
export function qwen2Layer(x: Tensor, weights: WeightSet, p: string, c: Qwen2DecoderConfig, rope: RotaryInputs, bias: Tensor | null, cache?: CacheSlot): { y: Tensor; cache: KvCache | undefined } {
  let nextCache: KvCache | undefined;
  const y = tf.tidy(() => {
    const attended = qwen2Attention(rmsNorm(x, weights.get(`${p}.input_layernorm.weight`), c.rmsNormEps), weights, `${p}.self_attn`, c, rope, bias, cache);
    nextCache = attended.cache;
    const h = tf.add(x, attended.y);
    return tf.add(h, qwen2Mlp(rmsNorm(h, weights.get(`${p}.post_attention_layernorm.weight`), c.rmsNormEps), weights, `${p}.mlp`));
  });
  return { y, cache: nextCache };
}

/**
 * The decoder stack over input embeddings [B, T, H] (token embeddings, with image features placed
 * in by a VLM), then the final RMSNorm: hidden states [B, T, H]. With `caches` (one per layer, or
 * `[]` before the prompt), each layer's keys and values are appended and the new caches returned
 * in order (the caller disposes the old ones).
 */
export function qwen2Decoder(
  inputs: Tensor,
  weights: WeightSet,
  c: Qwen2DecoderConfig,
  prefix: string,
  rope: RotaryInputs,
  bias: Tensor | null,
  caches?: readonly KvCache[],
): { hidden: Tensor; caches: KvCache[] } {
  const nextCaches: KvCache[] = [];
  const hidden = tf.tidy(() => {
    let x = inputs;
    for (let i = 0; i < c.layers; i++) {
      const out = qwen2Layer(x, weights, `${prefix}.layers.${i}`, c, rope, bias, caches ? { past: caches[i] } : undefined);
      x = out.y;
      if (out.cache) nextCaches.push(out.cache);
    }
    return rmsNorm(x, weights.get(`${prefix}.norm.weight`), c.rmsNormEps);
  });
  return { hidden, caches: nextCaches };
}

/** Output logits of hidden states [N, H] → [N, V]: the untied head, or the token embedding transposed. */
export function qwen2Logits(hidden: Tensor, weights: WeightSet, c: Qwen2DecoderConfig, prefix: string, headName: string): Tensor {
  return tf.tidy(() => (c.tieWordEmbeddings ? untransposedMatMul(hidden, weights.get(`${prefix}.embed_tokens.weight`), { transposeB: true }) : dense(hidden, weights.get(`${headName}.weight`))));
}
