import { type VerlRow, scGrpoToVerlRow } from '@iad-r1/cot-schema';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { CHECKPOINTS, type RecipeContext, type RecipeFile, imagesPerPrompt, promptsPerStep } from '../recipe-context';
import { shellScript } from '../shell-script';
import { grpoReadme, scGrpoRecords } from './grpo-folder';
import { rewardServerCheck } from './reward-server';

export const VERL_FOLDER = 'sc-grpo-verl';

type SchemaElement = NonNullable<Parameters<typeof parquetWriteBuffer>[0]['schema']>[number];

const text = (name: string): SchemaElement => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' });
/** A list of structs of strings, in parquet's three-level LIST layout (what pyarrow reads as list<struct>). */
const listOfStructs = (name: string, fields: SchemaElement[]): SchemaElement[] => [
  { name, repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', repetition_type: 'REQUIRED', num_children: fields.length },
  ...fields,
];

/**
 * verl's RLHFDataset rows as parquet (verl/utils/dataset/rl_dataset.py reads `.parquet` with
 * `datasets.load_dataset("parquet")`): `prompt` a list of `{role, content}`, `images` a list of
 * `{image, max_pixels}` (the dict qwen_vl_utils' `fetch_image` reads, so the pixel cap applies),
 * `reward_model.ground_truth` the SC-GRPO solution
 * that reaches `compute_score`, `extra_info` with the record id. Nested columns are real parquet
 * lists and structs, not JSON strings, so pyarrow hands verl lists of dicts.
 *
 * @example
 * const bytes = verlParquet(rows, 480_000); // Uint8Array
 */
export function verlParquet(rows: readonly VerlRow[], maxPixels: number): Uint8Array {
  const schema: SchemaElement[] = [
    { name: 'root', num_children: 6 },
    text('data_source'),
    ...listOfStructs('prompt', [text('role'), text('content')]),
    ...listOfStructs('images', [text('image'), { name: 'max_pixels', type: 'INT64', repetition_type: 'REQUIRED' }]),
    text('ability'),
    { name: 'reward_model', repetition_type: 'REQUIRED', num_children: 2 },
    text('style'),
    text('ground_truth'),
    { name: 'extra_info', repetition_type: 'REQUIRED', num_children: 5 },
    { name: 'index', type: 'INT64', repetition_type: 'REQUIRED' },
    text('id'),
    text('split'),
    text('problem'),
    { name: 'shots', type: 'INT32', repetition_type: 'REQUIRED' },
  ];
  const columns = {
    data_source: rows.map((r) => r.data_source),
    prompt: rows.map((r) => r.prompt.map((m) => ({ role: m.role, content: m.content }))),
    images: rows.map((r) => r.images.map((i) => ({ image: i.image, max_pixels: BigInt(maxPixels) }))),
    ability: rows.map((r) => r.ability),
    reward_model: rows.map((r) => ({ style: r.reward_model.style, ground_truth: r.reward_model.ground_truth })),
    extra_info: rows.map((r) => ({ index: BigInt(r.extra_info.index), id: String(r.extra_info.id ?? r.extra_info.index), split: String(r.extra_info.split ?? 'train'), problem: String(r.extra_info.problem ?? ''), shots: r.images.length - 1 })),
  };
  const buffer = parquetWriteBuffer({ schema, columnData: Object.entries(columns).map(([name, data]) => ({ name, data })), createdBy: 'iad-r1-recipes' });
  return new Uint8Array(buffer);
}

/** verl `main_ppo` overrides (Hydra `key=value`; keys of verl/trainer/config/ppo_trainer.yaml and its parts). */
export function verlOverrides(context: RecipeContext): string[] {
  const { backbone, grpo } = context;
  const prompts = promptsPerStep(context, grpo.gpus);
  const microBatch = grpo.generations;
  return [
    'algorithm.adv_estimator=grpo',
    'algorithm.use_kl_in_reward=False',
    'data.train_files=data/train.parquet',
    'data.val_files=data/train.parquet',
    `data.train_batch_size=${prompts}`,
    `data.max_prompt_length=${grpo.maxPromptLength}`,
    `data.max_response_length=${grpo.maxNewTokens}`,
    'data.filter_overlong_prompts=True',
    'data.truncation=error',
    'data.image_key=images',
    `actor_rollout_ref.model.path=${CHECKPOINTS.paSft}`,
    'actor_rollout_ref.model.enable_gradient_checkpointing=True',
    `actor_rollout_ref.actor.optim.lr=${grpo.learningRate}`,
    `actor_rollout_ref.actor.ppo_mini_batch_size=${prompts}`,
    'actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=1',
    'actor_rollout_ref.actor.use_kl_loss=True',
    `actor_rollout_ref.actor.kl_loss_coef=${grpo.beta}`,
    'actor_rollout_ref.actor.kl_loss_type=low_var_kl',
    'actor_rollout_ref.actor.entropy_coeff=0',
    `actor_rollout_ref.actor.clip_ratio=${grpo.clipEpsilon}`,
    'actor_rollout_ref.actor.loss_agg_mode=seq-mean-token-mean',
    'actor_rollout_ref.rollout.name=vllm',
    `actor_rollout_ref.rollout.n=${grpo.generations}`,
    `actor_rollout_ref.rollout.temperature=${grpo.temperature}`,
    `actor_rollout_ref.rollout.tensor_model_parallel_size=${backbone.billions > 5 ? 2 : 1}`,
    'actor_rollout_ref.rollout.gpu_memory_utilization=0.5',
    `actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=${microBatch}`,
    `+actor_rollout_ref.rollout.limit_images=${imagesPerPrompt(context)}`,
    `actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=${microBatch}`,
    'custom_reward_function.path=iad_r1_rewards.py',
    'custom_reward_function.name=compute_score',
    `trainer.total_epochs=${grpo.epochs}`,
    'trainer.critic_warmup=0',
    `trainer.n_gpus_per_node=${grpo.gpus}`,
    'trainer.nnodes=1',
    `trainer.save_freq=${grpo.saveSteps}`,
    'trainer.test_freq=-1',
    'trainer.val_before_train=False',
    'trainer.logger=["console"]',
    'trainer.project_name=iad-r1',
    `trainer.experiment_name=${backbone.id}-sc-grpo`,
    `trainer.default_local_dir=${CHECKPOINTS.scGrpo('verl')}`,
  ];
}

/** SC-GRPO on verl: parquet rows, the reward shim, `train.sh` with the `main_ppo` overrides, README. */
export function verlFolder(context: RecipeContext): RecipeFile[] {
  const dir = VERL_FOLDER;
  const rows = scGrpoRecords(context).map((r, i) => scGrpoToVerlRow(r, i));
  return [
    { path: `${dir}/data/train.parquet`, content: verlParquet(rows, context.grpo.maxPixels) },
    { path: `${dir}/iad_r1_rewards.py`, content: context.rewardShim },
    {
      path: `${dir}/train.sh`,
      executable: true,
      content: shellScript({
        about: [`SC-GRPO of ${context.backbone.title} on verl (written by iad-r1-recipes).`, `Needs: ${context.grpo.gpus} GPUs, \`pip install verl[vllm]\`, the reward server (../rewards/serve.sh).`],
        setup: [...rewardServerCheck(context), 'PYTHON=${PYTHON:-python3}'],
        command: { program: ['"$PYTHON"', '-m', 'verl.trainer.main_ppo'], args: verlOverrides(context) },
      }),
    },
    {
      path: `${dir}/README.md`,
      content: grpoReadme(context, 'verl', {
        trainingGpus: context.grpo.gpus,
        install: '`pip install verl[vllm]`',
        notes: [
          '`data/train.parquet` holds verl RLHFDataset rows: `prompt` (`<image>` markers, then the paper\'s prompt), `images` as `{image: path, max_pixels}` (qwen_vl_utils resizes to that budget), the solution in `reward_model.ground_truth`.',
          'The reward is `compute_score` of `iad_r1_rewards.py` (`custom_reward_function`); it takes verl\'s naive, batch and reward-loop calls and any `reward_kwargs`.',
          'verl saves FSDP shards; turn the last step into a Hugging Face folder for serving (verl installed, no GPU): `python3 -m verl.model_merger merge --backend fsdp --local_dir ../checkpoints/sc-grpo-verl/global_step_N/actor --target_dir ../checkpoints/sc-grpo-verl/hf`.',
          '`loss_agg_mode=seq-mean-token-mean`: the mean over each completion\'s tokens, then over completions, as in the iad-r1 docs/METHOD.md §4.',
        ],
      }),
    },
  ];
}
