import type { ArchitectureEntry } from '../architecture-entry';
import { qwen2DecoderSpecs, qwen2LayerLinears } from '../qwen2/qwen2-decoder';
import { type Qwen2VlVariant, qwen2VlConfig } from './qwen2-vl-config';
import { Qwen2VLForConditionalGeneration } from './qwen2-vl-for-conditional-generation';
import { qwen2VisionLinears, qwen2VisionSpecs } from './qwen2-vl-vision';

function entry(variant: Qwen2VlVariant, className: string, description: string): ArchitectureEntry {
  return {
    name: variant,
    description,
    matches: (config) => config.model_type === variant || (Array.isArray(config.architectures) && config.architectures.includes(className)),
    load: (dir, options) => Qwen2VLForConditionalGeneration.load(dir, { ...(options.generationBatchSize ? { generationBatchSize: options.generationBatchSize } : {}), ...(options.minPixels ? { minPixels: options.minPixels } : {}), ...(options.maxPixels ? { maxPixels: options.maxPixels } : {}) }),
    shape: (config, file) => {
      const c = qwen2VlConfig({ model_type: variant, ...config }, file);
      const text = Array.from({ length: c.text.layers }, (_, i) => qwen2LayerLinears(c.text, 'model', i)).flat();
      return {
        specs: [...qwen2DecoderSpecs(c.text, 'model', 'lm_head', 0), ...qwen2VisionSpecs(c.vision, variant, 'visual', 0.02, 0)],
        linears: [...text, ...qwen2VisionLinears(c.vision, variant, 'visual')],
        defaultLoraLinears: text,
        layers: c.text.layers,
        hiddenSize: c.text.hiddenSize,
        intermediateSize: c.text.intermediateSize,
        heads: c.text.heads,
        kvHeads: c.text.kvHeads,
        headDim: c.text.headDim,
        vocabSize: c.text.vocabSize,
        vision: { depth: c.vision.depth, width: c.vision.width, mlpWidth: c.vision.mlpWidth, heads: c.vision.heads, patchSize: c.vision.patchSize, mergeSize: c.vision.mergeSize },
      };
    },
  };
}

/** Qwen2-VL's registry entry (`model_type: qwen2_vl`). */
export const qwen2VlArchitecture = entry('qwen2_vl', 'Qwen2VLForConditionalGeneration', 'Qwen2-VL (vision tower with 2-D rotary positions, M-RoPE, the Qwen2 decoder)');
/** Qwen2.5-VL's registry entry (`model_type: qwen2_5_vl`). */
export const qwen25VlArchitecture = entry('qwen2_5_vl', 'Qwen2_5_VLForConditionalGeneration', 'Qwen2.5-VL (vision tower with window attention, RMSNorm and SwiGLU, M-RoPE, the Qwen2 decoder)');
