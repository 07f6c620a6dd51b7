/**
 * The paper's seven backbones, with what each engine needs to know about them. The per-backbone
 * PA-SFT learning rate and context lengths are the authors' (their `scripts/train/PA_SFT/*.sh` and
 * `scripts/train/SC_GRPO/*.sh` in Yanhui-Lee/IAD-R1); the Hub ids are the Hugging Face layout of
 * each model that transformers, vLLM and the engines load.
 */
export interface Backbone {
  /** Our name for it, as `--backbone` takes it. */
  id: BackboneId;
  /** The paper's name. */
  title: string;
  /** Hugging Face Hub id of the pretrained checkpoint (transformers layout). */
  hub: string;
  /** Chat-template family: how prompts are rendered and where the assistant turn opens. */
  family: 'qwen2-vl' | 'llava-onevision' | 'llava' | 'llava-next';
  /** LLaMA-Factory's `template` for it (src/llamafactory/data/template.py `register_template(name=…)`). */
  llamaFactoryTemplate: 'qwen2_vl' | 'llava_next_qwen' | 'llava' | 'llava_next_mistral';
  /** PA-SFT learning rate in the authors' script. */
  sftLearningRate: number;
  /** PA-SFT `cutoff_len` in the authors' script. */
  sftCutoffLen: number;
  /** SC-GRPO `max_prompt_length` in the authors' script. */
  grpoMaxPromptLength: number;
  /** Approximate parameter count in billions (for the GPU advice in the READMEs). */
  billions: number;
}

/** `--backbone` values. */
export const BACKBONE_IDS = ['qwen2-vl-2b', 'qwen2.5-vl-3b', 'qwen2.5-vl-7b', 'llava-onevision-si-0.5b', 'llava-onevision-si-7b', 'llava-1.5-7b', 'llava-1.6-mistral-7b'] as const;
/** A `--backbone` value. */
export type BackboneId = (typeof BACKBONE_IDS)[number];

/** The seven backbones by id. */
export const BACKBONES: Readonly<Record<BackboneId, Backbone>> = {
  'qwen2-vl-2b': { id: 'qwen2-vl-2b', title: 'Qwen2-VL-2B-Instruct', hub: 'Qwen/Qwen2-VL-2B-Instruct', family: 'qwen2-vl', llamaFactoryTemplate: 'qwen2_vl', sftLearningRate: 2e-5, sftCutoffLen: 4096, grpoMaxPromptLength: 4096, billions: 2.2 },
  'qwen2.5-vl-3b': { id: 'qwen2.5-vl-3b', title: 'Qwen2.5-VL-3B-Instruct', hub: 'Qwen/Qwen2.5-VL-3B-Instruct', family: 'qwen2-vl', llamaFactoryTemplate: 'qwen2_vl', sftLearningRate: 1e-5, sftCutoffLen: 4096, grpoMaxPromptLength: 4096, billions: 3.8 },
  'qwen2.5-vl-7b': { id: 'qwen2.5-vl-7b', title: 'Qwen2.5-VL-7B-Instruct', hub: 'Qwen/Qwen2.5-VL-7B-Instruct', family: 'qwen2-vl', llamaFactoryTemplate: 'qwen2_vl', sftLearningRate: 1e-5, sftCutoffLen: 4096, grpoMaxPromptLength: 4096, billions: 8.3 },
  'llava-onevision-si-0.5b': { id: 'llava-onevision-si-0.5b', title: 'LLaVA-OneVision-SI-0.5B', hub: 'llava-hf/llava-onevision-qwen2-0.5b-si-hf', family: 'llava-onevision', llamaFactoryTemplate: 'llava_next_qwen', sftLearningRate: 2e-5, sftCutoffLen: 8192, grpoMaxPromptLength: 8192, billions: 0.9 },
  'llava-onevision-si-7b': { id: 'llava-onevision-si-7b', title: 'LLaVA-OneVision-SI-7B', hub: 'llava-hf/llava-onevision-qwen2-7b-si-hf', family: 'llava-onevision', llamaFactoryTemplate: 'llava_next_qwen', sftLearningRate: 1e-5, sftCutoffLen: 8192, grpoMaxPromptLength: 8192, billions: 8.0 },
  'llava-1.5-7b': { id: 'llava-1.5-7b', title: 'LLaVA-1.5-7B', hub: 'llava-hf/llava-1.5-7b-hf', family: 'llava', llamaFactoryTemplate: 'llava', sftLearningRate: 1e-5, sftCutoffLen: 8192, grpoMaxPromptLength: 4096, billions: 7.1 },
  'llava-1.6-mistral-7b': { id: 'llava-1.6-mistral-7b', title: 'LLaVA-1.6-Mistral-7B', hub: 'llava-hf/llava-v1.6-mistral-7b-hf', family: 'llava-next', llamaFactoryTemplate: 'llava_next_mistral', sftLearningRate: 1e-5, sftCutoffLen: 8192, grpoMaxPromptLength: 8192, billions: 7.6 },
};

/**
 * Engines whose documentation names a backbone family as supported. Folders are written for every
 * pair; the folder README says so where the engine does not list the family.
 */
export const DOCUMENTED_SUPPORT: Readonly<Record<'llama-factory' | 'easyr1' | 'verl' | 'trl' | 'openrlhf', readonly Backbone['family'][]>> = {
  'llama-factory': ['qwen2-vl', 'llava-onevision', 'llava', 'llava-next'],
  easyr1: ['qwen2-vl'],
  verl: ['qwen2-vl'],
  trl: ['qwen2-vl', 'llava-onevision', 'llava', 'llava-next'],
  openrlhf: [],
};
