import { z } from 'zod';
import { headCount, layerCount, positionCount, tokenId, vocabularySize, width } from '../config-bounds';
import { ConfigFieldError, parseConfigFields } from '../config-field-error';

const tokenIds = z.union([tokenId(), z.array(tokenId()).max(64)]).nullish();

/**
 * The fields of a Qwen2 `config.json` (transformers' `Qwen2Config`) this implementation reads,
 * with transformers' defaults. Other fields are kept (and written back on save); fields that
 * would change the computation in ways not implemented here are refused by name.
 */
export const qwen2ConfigSchema = z
  .object({
    model_type: z.string().optional(),
    vocab_size: vocabularySize().default(151936),
    hidden_size: width().default(4096),
    intermediate_size: width().default(22016),
    num_hidden_layers: layerCount().default(32),
    num_attention_heads: headCount().default(32),
    num_key_value_heads: headCount().nullish(),
    head_dim: width().nullish(),
    hidden_act: z.string().default('silu'),
    max_position_embeddings: positionCount().default(32768),
    initializer_range: z.number().positive().default(0.02),
    rms_norm_eps: z.number().positive().default(1e-6),
    tie_word_embeddings: z.boolean().default(false),
    rope_theta: z.number().positive().optional(),
    // transformers ≥ 5 keeps θ here.
    rope_parameters: z.object({ rope_type: z.string().optional(), rope_theta: z.number().positive().optional() }).passthrough().nullish(),
    rope_scaling: z.object({ type: z.string().optional(), rope_type: z.string().optional() }).passthrough().nullish(),
    partial_rotary_factor: z.number().optional(),
    use_sliding_window: z.boolean().default(false),
    attention_dropout: z.number().default(0),
    bos_token_id: tokenIds,
    eos_token_id: tokenIds,
    pad_token_id: tokenIds,
    torch_dtype: z.string().nullish(),
    dtype: z.string().nullish(),
  })
  .passthrough();

/** The decoder's sizes, resolved from a config. */
export interface Qwen2DecoderConfig {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  tieWordEmbeddings: boolean;
  initializerRange: number;
  /** Positions the model declares it covers (`max_position_embeddings`). */
  maxPositions: number;
}

/**
 * Resolves a Qwen2 text config (a whole config.json, or the `text_config` of a VLM's) into the
 * decoder's sizes; throws a {@link ConfigFieldError} naming the file and field for what is not
 * supported (another activation, RoPE scaling, sliding-window attention, attention dropout).
 */
export function qwen2DecoderConfig(raw: unknown, file: string, options: { allowRopeTypes?: readonly string[] } = {}): Qwen2DecoderConfig {
  const c = parseConfigFields(qwen2ConfigSchema, raw, file);
  if (c.hidden_act !== 'silu') throw new ConfigFieldError(file, 'hidden_act', `${JSON.stringify(c.hidden_act)} is not supported (Qwen2 uses "silu")`);
  const allowed = ['default', ...(options.allowRopeTypes ?? [])];
  const scaling = c.rope_scaling ?? null;
  const ropeType = scaling?.rope_type ?? scaling?.type ?? c.rope_parameters?.rope_type ?? 'default';
  if (!allowed.includes(ropeType)) throw new ConfigFieldError(file, c.rope_scaling ? 'rope_scaling' : 'rope_parameters', `RoPE type ${JSON.stringify(ropeType)} is not supported (only ${allowed.join(', ')})`);
  if (c.partial_rotary_factor !== undefined && c.partial_rotary_factor !== 1) throw new ConfigFieldError(file, 'partial_rotary_factor', 'partial rotary embeddings are not supported');
  if (c.use_sliding_window) throw new ConfigFieldError(file, 'use_sliding_window', 'sliding-window attention is not supported');
  if (c.attention_dropout !== 0) throw new ConfigFieldError(file, 'attention_dropout', 'attention dropout is not supported');
  const heads = c.num_attention_heads;
  const kvHeads = c.num_key_value_heads ?? heads;
  if (heads % kvHeads !== 0) throw new ConfigFieldError(file, 'num_key_value_heads', `${kvHeads} does not divide num_attention_heads ${heads}`);
  const headDim = c.head_dim ?? c.hidden_size / heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new ConfigFieldError(file, 'hidden_size', `gives a head dimension of ${headDim}; rotary embeddings need an even whole number`);
  return {
    vocabSize: c.vocab_size,
    hiddenSize: c.hidden_size,
    intermediateSize: c.intermediate_size,
    layers: c.num_hidden_layers,
    heads,
    kvHeads,
    headDim,
    rmsNormEps: c.rms_norm_eps,
    ropeTheta: c.rope_theta ?? c.rope_parameters?.rope_theta ?? 10000,
    tieWordEmbeddings: c.tie_word_embeddings,
    initializerRange: c.initializer_range,
    maxPositions: c.max_position_embeddings,
  };
}

/** Token ids of a config field that may be one id or a list. */
export function idList(value: number | number[] | null | undefined): number[] {
  return value === null || value === undefined ? [] : Array.isArray(value) ? value : [value];
}
