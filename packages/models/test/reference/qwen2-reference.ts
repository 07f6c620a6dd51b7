// A plain-loop Qwen2 forward pass in float64, written from the architecture's definition (RMSNorm,
// rotate-half RoPE with θ, grouped-query attention with q/k/v biases, SwiGLU, tied or untied
// head) and reading weights in PyTorch's layout ([out, in]) straight from the checkpoint: the
// independent expectation the TensorFlow.js decoder is checked against. Slow and obvious on purpose.

export interface ReferenceWeights {
  get(name: string): { shape: number[]; data: Float32Array } | undefined;
}

export interface ReferenceConfig {
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  eps: number;
  theta: number;
  tied: boolean;
  /** Weight-name prefix of the decoder; default `model`. */
  prefix?: string;
  /** Name of the untied output head's weight; default `lm_head.weight`. */
  head?: string;
  /** M-RoPE: frequencies taking the temporal, height and width positions (Qwen2-VL). */
  mropeSection?: [number, number, number];
}

/** Per token, its position on each of the three M-RoPE axes (all equal for plain RoPE). */
export type Positions3 = Array<[number, number, number]>;

export function weight(w: ReferenceWeights, name: string): Float32Array {
  const t = w.get(name);
  if (!t) throw new Error(`reference: missing ${name}`);
  return t.data;
}

/** y = W x (+ b) with W [out, in] row-major. */
export function matVec(W: Float32Array, x: number[], out: number, bias?: Float32Array): number[] {
  const n = x.length;
  const y = new Array<number>(out).fill(0);
  for (let o = 0; o < out; o++) {
    let s = bias ? (bias[o] as number) : 0;
    for (let i = 0; i < n; i++) s += (W[o * n + i] as number) * (x[i] as number);
    y[o] = s;
  }
  return y;
}

export function rmsNorm(x: number[], g: Float32Array, eps: number): number[] {
  const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
  const r = 1 / Math.sqrt(ms + eps);
  return x.map((v, i) => v * r * (g[i] as number));
}

/**
 * Rotates one head vector: pairs (i, i + D/2) by the angle p_i / θ^(2i/D), p_i the token's
 * position on the axis frequency i belongs to (one axis for plain RoPE; M-RoPE's sections).
 */
function rope(v: number[], position: [number, number, number], theta: number, sections?: [number, number, number]): number[] {
  const d = v.length;
  const half = d / 2;
  const out = v.slice();
  for (let i = 0; i < half; i++) {
    const axis = !sections ? 0 : i < sections[0] ? 0 : i < sections[0] + sections[1] ? 1 : 2;
    const angle = position[axis] / theta ** ((2 * i) / d);
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    out[i] = (v[i] as number) * c - (v[i + half] as number) * s;
    out[i + half] = (v[i + half] as number) * c + (v[i] as number) * s;
  }
  return out;
}

/** Logits [T][V] of one sequence of token ids at positions 0..T−1 (causal attention). */
export function referenceLogits(w: ReferenceWeights, c: ReferenceConfig, ids: readonly number[]): number[][] {
  const embed = weight(w, `${c.prefix ?? 'model'}.embed_tokens.weight`);
  const embeds = ids.map((id) => Array.from(embed.subarray(id * c.hidden, (id + 1) * c.hidden)));
  return referenceDecoderLogits(w, c, embeds, ids.map((_, t) => [t, t, t]));
}

/** Logits [T][V] of input embeddings at the given positions (causal attention). */
export function referenceDecoderLogits(w: ReferenceWeights, c: ReferenceConfig, embeds: number[][], positions: Positions3): number[][] {
  const D = c.hidden / c.heads;
  const group = c.heads / c.kvHeads;
  const prefix = c.prefix ?? 'model';
  const embed = weight(w, `${prefix}.embed_tokens.weight`);
  let xs = embeds.map((e) => e.slice());
  for (let l = 0; l < c.layers; l++) {
    const p = `${prefix}.layers.${l}`;
    const normed = xs.map((x) => rmsNorm(x, weight(w, `${p}.input_layernorm.weight`), c.eps));
    const qs = normed.map((x) => matVec(weight(w, `${p}.self_attn.q_proj.weight`), x, c.heads * D, weight(w, `${p}.self_attn.q_proj.bias`)));
    const ks = normed.map((x) => matVec(weight(w, `${p}.self_attn.k_proj.weight`), x, c.kvHeads * D, weight(w, `${p}.self_attn.k_proj.bias`)));
    const vs = normed.map((x) => matVec(weight(w, `${p}.self_attn.v_proj.weight`), x, c.kvHeads * D, weight(w, `${p}.self_attn.v_proj.bias`)));
    const attended = xs.map((_, t) => {
      const out: number[] = [];
      for (let h = 0; h < c.heads; h++) {
        const kv = Math.floor(h / group);
        const q = rope((qs[t] as number[]).slice(h * D, (h + 1) * D), positions[t] as [number, number, number], c.theta, c.mropeSection);
        const scores: number[] = [];
        for (let s = 0; s <= t; s++) {
          const k = rope((ks[s] as number[]).slice(kv * D, (kv + 1) * D), positions[s] as [number, number, number], c.theta, c.mropeSection);
          scores.push(q.reduce((a, qi, i) => a + qi * (k[i] as number), 0) / Math.sqrt(D));
        }
        const max = Math.max(...scores);
        const e = scores.map((sc) => Math.exp(sc - max));
        const z = e.reduce((a, b) => a + b, 0);
        const head = new Array<number>(D).fill(0);
        e.forEach((ei, s) => {
          const v = (vs[s] as number[]).slice(kv * D, (kv + 1) * D);
          for (let i = 0; i < D; i++) head[i] = (head[i] as number) + (ei / z) * (v[i] as number);
        });
        out.push(...head);
      }
      return matVec(weight(w, `${p}.self_attn.o_proj.weight`), out, c.hidden);
    });
    xs = xs.map((x, t) => x.map((v, i) => v + ((attended[t] as number[])[i] as number)));
    xs = xs.map((x) => {
      const h = rmsNorm(x, weight(w, `${p}.post_attention_layernorm.weight`), c.eps);
      const gate = matVec(weight(w, `${p}.mlp.gate_proj.weight`), h, c.intermediate);
      const up = matVec(weight(w, `${p}.mlp.up_proj.weight`), h, c.intermediate);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * (up[i] as number));
      const down = matVec(weight(w, `${p}.mlp.down_proj.weight`), act, c.hidden);
      return x.map((v, i) => v + (down[i] as number));
    });
  }
  const head = c.tied ? embed : weight(w, c.head ?? 'lm_head.weight');
  return xs.map((x) => matVec(head, rmsNorm(x, weight(w, `${prefix}.norm.weight`), c.eps), c.vocab));
}
