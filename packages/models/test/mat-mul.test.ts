import { afterAll, describe, expect, it } from 'vitest';
import { tf, untransposedMatMul } from '../src/tfjs/index';
import '@tensorflow/tfjs-backend-wasm';

// The reference is TensorFlow.js's own matMul and its registered gradient.
function valueAndGrads(product: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, a: tf.Tensor, b: tf.Tensor, weights: tf.Tensor) {
  return tf.tidy(() => {
    const value = product(a, b);
    const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(product(x, y), weights)))([a, b]);
    return { value: Array.from(value.dataSync()), shape: value.shape, da: Array.from((grads[0] as tf.Tensor).dataSync()), db: Array.from((grads[1] as tf.Tensor).dataSync()) };
  });
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(...actual.map((v, i) => Math.abs(v - (expected[i] as number)) / (1 + Math.abs(expected[i] as number))));
  expect(worst).toBeLessThan(1e-5);
}

describe('untransposedMatMul', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each([
    ['2-D', [5, 3], [3, 4], false],
    ['2-D, b transposed', [5, 3], [4, 3], true],
    ['batched 4-D', [2, 3, 5, 4], [2, 3, 4, 6], false],
    ['batched 4-D, b transposed', [2, 3, 5, 4], [2, 3, 6, 4], true],
    // Outside a gradient, more than 16 rows by bᵀ go through an explicit transpose, fewer through the transposed kernel.
    ['2-D, 20 rows, b transposed', [20, 3], [4, 3], true],
    ['batched 4-D, 17 rows, b transposed', [2, 3, 17, 4], [2, 3, 6, 4], true],
  ] as const)('gives tf.matMul’s product and gradients (%s) on the cpu and wasm backends', async (_, aShape, bShape, transposeB) => {
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const a = tf.randomNormal([...aShape], 0, 1, 'float32', 1);
      const b = tf.randomNormal([...bShape], 0, 1, 'float32', 2);
      const outShape = [...aShape.slice(0, -1), transposeB ? (bShape.at(-2) as number) : (bShape.at(-1) as number)];
      const weights = tf.randomNormal(outShape, 0, 1, 'float32', 3);
      const ours = valueAndGrads((x, y) => untransposedMatMul(x, y, { transposeB }), a, b, weights);
      const reference = valueAndGrads((x, y) => tf.matMul(x, y, false, transposeB), a, b, weights);
      expect(ours.shape, backend).toEqual(reference.shape);
      expectClose(ours.value, reference.value);
      expectClose(ours.da, reference.da);
      expectClose(ours.db, reference.db);
      tf.dispose([a, b, weights]);
    }
  });

  it('refuses operands of different ranks', () => {
    expect(() => untransposedMatMul(tf.ones([2, 3]), tf.ones([1, 3, 2]))).toThrow(/same rank/);
  });
});
