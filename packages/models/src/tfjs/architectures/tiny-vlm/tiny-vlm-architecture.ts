import type { ArchitectureEntry } from '../architecture-entry';
import { parseConfigFields } from '../config-field-error';
import { TINY_VLM_ARCHITECTURE, TinyVLM } from './tiny-vlm';
import { tinyVlmConfigSchema } from './tiny-vlm-config';
import { tinyVlmLinearModules, tinyVlmWeightSpecs } from './tiny-vlm-weights';

/** TinyVLM's registry entry. */
export const tinyVlmArchitecture: ArchitectureEntry = {
  name: TINY_VLM_ARCHITECTURE,
  description: 'TinyVLM, the from-scratch toy VLM of the demo (ViT encoder, projector, GPT decoder)',
  matches: (config) => config.architecture === TINY_VLM_ARCHITECTURE,
  load: (dir, options) => TinyVLM.load(dir, { ...(options.imageLoader ? { imageLoader: options.imageLoader } : {}), ...(options.generationBatchSize ? { generationBatchSize: options.generationBatchSize } : {}) }),
  shape: (config, file) => {
    const { architecture: _a, ...input } = config;
    const c = parseConfigFields(tinyVlmConfigSchema, input, file);
    const linears = tinyVlmLinearModules(c);
    return { specs: tinyVlmWeightSpecs(c, 0), linears, defaultLoraLinears: linears.filter((m) => m.module.startsWith('decoder.')), layers: c.layers, hiddenSize: c.width, intermediateSize: c.mlp, heads: c.heads, kvHeads: c.heads, headDim: c.width / c.heads, vocabSize: c.vocabSize };
  },
};

