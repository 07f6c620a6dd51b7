import { untransposedMatMul } from './mat-mul';
import { type Tensor, type Variable, tf } from './tf';

// Small functional layers over named variables. Every op avoids `gather` on trainable tensors:
// its gradient needs UnsortedSegmentSum, which the wasm backend lacks.

/** Seeded normal initialiser with std 0.02 (GPT-2 style) or zeros/ones. */
export function initVariable(name: string, shape: number[], kind: 'normal' | 'zeros' | 'ones', seed: number, std = 0.02): Variable {
  // tfjs treats a seed of 0 as "no seed" (Math.random), so 0 is mapped to another fixed value.
  const init = kind === 'normal' ? tf.randomNormal(shape, 0, std, 'float32', seed === 0 ? 0x9e3779b9 : seed) : kind === 'zeros' ? tf.zeros(shape) : tf.ones(shape);
  const variable = tf.variable(init, true, name);
  init.dispose();
  return variable;
}

export function layerNorm(x: Tensor, gain: Tensor, bias: Tensor): Tensor {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), -1, true);
    return tf.add(tf.mul(tf.div(centred, tf.sqrt(tf.add(variance, 1e-5))), gain), bias);
  });
}

/** x [..., in] · w [in, out] + b, for any leading shape. */
export function dense(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  return tf.tidy(() => {
    const shape = x.shape;
    const flat = tf.reshape(x, [-1, shape[shape.length - 1] as number]);
    const y = untransposedMatMul(flat, w);
    const out = b ? tf.add(y, b) : y;
    return tf.reshape(out, [...shape.slice(0, -1), w.shape[1] as number]);
  });
}

/** GELU, sigmoid approximation x·σ(1.702x): only ops whose gradients every backend has. */
export function gelu(x: Tensor): Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

/** Weights of one pre-norm transformer block. */
export interface BlockWeights {
  ln1g: Variable;
  ln1b: Variable;
  qkv: Variable;
  qkvb: Variable;
  proj: Variable;
  projb: Variable;
  ln2g: Variable;
  ln2b: Variable;
  fc: Variable;
  fcb: Variable;
  out: Variable;
  outb: Variable;
}

export function createBlock(prefix: string, width: number, mlp: number, seed: number, layersForScaling: number): BlockWeights {
  const residualStd = 0.02 / Math.sqrt(2 * layersForScaling);
  return {
    ln1g: initVariable(`${prefix}.ln1.g`, [width], 'ones', 0),
    ln1b: initVariable(`${prefix}.ln1.b`, [width], 'zeros', 0),
    qkv: initVariable(`${prefix}.attn.qkv`, [width, 3 * width], 'normal', seed + 1),
    qkvb: initVariable(`${prefix}.attn.qkv_b`, [3 * width], 'zeros', 0),
    proj: initVariable(`${prefix}.attn.proj`, [width, width], 'normal', seed + 2, residualStd),
    projb: initVariable(`${prefix}.attn.proj_b`, [width], 'zeros', 0),
    ln2g: initVariable(`${prefix}.ln2.g`, [width], 'ones', 0),
    ln2b: initVariable(`${prefix}.ln2.b`, [width], 'zeros', 0),
    fc: initVariable(`${prefix}.mlp.fc`, [width, mlp], 'normal', seed + 3),
    fcb: initVariable(`${prefix}.mlp.fc_b`, [mlp], 'zeros', 0),
    out: initVariable(`${prefix}.mlp.out`, [mlp, width], 'normal', seed + 4, residualStd),
    outb: initVariable(`${prefix}.mlp.out_b`, [width], 'zeros', 0),
  };
}

/** A layer's keys and values so far, [B, heads, T, headDim] each. */
export interface KvCache {
  k: Tensor;
  v: Tensor;
}

/**
 * One pre-norm block: x + attn(ln(x)), then + mlp(ln(x)). `bias` is an additive attention mask
 * broadcastable to [B, heads, Tq, Tk]. With `cache`, keys/values of earlier positions are
 * prepended and the updated cache returned (the caller owns and disposes it).
 */
export function block(x: Tensor, w: BlockWeights, heads: number, bias: Tensor | null, cache?: KvCache): { y: Tensor; cache: KvCache | undefined } {
  const [batch, steps, width] = x.shape as [number, number, number];
  const headDim = width / heads;
  let nextCache: KvCache | undefined;
  const y = tf.tidy(() => {
    const h = layerNorm(x, w.ln1g, w.ln1b);
    const qkv = dense(h, w.qkv, w.qkvb);
    const split = (t: Tensor): Tensor => tf.transpose(tf.reshape(t, [batch, steps, heads, headDim]), [0, 2, 1, 3]);
    const [q, k, v] = tf.split(qkv, 3, -1).map(split) as [Tensor, Tensor, Tensor];
    let keys = k;
    let values = v;
    if (cache) {
      keys = tf.concat([cache.k, k], 2);
      values = tf.concat([cache.v, v], 2);
      nextCache = { k: tf.keep(keys), v: tf.keep(values) };
    }
    let scores = tf.div(untransposedMatMul(q, keys, { transposeB: true }), Math.sqrt(headDim));
    if (bias) scores = tf.add(scores, bias);
    const attended = untransposedMatMul(tf.softmax(scores, -1), values);
    const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [batch, steps, width]);
    const x1 = tf.add(x, dense(merged, w.proj, w.projb));
    const m = dense(gelu(dense(layerNorm(x1, w.ln2g, w.ln2b), w.fc, w.fcb)), w.out, w.outb);
    return tf.add(x1, m);
  });
  return { y, cache: nextCache };
}

/** All variables of a block, in a stable order. */
export function blockVariables(w: BlockWeights): Variable[] {
  return [w.ln1g, w.ln1b, w.qkv, w.qkvb, w.proj, w.projb, w.ln2g, w.ln2b, w.fc, w.fcb, w.out, w.outb];
}

/**
 * 3×3 convolution, stride 1, zero padding, then ReLU: x [N, H, W, C] · w [9·C, O] → [N, H, W, O].
 * Written as nine shifted slices and one matmul (im2col) because the wasm backend has no
 * Conv2DBackpropFilter kernel, so `tf.conv2d` could not be trained there; slice, pad and concat
 * have every gradient on every backend.
 */
export function conv3x3Relu(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return tf.tidy(() => {
    const [n, h, width, c] = x.shape as [number, number, number, number];
    const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const shifted: Tensor[] = [];
    for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) shifted.push(tf.slice(padded, [0, dy, dx, 0], [n, h, width, c]));
    const columns = tf.reshape(tf.concat(shifted, 3), [n * h * width, 9 * c]);
    return tf.reshape(tf.relu(tf.add(untransposedMatMul(columns, w), b)), [n, h, width, w.shape[1] as number]);
  });
}
