import { z } from 'zod';
import { headCount, imageSide, layerCount, tokenId, width } from '../config-bounds';
import { ConfigFieldError, parseConfigFields as parse } from '../config-field-error';
import { type Qwen2DecoderConfig, qwen2DecoderConfig } from '../qwen2/qwen2-config';

/** The two Qwen vision-language generations this folder implements. */
export type Qwen2VlVariant = 'qwen2_vl' | 'qwen2_5_vl';

/** The vision tower's sizes, from `vision_config`. */
export interface Qwen2VisionConfig {
  depth: number;
  /** Width of the vision transformer (`embed_dim` in Qwen2-VL, `hidden_size` in Qwen2.5-VL). */
  width: number;
  heads: number;
  headDim: number;
  /** MLP width: `embed_dim · mlp_ratio` (Qwen2-VL) or `intermediate_size` (Qwen2.5-VL). */
  mlpWidth: number;
  /** `quick_gelu` (Qwen2-VL's fc1/fc2 MLP) or `silu` (Qwen2.5-VL's gated MLP). */
  activation: 'quick_gelu' | 'silu';
  inChannels: number;
  patchSize: number;
  temporalPatchSize: number;
  mergeSize: number;
  /** Width of the merged tokens: the language model's hidden size. */
  outWidth: number;
  /** Qwen2.5-VL: window attention over windows of this many pixels, except in these blocks. */
  windowSize: number | undefined;
  fullAttentionBlocks: number[];
}

/** Everything the model reads from a qwen2_vl / qwen2_5_vl config.json. */
export interface Qwen2VlConfig {
  variant: Qwen2VlVariant;
  text: Qwen2DecoderConfig;
  /** Rotary frequencies given to the temporal, height and width positions (sums to headDim / 2). */
  mropeSection: [number, number, number];
  vision: Qwen2VisionConfig;
  imageTokenId: number;
  videoTokenId: number | undefined;
  visionStartTokenId: number;
}

const visionSchema = z
  .object({
    depth: layerCount().default(32),
    embed_dim: width().optional(),
    hidden_size: width().optional(),
    num_heads: headCount().default(16),
    mlp_ratio: z.number().positive().max(64).optional(),
    intermediate_size: width().optional(),
    hidden_act: z.string().optional(),
    in_channels: headCount().optional(),
    in_chans: headCount().optional(),
    patch_size: imageSide().default(14),
    spatial_merge_size: imageSide().default(2),
    temporal_patch_size: imageSide().default(2),
    out_hidden_size: width().optional(),
    window_size: imageSide().optional(),
    fullatt_block_indexes: z.array(z.number().int().nonnegative()).max(1024).optional(),
  })
  .passthrough();

const topSchema = z
  .object({
    model_type: z.enum(['qwen2_vl', 'qwen2_5_vl']),
    vision_config: z.record(z.string(), z.unknown()),
    text_config: z.record(z.string(), z.unknown()).optional(),
    image_token_id: tokenId().optional(),
    video_token_id: tokenId().optional(),
    vision_start_token_id: tokenId().optional(),
  })
  .passthrough();

/**
 * Reads a Qwen2-VL or Qwen2.5-VL config.json — the text fields at the top level (as the released
 * checkpoints have them) or under `text_config` (as newer transformers saves them), the vision
 * tower under `vision_config` — and refuses by name what is not implemented (other activations,
 * M-RoPE sections that do not cover the head, RoPE scaling other than M-RoPE, …).
 */
export function qwen2VlConfig(raw: Record<string, unknown>, file: string): Qwen2VlConfig {
  const top = parse(topSchema, raw, file, '');
  const variant = top.model_type;
  const textRaw = (top.text_config ?? raw) as Record<string, unknown>;
  const textField = top.text_config ? 'text_config.' : '';
  const text = qwen2DecoderConfig(textRaw, file, { allowRopeTypes: ['mrope'] });
  const scaling = (textRaw.rope_scaling ?? raw.rope_scaling) as { mrope_section?: unknown } | undefined;
  const section = scaling?.mrope_section;
  if (!Array.isArray(section) || section.length !== 3 || !section.every((n) => Number.isInteger(n) && n > 0)) {
    throw new ConfigFieldError(file, `${textField}rope_scaling.mrope_section`, 'needs three positive whole numbers (temporal, height, width)');
  }
  const sum = section.reduce((a, b) => a + b, 0);
  if (sum !== text.headDim / 2) throw new ConfigFieldError(file, `${textField}rope_scaling.mrope_section`, `sums to ${sum}; the head dimension ${text.headDim} needs ${text.headDim / 2}`);
  const v = parse(visionSchema, top.vision_config, file, 'vision_config');
  const width = variant === 'qwen2_vl' ? (v.embed_dim ?? 1280) : (v.hidden_size ?? 1280);
  const activation = v.hidden_act ?? (variant === 'qwen2_vl' ? 'quick_gelu' : 'silu');
  const expected = variant === 'qwen2_vl' ? 'quick_gelu' : 'silu';
  if (activation !== expected) throw new ConfigFieldError(file, 'vision_config.hidden_act', `${JSON.stringify(activation)} is not supported for ${variant} (it uses ${JSON.stringify(expected)})`);
  if (width % v.num_heads !== 0 || (width / v.num_heads) % 4 !== 0) throw new ConfigFieldError(file, 'vision_config.num_heads', `${v.num_heads} heads give a head dimension of ${width / v.num_heads}; 2-D rotary positions need a multiple of 4`);
  const outWidth = variant === 'qwen2_vl' ? (v.hidden_size ?? text.hiddenSize) : (v.out_hidden_size ?? text.hiddenSize);
  if (outWidth !== text.hiddenSize) throw new ConfigFieldError(file, `vision_config.${variant === 'qwen2_vl' ? 'hidden_size' : 'out_hidden_size'}`, `is ${outWidth}; the language model's hidden size is ${text.hiddenSize}`);
  const mlpWidth = variant === 'qwen2_vl' ? Math.trunc(width * (v.mlp_ratio ?? 4)) : (v.intermediate_size ?? 3420);
  const windowSize = variant === 'qwen2_5_vl' ? (v.window_size ?? 112) : undefined;
  if (windowSize !== undefined && windowSize % (v.patch_size * v.spatial_merge_size) !== 0) {
    throw new ConfigFieldError(file, 'vision_config.window_size', `${windowSize} is not a multiple of patch_size × spatial_merge_size (${v.patch_size * v.spatial_merge_size})`);
  }
  const imageTokenId = top.image_token_id ?? (raw.image_token_id as number | undefined);
  if (imageTokenId === undefined) throw new ConfigFieldError(file, 'image_token_id', 'is missing');
  return {
    variant,
    text,
    mropeSection: section as [number, number, number],
    vision: {
      depth: v.depth,
      width,
      heads: v.num_heads,
      headDim: width / v.num_heads,
      mlpWidth,
      activation: expected,
      inChannels: v.in_channels ?? v.in_chans ?? 3,
      patchSize: v.patch_size,
      temporalPatchSize: v.temporal_patch_size,
      mergeSize: v.spatial_merge_size,
      outWidth,
      windowSize,
      fullAttentionBlocks: variant === 'qwen2_5_vl' ? (v.fullatt_block_indexes ?? [7, 15, 23, 31]) : [],
    },
    imageTokenId,
    videoTokenId: top.video_token_id,
    visionStartTokenId: top.vision_start_token_id ?? 151652,
  };
}
