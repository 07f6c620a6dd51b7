import type { ScGrpoRecord } from '@iad-r1/cot-schema';
import { DOCUMENTED_SUPPORT } from '../backbones';
import { CHECKPOINTS, type GrpoEngine, type RecipeContext, promptsPerStep } from '../recipe-context';

const ENGINE_TITLES: Record<GrpoEngine, string> = { easyr1: 'EasyR1', verl: 'verl', trl: 'TRL', openrlhf: 'OpenRLHF' };

/** The SC-GRPO records of every shot count the recipe trains on, 0-shot first. */
export function scGrpoRecords(context: RecipeContext): ScGrpoRecord[] {
  return context.shots.flatMap((k) => context.sets.scGrpo[k] ?? []);
}

export const jsonl = (rows: readonly unknown[]): string => rows.map((row) => `${JSON.stringify(row)}\n`).join('');

/** What an SC-GRPO folder README says besides the common part. */
export interface GrpoReadmeOptions {
  trainingGpus: number;
  install: string;
  notes: string[];
  /** Extra steps before `bash train.sh` (e.g. TRL's vLLM server). */
  steps?: string[];
}

/** The README of an SC-GRPO folder: what it needs, the commands in order, the settings it holds. */
export function grpoReadme(context: RecipeContext, engine: GrpoEngine, options: GrpoReadmeOptions): string {
  const { backbone, grpo } = context;
  const title = ENGINE_TITLES[engine];
  const counts = context.shots.map((k) => `${context.sets.scGrpo[k]?.length ?? 0} ${k}-shot`).join(' + ');
  const unlisted = !DOCUMENTED_SUPPORT[engine].includes(backbone.family);
  return [
    `# SC-GRPO of ${backbone.title} on ${title}`,
    '',
    ...(unlisted ? [`> ${title}'s documentation and examples do not show ${backbone.title}'s model family; check that your ${title} version supports it before a long run.`, ''] : []),
    `Needs ${grpo.gpus} GPUs, ${options.install}, and Node 20 for the reward server. Commands, in order:`,
    '',
    '```sh',
    `bash ../rewards/serve.sh &     # the iad-r1 reward server, preset ${context.preset} (no GPU)`,
    ...(options.steps ?? []),
    'bash train.sh                  # GPU',
    '```',
    '',
    `It starts from the PA-SFT model in \`${CHECKPOINTS.paSft}\` (run \`../pa-sft-llamafactory/train.sh\` first) and writes \`${CHECKPOINTS.scGrpo(engine)}\`.`,
    `\`train.sh\` stops at once if the reward server is not answering or scores with another preset than \`${context.preset}\`.`,
    '',
    '| setting | value |',
    '| --- | --- |',
    `| records | ${counts} (the paper's SC-GRPO prompt, no system prompt) |`,
    `| completions per prompt G | ${grpo.generations} |`,
    `| max new tokens | ${grpo.maxNewTokens} |`,
    `| KL coefficient β | ${grpo.beta} (k3 estimator, against the PA-SFT model) |`,
    `| epochs | ${grpo.epochs} |`,
    `| learning rate | ${grpo.learningRate} |`,
    `| sampling temperature | ${grpo.temperature} |`,
    `| clip ε | ${grpo.clipEpsilon} |`,
    `| prompts per optimizer step | ${promptsPerStep(context, options.trainingGpus)} (${grpo.perDevicePrompts} per GPU × ${options.trainingGpus} training GPUs × ${grpo.gradientAccumulationSteps} accumulation steps) |`,
    `| image pixels | ≤ ${grpo.maxPixels} |`,
    `| prompt tokens | ≤ ${grpo.maxPromptLength} |`,
    '',
    `Rewards come from the iad-r1 reward server (\`../rewards/serve.sh\`, preset \`${context.preset}\`). \`iad_r1_rewards.py\` here is`,
    "`@iad-r1/rewards`' Python shim: one HTTP call per batch for all components, a timeout and retries with backoff",
    '(`IAD_R1_REWARD_URL`, `IAD_R1_REWARD_TIMEOUT`, `IAD_R1_REWARD_RETRIES`, `IAD_R1_REWARD_BACKOFF`).',
    '',
    ...options.notes.map((note) => `- ${note}`),
    '',
  ].join('\n');
}
