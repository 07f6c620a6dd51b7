// From the tower's tile features to the rows placed at an image's `<image>` tokens: the projector
// (two linear layers with GELU), then the packing — the whole image's features, the tiles laid back
// on their grid, the letterbox padding cut away, a bilinear downsize past `anyres_max_N`, one
// `image_newline` after each row.

import { erfGelu, tanhGelu } from '../../nn/activations';
import { linear } from '../../nn/linear';
import { type LinearModule, type WeightSet, type WeightSpec, linearSpecs } from '../../nn/weights';
import { type Tensor, tf } from '../../tf';
import type { LlavaOnevisionConfig } from './llava-onevision-config';
import { anyresMaxSize, unpaddedSize } from './llava-onevision-image-processor';

/** The projector's two linear layers: tower width × feature layers → hidden size → hidden size. */
export function projectorLinears(c: LlavaOnevisionConfig, prefix: string): LinearModule[] {
  const H = c.text.hiddenSize;
  return [
    { module: `${prefix}.linear_1`, inFeatures: c.vision.width * c.featureLayers.length, outFeatures: H, bias: c.projectorBias },
    { module: `${prefix}.linear_2`, inFeatures: H, outFeatures: H, bias: c.projectorBias },
  ];
}

/** The projector's weights and `image_newline` (normal with std 1/√H, as transformers initialises it). */
export function projectorSpecs(c: LlavaOnevisionConfig, prefix: string, newline: string, seed: number): WeightSpec[] {
  const std = c.text.initializerRange;
  return [
    ...projectorLinears(c, prefix).flatMap((l, i) => linearSpecs(l.module, l.inFeatures, l.outFeatures, { bias: l.bias, std, seed: seed + i + 1, transposedInFile: true })),
    { name: newline, shape: [c.text.hiddenSize], init: { kind: 'normal', std: 1 / Math.sqrt(c.text.hiddenSize), seed: seed + 3 } },
  ];
}

/** features [.., in] → linear_2(act(linear_1(features))). */
export function projectFeatures(features: Tensor, weights: WeightSet, c: LlavaOnevisionConfig, prefix: string): Tensor {
  return tf.tidy(() => {
    const hidden = linear(features, weights, `${prefix}.linear_1`);
    return linear(c.projectorActivation === 'gelu' ? erfGelu(hidden) : tanhGelu(hidden), weights, `${prefix}.linear_2`);
  });
}

/**
 * The [out, in] matrix of PyTorch's bilinear interpolation along one axis (`align_corners=False`,
 * no antialiasing): output d reads the input at (d + ½)·in/out − ½, clamped at 0, between its two
 * neighbours. A matrix keeps the resize a product, so gradients flow on every backend.
 */
export function bilinearMatrix(out: number, size: number): Float32Array {
  const m = new Float32Array(out * size);
  const scale = size / out;
  for (let d = 0; d < out; d++) {
    const source = Math.max(0, (d + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(source), size - 1);
    const i1 = Math.min(i0 + 1, size - 1);
    const l1 = source - i0;
    m[d * size + i0] = (m[d * size + i0] as number) + (1 - l1);
    m[d * size + i1] = (m[d * size + i1] as number) + l1;
  }
  return m;
}

/** A feature map [R, C, H] resized bilinearly to [rows, columns, H]. */
function resizeBilinear(x: Tensor, rows: number, columns: number): Tensor {
  return tf.tidy(() => {
    const [R, C, H] = x.shape as [number, number, number];
    const down = tf.matMul(tf.tensor2d(bilinearMatrix(rows, R), [rows, R]), tf.reshape(x, [R, C * H]));
    const across = tf.reshape(tf.transpose(tf.reshape(down, [rows, C, H]), [1, 0, 2]), [C, rows * H]);
    const both = tf.matMul(tf.tensor2d(bilinearMatrix(columns, C), [columns, C]), across);
    return tf.transpose(tf.reshape(both, [columns, rows, H]), [1, 0, 2]);
  });
}

/** What the packing needs of one processed image. */
export interface PackedImageShape {
  original: { height: number; width: number };
  grid: { rows: number; columns: number } | undefined;
}

/**
 * One image's projected tile features [tiles, P², H] → its rows for the language model, in the
 * reference order. Tiled: the whole image's P² rows, then the grid's features row by row (cut to
 * the image's aspect ratio, downsized past `maxTiles` tiles' worth), each row ended by the newline.
 * Whole: its P² rows and one newline.
 */
export function packImageFeatures(projected: Tensor, image: PackedImageShape, newline: Tensor, patchesPerSide: number, maxTiles: number): Tensor {
  return tf.tidy(() => {
    const [tiles, N, H] = projected.shape as [number, number, number];
    const base = tf.reshape(tf.slice(projected, [0, 0, 0], [1, N, H]), [N, H]);
    if (!image.grid) return tf.concat([base, tf.reshape(newline, [1, H])]);
    const { rows, columns } = image.grid;
    if (tiles !== 1 + rows * columns) throw new RangeError(`${tiles} tiles for a grid of ${rows} × ${columns} and the whole image`);
    const P = patchesPerSide;
    const laid = tf.reshape(tf.transpose(tf.reshape(tf.slice(projected, [1, 0, 0], [tiles - 1, N, H]), [rows, columns, P, P, H]), [0, 2, 1, 3, 4]), [rows * P, columns * P, H]);
    const cut = unpaddedSize(image.original.height, image.original.width, rows * P, columns * P);
    let map = tf.slice(laid, [cut.top, cut.left, 0], [cut.rows, cut.columns, H]);
    const kept = anyresMaxSize(cut.rows, cut.columns, P, maxTiles);
    if (kept.rows !== cut.rows || kept.columns !== cut.columns) map = resizeBilinear(map, kept.rows, kept.columns);
    const ended = tf.concat([map, tf.broadcastTo(tf.reshape(newline, [1, 1, H]), [kept.rows, 1, H])], 1);
    return tf.concat([base, tf.reshape(ended, [kept.rows * (kept.columns + 1), H])]);
  });
}
