import { type LinearModule, type WeightSpec, linearSpecs } from '../../nn/weights';
import { type TinyVlmConfig, patchesPerImage } from './tiny-vlm-config';

// Every weight of TinyVLM, declared once, in the order saving and optimisers use. Each tensor has
// its own seed (offsets from the model seed), so the initialisation of one never shifts another's.

const normal = (std: number, seed: number) => ({ kind: 'normal' as const, std, seed });
const ones = { kind: 'ones' as const };
const zeros = { kind: 'zeros' as const };

/** A pre-norm transformer block `prefix` of `width` with an MLP of `mlp` (GPT-2 initialisation). */
export function transformerBlockSpecs(prefix: string, width: number, mlp: number, seed: number, layersForScaling: number): WeightSpec[] {
  // GPT-2 scales the residual projections by the depth.
  const residualStd = 0.02 / Math.sqrt(2 * layersForScaling);
  return [
    { name: `${prefix}.ln1.weight`, shape: [width], init: ones },
    { name: `${prefix}.ln1.bias`, shape: [width], init: zeros },
    ...linearSpecs(`${prefix}.attn.qkv`, width, 3 * width, { bias: true, std: 0.02, seed: seed + 1 }),
    ...linearSpecs(`${prefix}.attn.proj`, width, width, { bias: true, std: residualStd, seed: seed + 2 }),
    { name: `${prefix}.ln2.weight`, shape: [width], init: ones },
    { name: `${prefix}.ln2.bias`, shape: [width], init: zeros },
    ...linearSpecs(`${prefix}.mlp.fc`, width, mlp, { bias: true, std: 0.02, seed: seed + 3 }),
    ...linearSpecs(`${prefix}.mlp.out`, mlp, width, { bias: true, std: residualStd, seed: seed + 4 }),
  ];
}

/** The linear layers of a transformer block. */
export const TRANSFORMER_BLOCK_LINEARS = ['attn.qkv', 'attn.proj', 'mlp.fc', 'mlp.out'] as const;

/** TinyVLM's weights: token and position embeddings, the vision path, the decoder. */
export function tinyVlmWeightSpecs(config: TinyVlmConfig, seed: number): WeightSpec[] {
  const patchDim = config.patchSize * config.patchSize * 3;
  const stem = config.visionStem;
  return [
    { name: 'token_embedding.weight', shape: [config.vocabSize, config.width], init: normal(0.02, seed + 1) },
    { name: 'position_embedding.weight', shape: [config.maxSequence, config.width], init: normal(0.01, seed + 2) },
    ...linearSpecs('vision.patch', patchDim, config.visionWidth, { bias: true, std: 0.02, seed: seed + 3 }),
    { name: 'vision.position_embedding.weight', shape: [patchesPerImage(config), config.visionWidth], init: normal(0.01, seed + 4) },
    // He initialisation: the stem is ReLU throughout.
    ...stem.flatMap((channels, i) => {
      const inputs = 9 * (i === 0 ? 3 : (stem[i - 1] as number));
      return linearSpecs(`vision.stem.conv${i}`, inputs, channels, { bias: true, std: Math.sqrt(2 / inputs), seed: seed + 50 + i });
    }),
    ...(stem.length > 0 ? linearSpecs('vision.stem.projection', 2 * (stem.at(-1) as number), config.visionWidth, { bias: false, std: 0.02, seed: seed + 60 }) : []),
    ...Array.from({ length: config.visionLayers }, (_, i) => transformerBlockSpecs(`vision.blocks.${i}`, config.visionWidth, config.visionWidth * 4, seed + 100 + 10 * i, config.visionLayers)).flat(),
    { name: 'vision.ln.weight', shape: [config.visionWidth], init: ones },
    { name: 'vision.ln.bias', shape: [config.visionWidth], init: zeros },
    ...linearSpecs('projector.fc1', config.visionWidth, config.width, { bias: true, std: 0.02, seed: seed + 5 }),
    ...linearSpecs('projector.fc2', config.width, config.width, { bias: true, std: 0.02, seed: seed + 6 }),
    ...Array.from({ length: config.layers }, (_, i) => transformerBlockSpecs(`decoder.blocks.${i}`, config.width, config.mlp, seed + 200 + 10 * i, config.layers)).flat(),
    { name: 'decoder.ln.weight', shape: [config.width], init: ones },
    { name: 'decoder.ln.bias', shape: [config.width], init: zeros },
    ...(config.tiedOutput ? [] : linearSpecs('decoder.head', config.width, config.vocabSize, { bias: false, std: 0.02, seed: seed + 7 })),
  ];
}

/** TinyVLM's linear layers (what LoRA may adapt): patch embedding, stem projection, every block's four, the projector. */
export function tinyVlmLinearModules(c: TinyVlmConfig): LinearModule[] {
  const block = (prefix: string, width: number, mlp: number): LinearModule[] => [
    { module: `${prefix}.attn.qkv`, inFeatures: width, outFeatures: 3 * width, bias: true },
    { module: `${prefix}.attn.proj`, inFeatures: width, outFeatures: width, bias: true },
    { module: `${prefix}.mlp.fc`, inFeatures: width, outFeatures: mlp, bias: true },
    { module: `${prefix}.mlp.out`, inFeatures: mlp, outFeatures: width, bias: true },
  ];
  return [
    { module: 'vision.patch', inFeatures: c.patchSize * c.patchSize * 3, outFeatures: c.visionWidth, bias: true },
    ...(c.visionStem.length > 0 ? [{ module: 'vision.stem.projection', inFeatures: 2 * (c.visionStem.at(-1) as number), outFeatures: c.visionWidth, bias: false }] : []),
    ...Array.from({ length: c.visionLayers }, (_, i) => block(`vision.blocks.${i}`, c.visionWidth, 4 * c.visionWidth)).flat(),
    { module: 'projector.fc1', inFeatures: c.visionWidth, outFeatures: c.width, bias: true },
    { module: 'projector.fc2', inFeatures: c.width, outFeatures: c.width, bias: true },
    ...Array.from({ length: c.layers }, (_, i) => block(`decoder.blocks.${i}`, c.width, c.mlp)).flat(),
  ];
}
