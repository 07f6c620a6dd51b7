import type { ArchitectureEntry } from '../architecture-entry';
import { qwen2DecoderSpecs, qwen2LayerLinears } from '../qwen2/qwen2-decoder';
import { projectorLinears, projectorSpecs } from './image-features';
import { llavaOnevisionConfig } from './llava-onevision-config';
import { LlavaOnevisionForConditionalGeneration } from './llava-onevision-for-conditional-generation';
import { selectBestResolution } from './llava-onevision-image-processor';
import { siglipLinears, siglipSpecs } from './siglip-vision';

/** LLaVA-OneVision's registry entry (`model_type: llava_onevision`). */
export const llavaOnevisionArchitecture: ArchitectureEntry = {
  name: 'llava_onevision',
  description: 'LLaVA-OneVision (anyres tiles, SigLIP tower, 2-layer GELU projector, the Qwen2 decoder)',
  matches: (config) => config.model_type === 'llava_onevision' || (Array.isArray(config.architectures) && config.architectures.includes('LlavaOnevisionForConditionalGeneration')),
  load: (dir, options) => LlavaOnevisionForConditionalGeneration.load(dir, { ...(options.generationBatchSize ? { generationBatchSize: options.generationBatchSize } : {}), ...(options.multiImage ? { multiImage: options.multiImage } : {}) }),
  shape: (config, file) => {
    const c = llavaOnevisionConfig({ model_type: 'llava_onevision', ...config }, file);
    const text = Array.from({ length: c.text.layers }, (_, i) => qwen2LayerLinears(c.text, 'language_model.model', i)).flat();
    const P2 = c.vision.patchesPerSide ** 2;
    return {
      specs: [...qwen2DecoderSpecs(c.text, 'language_model.model', 'language_model.lm_head', 0), ...siglipSpecs(c.vision, 'vision_tower.vision_model', 0.02, 0), ...projectorSpecs(c, 'multi_modal_projector', 'image_newline', 0)],
      linears: [...text, ...siglipLinears(c.vision, 'vision_tower.vision_model'), ...projectorLinears(c, 'multi_modal_projector')],
      defaultLoraLinears: text,
      layers: c.text.layers,
      hiddenSize: c.text.hiddenSize,
      intermediateSize: c.text.intermediateSize,
      heads: c.text.heads,
      kvHeads: c.text.kvHeads,
      headDim: c.text.headDim,
      vocabSize: c.text.vocabSize,
      vision: {
        depth: Math.max(...c.featureLayers),
        width: c.vision.width,
        mlpWidth: c.vision.mlpWidth,
        heads: c.vision.heads,
        patchSize: c.vision.patchSize,
        mergeSize: 1,
        // One square image of that many pixels: the whole image and the tiles of its grid
        // resolution; several in a sequence: each read whole (the default multiImage: 'square').
        patchesPerImage: (pixels, images) => {
          if (images > 1) return P2;
          const side = Math.max(1, Math.round(Math.sqrt(pixels)));
          const [h, w] = selectBestResolution(side, side, c.gridPinpoints);
          return P2 * (1 + (h / c.vision.imageSize) * (w / c.vision.imageSize));
        },
        attentionSpan: P2,
      },
    };
  },
};
