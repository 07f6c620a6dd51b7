import { sigmoidGelu } from '../../nn/activations';
import { linear } from '../../nn/linear';
import { layerNorm } from '../../nn/norms';
import type { WeightSet } from '../../nn/weights';
import { type Tensor, tf } from '../../tf';
import { conv3x3Relu } from './conv-stem';
import type { TinyVlmConfig } from './tiny-vlm-config';
import { transformerBlock } from './transformer-block';

/**
 * TinyVLM's vision path: images [N, S, S, 3] in [0, 1] → [N, image tokens, width]. A ViT (patch
 * embedding, learned positions, pre-norm blocks, layer norm), optionally a 3×3 convolution stem
 * whose max- and mean-pooled features are added to each patch embedding, then a two-layer GELU
 * projector into the decoder's width, and optionally one summary token per image (the max over
 * its patches). Differentiable.
 */
export function encodeImages(images: Tensor, weights: WeightSet, c: TinyVlmConfig): Tensor {
  return tf.tidy(() => {
    const n = images.shape[0] as number;
    const grid = c.imageSize / c.patchSize;
    // [N, S, S, C] → [N, patches, pixels per patch, C], row-major patches.
    const toPatches = (x: Tensor, channels: number): Tensor =>
      tf.reshape(tf.transpose(tf.reshape(x, [n, grid, c.patchSize, grid, c.patchSize, channels]), [0, 1, 3, 2, 4, 5]), [n, grid * grid, c.patchSize * c.patchSize, channels]);
    const patches = tf.reshape(toPatches(images, 3), [n, grid * grid, c.patchSize * c.patchSize * 3]);
    let x = tf.add(linear(tf.sub(patches, 0.5), weights, 'vision.patch'), weights.get('vision.position_embedding.weight'));
    if (c.visionStem.length > 0) {
      let h = tf.sub(images, 0.5);
      c.visionStem.forEach((_, i) => {
        h = conv3x3Relu(h, weights.get(`vision.stem.conv${i}.weight`), weights.get(`vision.stem.conv${i}.bias`));
      });
      const perPatch = toPatches(h, h.shape[3] as number);
      // Max pooling keeps a defect a few pixels wide visible in its patch; the mean keeps the texture.
      const pooled = tf.concat([tf.max(perPatch, 2), tf.mean(perPatch, 2)], 2);
      x = tf.add(x, linear(pooled, weights, 'vision.stem.projection'));
    }
    for (let i = 0; i < c.visionLayers; i++) x = transformerBlock(x, weights, `vision.blocks.${i}`, c.visionHeads, null).y;
    x = layerNorm(x, weights.get('vision.ln.weight'), weights.get('vision.ln.bias'));
    const features = linear(sigmoidGelu(linear(x, weights, 'projector.fc1')), weights, 'projector.fc2');
    return c.imageSummaryToken ? tf.concat([features, tf.max(features, 1, true)], 1) : features;
  });
}
