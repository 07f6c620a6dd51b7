import { z } from 'zod';
import { MAX_LAYERS, boundedInt, headCount, imageSide, layerCount, positionCount, vocabularySize, width } from '../config-bounds';

/** Sizes of a TinyVLM. Defaults train on a laptop CPU in minutes. */
export const tinyVlmConfigSchema = z.object({
  /** Input images are resized to imageSize × imageSize RGB. */
  imageSize: imageSide().default(32),
  /** Side of a square patch; imageSize must be a multiple of it. */
  patchSize: imageSide().default(8),
  visionWidth: width().default(64),
  /**
   * Channels of 3×3 convolution layers run on the full-resolution image before patching; their
   * features, max- and mean-pooled per patch, are added to each patch embedding. Empty (default):
   * a plain ViT. A small stem (e.g. [16, 32]) lets the model see defects smaller than a patch.
   */
  visionStem: z.array(width()).max(64).default([]),
  /**
   * Append one more image token per image: the element-wise max of its patch features, so a
   * feature that fires on a single patch (a small defect) reaches the decoder in a fixed place.
   * No extra weights. Default false.
   */
  imageSummaryToken: z.boolean().default(false),
  visionLayers: boundedInt(MAX_LAYERS, 'a layer count', 0).default(1),
  visionHeads: headCount().default(4),
  width: width().default(128),
  layers: layerCount().default(2),
  heads: headCount().default(4),
  mlp: width().default(512),
  vocabSize: vocabularySize(),
  /** Longest sequence (prompt, image tokens and completion) the position table covers. */
  maxSequence: positionCount().default(256),
  /** Share the token embedding with the output head. */
  tiedOutput: z.boolean().default(true),
});
export type TinyVlmConfig = z.output<typeof tinyVlmConfigSchema>;
export type TinyVlmConfigInput = z.input<typeof tinyVlmConfigSchema>;

/** Patches per image: (imageSize / patchSize)². */
export function patchesPerImage(config: TinyVlmConfig): number {
  return (config.imageSize / config.patchSize) ** 2;
}

/** Tokens each image takes in the decoder's sequence: its patches, plus the summary token when enabled. */
export function imageTokensPerImage(config: TinyVlmConfig): number {
  return patchesPerImage(config) + (config.imageSummaryToken ? 1 : 0);
}
