import { z } from 'zod';
import { headCount, imageSide, layerCount, tokenId, width } from '../config-bounds';
import { ConfigFieldError, parseConfigFields as parse } from '../config-field-error';
import { type Qwen2DecoderConfig, qwen2DecoderConfig } from '../qwen2/qwen2-config';

/** The SigLIP vision tower's sizes, from `vision_config` (transformers' `SiglipVisionConfig` defaults). */
export interface SiglipVisionConfig {
  width: number;
  mlpWidth: number;
  layers: number;
  heads: number;
  headDim: number;
  channels: number;
  /** Side of the square the tower reads (each tile and the whole image are resized to it). */
  imageSize: number;
  patchSize: number;
  /** Patches per side: the stride-`patchSize` convolution over `imageSize` pixels (384 / 14 → 27). */
  patchesPerSide: number;
  layerNormEps: number;
}

/** Everything the model reads from a `llava_onevision` config.json. */
export interface LlavaOnevisionConfig {
  text: Qwen2DecoderConfig;
  vision: SiglipVisionConfig;
  imageTokenId: number;
  videoTokenId: number | undefined;
  /**
   * The hidden states the projector reads, as counts of encoder layers run (0 = the patch
   * embeddings): `vision_feature_layer` −1 of a 26-layer tower is 26. Several are concatenated.
   */
  featureLayers: number[];
  /** Grid resolutions (height, width) in pixels the image processor chooses among. */
  gridPinpoints: Array<[number, number]>;
  /** `anyres_max_N`: the unpadded tile features are downsized when they exceed N tiles' worth. */
  maxTiles: number;
  projectorActivation: 'gelu' | 'gelu_pytorch_tanh';
  projectorBias: boolean;
}

/** The default `image_grid_pinpoints` of LLaVA-OneVision: 384 to 2304 pixels by steps of 384, each way. */
export const ONEVISION_GRID_PINPOINTS: Array<[number, number]> = [384, 768, 1152, 1536, 1920, 2304].flatMap((h) => [384, 768, 1152, 1536, 1920, 2304].map((w): [number, number] => [h, w]));

const pinpointsSchema = z.array(z.tuple([imageSide(), imageSide()])).min(1).max(1024);

const topSchema = z
  .object({
    model_type: z.literal('llava_onevision'),
    text_config: z.record(z.string(), z.unknown()),
    vision_config: z.record(z.string(), z.unknown()),
    image_token_index: tokenId().optional(),
    image_token_id: tokenId().optional(),
    video_token_index: tokenId().optional(),
    video_token_id: tokenId().optional(),
    projector_hidden_act: z.string().default('gelu'),
    vision_feature_select_strategy: z.string().default('full'),
    vision_feature_layer: z.union([z.number().int().min(-1024).max(1024), z.array(z.number().int().min(-1024).max(1024)).min(1).max(1024)]).default(-1),
    vision_aspect_ratio: z.string().default('anyres_max_9'),
    image_grid_pinpoints: pinpointsSchema.optional(),
    multimodal_projector_bias: z.boolean().default(true),
    tie_word_embeddings: z.boolean().optional(),
  })
  .passthrough();

const visionSchema = z
  .object({
    model_type: z.string().optional(),
    hidden_size: width().default(768),
    intermediate_size: width().default(3072),
    num_hidden_layers: layerCount().default(12),
    num_attention_heads: headCount().default(12),
    num_channels: headCount().default(3),
    image_size: imageSide().default(224),
    patch_size: imageSide().default(16),
    hidden_act: z.string().default('gelu_pytorch_tanh'),
    layer_norm_eps: z.number().positive().default(1e-6),
    attention_dropout: z.number().default(0),
    vision_use_head: z.boolean().default(true),
  })
  .passthrough();

/**
 * Reads a LLaVA-OneVision config.json (`LlavaOnevisionForConditionalGeneration`): the Qwen2 decoder
 * under `text_config`, the SigLIP tower under `vision_config`, and the fields that shape the image
 * features. Refuses by name what this implementation does not do: another vision tower or
 * activation, SigLIP's pooling head, the `default` feature strategy (it drops a patch SigLIP does
 * not have as a class token, and transformers' packing of tiles rejects it), a feature layer
 * outside the tower, a `vision_aspect_ratio` other than `anyres_max_N`.
 */
export function llavaOnevisionConfig(raw: Record<string, unknown>, file: string): LlavaOnevisionConfig {
  const top = parse(topSchema, raw, file, '');
  const textRaw = { ...top.text_config, tie_word_embeddings: top.text_config.tie_word_embeddings ?? top.tie_word_embeddings ?? false };
  let text: Qwen2DecoderConfig;
  try {
    text = qwen2DecoderConfig(textRaw, file);
  } catch (error) {
    if (error instanceof ConfigFieldError) throw new ConfigFieldError(file, `text_config.${error.field}`, error.reason);
    throw error;
  }
  if (top.text_config.model_type !== undefined && top.text_config.model_type !== 'qwen2') throw new ConfigFieldError(file, 'text_config.model_type', `${JSON.stringify(top.text_config.model_type)} is not supported (the LLaVA-OneVision checkpoints use "qwen2")`);
  const v = parse(visionSchema, top.vision_config, file, 'vision_config');
  if (v.model_type !== undefined && v.model_type !== 'siglip_vision_model') throw new ConfigFieldError(file, 'vision_config.model_type', `${JSON.stringify(v.model_type)} is not supported (only "siglip_vision_model")`);
  if (v.hidden_act !== 'gelu_pytorch_tanh') throw new ConfigFieldError(file, 'vision_config.hidden_act', `${JSON.stringify(v.hidden_act)} is not supported (SigLIP uses "gelu_pytorch_tanh")`);
  if (v.vision_use_head) throw new ConfigFieldError(file, 'vision_config.vision_use_head', 'SigLIP’s pooling head is not used by LLaVA-OneVision and not implemented; the checkpoints set it to false');
  if (v.attention_dropout !== 0) throw new ConfigFieldError(file, 'vision_config.attention_dropout', 'attention dropout is not supported');
  if (v.hidden_size % v.num_attention_heads !== 0) throw new ConfigFieldError(file, 'vision_config.num_attention_heads', `${v.num_attention_heads} does not divide hidden_size ${v.hidden_size}`);
  if (top.projector_hidden_act !== 'gelu' && top.projector_hidden_act !== 'gelu_pytorch_tanh') throw new ConfigFieldError(file, 'projector_hidden_act', `${JSON.stringify(top.projector_hidden_act)} is not supported (only "gelu" and "gelu_pytorch_tanh")`);
  if (top.vision_feature_select_strategy !== 'full') {
    throw new ConfigFieldError(file, 'vision_feature_select_strategy', `${JSON.stringify(top.vision_feature_select_strategy)} is not supported: LLaVA-OneVision uses "full" (SigLIP has no class token to drop)`);
  }
  const layers = v.num_hidden_layers;
  const featureLayers = (Array.isArray(top.vision_feature_layer) ? top.vision_feature_layer : [top.vision_feature_layer]).map((k) => {
    // hidden_states holds the embeddings and then each layer's output: layers + 1 entries.
    const index = k < 0 ? layers + 1 + k : k;
    if (index < 0 || index > layers) throw new ConfigFieldError(file, 'vision_feature_layer', `${k} is outside the tower's ${layers + 1} hidden states`);
    return index;
  });
  const aspect = /^anyres_max_(\d+)$/.exec(top.vision_aspect_ratio);
  if (!aspect) throw new ConfigFieldError(file, 'vision_aspect_ratio', `${JSON.stringify(top.vision_aspect_ratio)} is not supported (only "anyres_max_N")`);
  const imageTokenId = top.image_token_index ?? top.image_token_id ?? 151646;
  return {
    text,
    vision: {
      width: v.hidden_size,
      mlpWidth: v.intermediate_size,
      layers,
      heads: v.num_attention_heads,
      headDim: v.hidden_size / v.num_attention_heads,
      channels: v.num_channels,
      imageSize: v.image_size,
      patchSize: v.patch_size,
      patchesPerSide: Math.floor(v.image_size / v.patch_size),
      layerNormEps: v.layer_norm_eps,
    },
    imageTokenId,
    videoTokenId: top.video_token_index ?? top.video_token_id ?? 151647,
    featureLayers,
    gridPinpoints: top.image_grid_pinpoints ?? ONEVISION_GRID_PINPOINTS,
    maxTiles: Number(aspect[1]),
    projectorActivation: top.projector_hidden_act,
    projectorBias: top.multimodal_projector_bias,
  };
}
