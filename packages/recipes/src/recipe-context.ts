import type { Backbone } from './backbones';
import type { PaSftHyperParameters, ScGrpoHyperParameters } from './hyper-parameters';
import type { Shots, TrainingSets } from './training-sets';

/** The engines a recipe writes folders for. */
export const ENGINES = ['llama-factory', 'easyr1', 'verl', 'trl', 'openrlhf'] as const;
/** One of {@link ENGINES}. */
export type Engine = (typeof ENGINES)[number];
/** SC-GRPO engines (LLaMA-Factory runs PA-SFT). */
export type GrpoEngine = Exclude<Engine, 'llama-factory'>;

/** A file of a recipe, relative to the recipe folder. */
export interface RecipeFile {
  path: string;
  content: string | Uint8Array;
  /** Made executable (a launch script). */
  executable?: boolean;
}

/** Everything an engine writer reads. */
export interface RecipeContext {
  backbone: Backbone;
  sets: TrainingSets;
  shots: Shots[];
  /** The reward preset the reward server is started with. */
  preset: 'reference' | 'paper';
  sft: PaSftHyperParameters;
  grpo: ScGrpoHyperParameters;
  /** The Python reward shim (`@iad-r1/rewards/python/iad_r1_rewards.py`), copied into each SC-GRPO folder. */
  rewardShim: string;
  /** Port the reward server listens on. */
  rewardPort: number;
}

/** Where the stages write their models, relative to an engine folder. */
export const CHECKPOINTS = {
  paSft: '../checkpoints/pa-sft',
  scGrpo: (engine: GrpoEngine) => `../checkpoints/sc-grpo-${engine}`,
} as const;

/** Most images in one prompt of the recipe (2 with 1-shot records). */
export const imagesPerPrompt = (context: RecipeContext): number => Math.max(...context.shots) + 1;

/** Prompts per optimizer step: per-device prompts × training GPUs × accumulation steps. */
export const promptsPerStep = (context: RecipeContext, trainingGpus: number): number => context.grpo.perDevicePrompts * trainingGpus * context.grpo.gradientAccumulationSteps;

export const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
