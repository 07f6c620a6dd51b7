import type { ImageLoader } from '../image-loader';
import type { LinearModule, WeightSpec } from '../nn/weights';
import type { TrainableModel } from '../trainable/trainable-model';

/** Options every architecture's loader takes. */
export interface LoadModelOptions {
  /** Prompts decoded together in `generate` (default per architecture). */
  generationBatchSize?: number;
  /** Decodes images (TinyVLM; default sharp). */
  imageLoader?: ImageLoader;
  /** Pixel bounds of an image processor that resizes (Qwen2-VL), instead of the checkpoint's. */
  minPixels?: number;
  maxPixels?: number;
  /** How LLaVA-OneVision reads a conversation with several images (default `square`, as current transformers). */
  multiImage?: 'square' | 'anyres';
  /**
   * Refuse to load a model whose float32 inference estimate exceeds this many bytes (`loadModel`
   * checks before allocating anything); default: the machine's total memory.
   */
  maxMemoryBytes?: number;
}
/** The sizes memory estimates need, read from a config without loading weights. */
export interface ArchitectureShape {
  /** Every weight, as the model declares it. */
  specs: WeightSpec[];
  /** Every linear layer, and those LoRA adapts by default. */
  linears: LinearModule[];
  defaultLoraLinears: LinearModule[];
  layers: number;
  hiddenSize: number;
  intermediateSize: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  /** The vision tower, for architectures that have one (its activations grow with the image size). */
  vision?: {
    depth: number;
    width: number;
    mlpWidth: number;
    heads: number;
    patchSize: number;
    mergeSize: number;
    /** Patches the tower reads for one image of this many pixels in a sequence of `images`, when it is not pixels / patch² (LLaVA-OneVision's tiles). */
    patchesPerImage?: (imagePixels: number, images: number) => number;
    /** Patches one attends over, when attention stays within a tile (LLaVA-OneVision: P²). */
    attentionSpan?: number;
  };
}

/** One architecture the registry opens. */
export interface ArchitectureEntry {
  /** Registry name, as `TrainableModel.architecture`. */
  name: string;
  /** What it is, for `iad-r1-models inspect`. */
  description: string;
  matches(config: Record<string, unknown>): boolean;
  load(dir: string, options: LoadModelOptions): Promise<TrainableModel>;
  shape(config: Record<string, unknown>, file: string): ArchitectureShape;
}

