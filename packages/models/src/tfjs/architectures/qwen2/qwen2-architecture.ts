import type { ArchitectureEntry } from '../architecture-entry';
import { qwen2DecoderConfig } from './qwen2-config';
import { qwen2DecoderSpecs, qwen2LayerLinears } from './qwen2-decoder';
import { Qwen2ForCausalLM } from './qwen2-for-causal-lm';

/** Qwen2's registry entry (`model_type: qwen2`, `Qwen2ForCausalLM`). */
export const qwen2Architecture: ArchitectureEntry = {
  name: 'qwen2',
  description: 'Qwen2 / Qwen2.5 language model (Qwen2ForCausalLM), text only',
  matches: (config) => config.model_type === 'qwen2' || (Array.isArray(config.architectures) && config.architectures.includes('Qwen2ForCausalLM')),
  load: (dir, options) => Qwen2ForCausalLM.load(dir, options.generationBatchSize ? { generationBatchSize: options.generationBatchSize } : {}),
  shape: (config, file) => {
    const c = qwen2DecoderConfig(config, file);
    const linears = Array.from({ length: c.layers }, (_, i) => qwen2LayerLinears(c, 'model', i)).flat();
    return {
      specs: qwen2DecoderSpecs(c, 'model', 'lm_head', 0),
      linears,
      defaultLoraLinears: linears,
      layers: c.layers,
      hiddenSize: c.hiddenSize,
      intermediateSize: c.intermediateSize,
      heads: c.heads,
      kvHeads: c.kvHeads,
      headDim: c.headDim,
      vocabSize: c.vocabSize,
    };
  },
};
