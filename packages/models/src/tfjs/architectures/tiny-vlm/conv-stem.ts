import { untransposedMatMul } from '../../mat-mul';
import { type Tensor, tf } from '../../tf';

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
