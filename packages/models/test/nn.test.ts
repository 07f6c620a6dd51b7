import { beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import { applyRotary, gatherRows, groupedQueryAttention, rmsNorm, rotaryInverseFrequencies, rotaryTables, stopGradient, tf } from '../src/tfjs/index';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const close = (a: number[], b: number[], tolerance = 1e-5) => a.forEach((v, i) => expect(Math.abs(v - (b[i] as number)), `index ${i}`).toBeLessThan(tolerance));

describe('rmsNorm', () => {
  it('divides by the root mean square and scales by the weight (worked example)', () => {
    // x = [3, 4]: mean of squares 12.5, rms √12.5 = 3.5355…; weight [1, 2].
    const y = tf.tidy(() => rmsNorm(tf.tensor2d([[3, 4]]), tf.tensor1d([1, 2]), 0).arraySync() as number[][]);
    close(y[0] as number[], [3 / Math.sqrt(12.5), (2 * 4) / Math.sqrt(12.5)]);
    const withEps = tf.tidy(() => rmsNorm(tf.tensor2d([[0, 0]]), tf.tensor1d([1, 1]), 1e-6).arraySync() as number[][]);
    expect(withEps[0]).toEqual([0, 0]);
  });
});

describe('rotary embeddings', () => {
  it('uses the frequencies 1/θ^(2i/d)', () => {
    close(Array.from(rotaryInverseFrequencies(4, 10000)), [1, 0.01], 1e-8);
    close(Array.from(rotaryInverseFrequencies(8, 10000)), [1, 0.1, 0.01, 0.001], 1e-8);
  });

  const rotate = (values: number[], position: number, theta = 10000) =>
    tf.tidy(() => {
      const d = values.length;
      const { cos, sin } = rotaryTables([position], rotaryInverseFrequencies(d, theta));
      return Array.from(applyRotary(tf.tensor4d(values, [1, 1, 1, d]), tf.tensor4d(cos, [1, 1, 1, d]), tf.tensor4d(sin, [1, 1, 1, d])).dataSync());
    });

  it('rotates each pair (i, i + d/2) by p·f_i: identity at 0, a quarter turn worked by hand', () => {
    const v = [1, 2, 3, 4];
    close(rotate(v, 0), v);
    // d = 4, f = [1, 0.01]; position π/2 turns pair (x0, x2) = (1, 3) by π/2 → (−3, 1).
    const turned = rotate(v, Math.PI / 2);
    close([turned[0] as number, turned[2] as number], [-3, 1]);
    const angle = 0.01 * (Math.PI / 2);
    close([turned[1] as number, turned[3] as number], [2 * Math.cos(angle) - 4 * Math.sin(angle), 4 * Math.cos(angle) + 2 * Math.sin(angle)]);
  });

  it('preserves length, and makes q·k depend on positions only through their difference', () => {
    const q = [0.3, -1.2, 0.8, 0.5, 2.0, -0.7, 0.1, 1.1];
    const k = [-0.4, 0.9, 1.5, -0.2, 0.6, 0.3, -1.0, 0.7];
    const norm = (v: number[]) => Math.hypot(...v);
    expect(Math.abs(norm(rotate(q, 37)) - norm(q))).toBeLessThan(1e-5);
    const dot = (m: number, n: number) => rotate(q, m).reduce((a, x, i) => a + x * (rotate(k, n)[i] as number), 0);
    expect(Math.abs(dot(5, 2) - dot(105, 102))).toBeLessThan(1e-4);
    expect(Math.abs(dot(5, 2) - dot(5, 3))).toBeGreaterThan(1e-3);
  });
});

describe('groupedQueryAttention', () => {
  it('equals a plain-loop attention in which query head h reads key head ⌊h / group⌋', () => {
    const [B, H, KV, T, D] = [2, 4, 2, 3, 2];
    const seeded = (n: number, s: number) => Array.from({ length: n }, (_, i) => Math.sin(s * 12.9898 + i * 78.233) * 2);
    const q = seeded(B * H * T * D, 1);
    const k = seeded(B * KV * T * D, 2);
    const v = seeded(B * KV * T * D, 3);
    const at = (x: number[], heads: number, b: number, h: number, t: number, d: number) => x[((b * heads + h) * T + t) * D + d] as number;
    // Causal mask, and row 1's middle key is padding (no query sees only masked keys).
    const bias = Array.from({ length: B * T * T }, (_, i) => {
      const [b, t, s] = [Math.floor(i / (T * T)), Math.floor(i / T) % T, i % T];
      return s > t || (b === 1 && s === 1) ? -1e9 : 0;
    });
    const actual = tf.tidy(() => Array.from(groupedQueryAttention(tf.tensor4d(q, [B, H, T, D]), tf.tensor4d(k, [B, KV, T, D]), tf.tensor4d(v, [B, KV, T, D]), tf.tensor4d(bias, [B, 1, T, T]), 0.5).dataSync()));
    const expected: number[] = [];
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        for (let h = 0; h < H; h++) {
          const kv = Math.floor(h / (H / KV));
          const scores = Array.from({ length: T }, (_, s) => 0.5 * Array.from({ length: D }, (_, d) => at(q, H, b, h, t, d) * at(k, KV, b, kv, s, d)).reduce((a, x) => a + x, 0) + (bias[(b * T + t) * T + s] as number));
          const max = Math.max(...scores);
          const e = scores.map((x) => Math.exp(x - max));
          const z = e.reduce((a, x) => a + x, 0);
          for (let d = 0; d < D; d++) expected.push(e.reduce((a, w, s) => a + (w / z) * at(v, KV, b, kv, s, d), 0));
        }
      }
    }
    close(actual, expected);
  });
});

describe('gatherRows', () => {
  it('gives tf.gather’s rows and, on cpu and wasm, its gradient (repeated rows summed)', async () => {
    const indices = [2, 0, 2, 2];
    const weights = [1, -2, 3, 0.5];
    const loss = (gather: (t: tf.Tensor, i: tf.Tensor) => tf.Tensor) => (table: tf.Tensor) => tf.sum(tf.mul(gather(table, tf.tensor1d(indices, 'int32')), tf.tensor2d(weights.map((w) => [w, 2 * w]))));
    const expected = tf.tidy(() => Array.from(tf.grad(loss((t, i) => tf.gather(t, i)))(tf.tensor2d([[1, 2], [3, 4], [5, 6]])).dataSync()));
    // Row 2 is read three times: its gradient sums the weights 1 + 3 + 0.5; row 1 is never read.
    expect(expected).toEqual([-2, -4, 0, 0, 4.5, 9]);
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const rows = tf.tidy(() => gatherRows(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d(indices, 'int32')).arraySync());
      expect(rows).toEqual([[5, 6], [1, 2], [5, 6], [5, 6]]);
      const grad = tf.tidy(() => Array.from(tf.grad(loss(gatherRows))(tf.tensor2d([[1, 2], [3, 4], [5, 6]])).dataSync()));
      expect(grad, backend).toEqual(expected);
    }
    await tf.setBackend('cpu');
  });
});

describe('stopGradient', () => {
  it('passes values and no gradient', () => {
    const { value, grad } = tf.tidy(() => {
      const f = (x: tf.Tensor) => tf.sum(tf.mul(x, stopGradient(x)));
      return { value: f(tf.tensor1d([2, 3])).dataSync()[0], grad: Array.from(tf.grad(f)(tf.tensor1d([2, 3])).dataSync()) };
    });
    expect(value).toBe(13);
    // d/dx Σ x·c with c = x held constant is c, not 2x.
    expect(grad).toEqual([2, 3]);
  });
});
