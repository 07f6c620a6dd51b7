import { z } from 'zod';

/** Sizes of a TinyVLM. Defaults train on a laptop CPU in minutes. */
export const tinyVlmConfigSchema = z.object({
  /** Input images are resized to imageSize × imageSize RGB. */
  imageSize: z.number().int().positive().default(32),
  /** Side of a square patch; imageSize must be a multiple of it. */
  patchSize: z.number().int().positive().default(8),
  visionWidth: z.number().int().positive().default(64),
  /**
   * Channels of 3×3 convolution layers run on the full-resolution image before patching; their
   * features, max- and mean-pooled per patch, are added to each patch embedding. Empty (default):
   * a plain ViT. A small stem (e.g. [16, 32]) lets the model see defects smaller than a patch.
   */
  visionStem: z.array(z.number().int().positive()).default([]),
  /**
   * Append one more image token per image: the element-wise max of its patch features, so a
   * feature that fires on a single patch (a small defect) reaches the decoder in a fixed place.
   * No extra weights. Default false.
   */
  imageSummaryToken: z.boolean().default(false),
  visionLayers: z.number().int().nonnegative().default(1),
  visionHeads: z.number().int().positive().default(4),
  width: z.number().int().positive().default(128),
  layers: z.number().int().positive().default(2),
  heads: z.number().int().positive().default(4),
  mlp: z.number().int().positive().default(512),
  vocabSize: z.number().int().positive(),
  /** Longest sequence (prompt, image tokens and completion) the position table covers. */
  maxSequence: z.number().int().positive().default(256),
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
