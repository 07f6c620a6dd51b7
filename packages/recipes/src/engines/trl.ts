import { scGrpoToTrlRow } from '@iad-r1/cot-schema';
import { packageFile } from '../package-files';
import { CHECKPOINTS, type RecipeContext, type RecipeFile, json } from '../recipe-context';
import { shellScript } from '../shell-script';
import { deepSpeedZero3Config } from './deepspeed';
import { grpoReadme, jsonl, scGrpoRecords } from './grpo-folder';
import { rewardServerCheck } from './reward-server';

export const TRL_FOLDER = 'sc-grpo-trl';
/** Port of TRL's vLLM server (`trl vllm-serve`); the reward server has 8000. */
export const TRL_VLLM_PORT = 8002;


/**
 * `trl_config.json`: the model, the data, processor arguments and `GRPOConfig`'s keyword arguments
 * (trl/trainer/grpo_config.py). TRL counts completions, not prompts, in its batch sizes: one prompt's
 * group of G per device. `loss_type: grpo` is the reference loss of the iad-r1 docs/METHOD.md §4 (TRL's default
 * is `dapo`), and β is set explicitly (TRL's default is 0, no reference model).
 */
export function trlSettings(context: RecipeContext): Record<string, unknown> {
  const { backbone, grpo } = context;
  return {
    model: CHECKPOINTS.paSft,
    train_file: 'data/sc_grpo.jsonl',
    processor_kwargs: backbone.family === 'qwen2-vl' ? { max_pixels: grpo.maxPixels } : {},
    grpo_config: {
      output_dir: CHECKPOINTS.scGrpo('trl'),
      num_generations: grpo.generations,
      max_completion_length: grpo.maxNewTokens,
      beta: grpo.beta,
      loss_type: 'grpo',
      scale_rewards: 'group',
      epsilon: grpo.clipEpsilon,
      temperature: grpo.temperature,
      num_train_epochs: grpo.epochs,
      learning_rate: grpo.learningRate,
      per_device_train_batch_size: grpo.perDevicePrompts * grpo.generations,
      gradient_accumulation_steps: grpo.gradientAccumulationSteps,
      bf16: true,
      gradient_checkpointing: true,
      use_vllm: true,
      vllm_mode: 'server',
      vllm_server_host: '127.0.0.1',
      vllm_server_port: TRL_VLLM_PORT,
      deepspeed: 'ds_z3_config.json',
      logging_steps: 1,
      save_steps: grpo.saveSteps,
      report_to: 'none',
      remove_unused_columns: false,
      log_completions: true,
    },
  };
}

/** SC-GRPO on TRL: rows, settings, the training script, the reward shim, two launch scripts, README. */
export function trlFolder(context: RecipeContext): RecipeFile[] {
  const dir = TRL_FOLDER;
  const { backbone, grpo } = context;
  const trainingGpus = Math.max(1, grpo.gpus - 1);
  const gpuList = Array.from({ length: trainingGpus }, (_, i) => i + 1).join(',');
  const rows = scGrpoRecords(context).map((r) => scGrpoToTrlRow(r));
  return [
    { path: `${dir}/data/sc_grpo.jsonl`, content: jsonl(rows) },
    { path: `${dir}/trl_config.json`, content: json(trlSettings(context)) },
    // The training script ships in this package's python/ folder.
    { path: `${dir}/train_sc_grpo.py`, content: packageFile('@iad-r1/recipes', 'python/train_sc_grpo.py') },
    { path: `${dir}/iad_r1_rewards.py`, content: context.rewardShim },
    { path: `${dir}/ds_z3_config.json`, content: json(deepSpeedZero3Config()) },
    {
      path: `${dir}/vllm-server.sh`,
      executable: true,
      content: shellScript({
        about: [`TRL's vLLM server for SC-GRPO of ${backbone.title}, on the first GPU (written by iad-r1-recipes).`, 'Needs: `pip install trl[vllm]`. Leave it running; train.sh uses the other GPUs.'],
        setup: ['export CUDA_VISIBLE_DEVICES=${VLLM_GPU:-0}', 'TRL=${TRL:-trl}'],
        command: { program: ['"$TRL"'], args: ['vllm-serve', '--model', CHECKPOINTS.paSft, '--host', '127.0.0.1', '--port', String(TRL_VLLM_PORT), '--max_model_len', String(grpo.maxPromptLength + grpo.maxNewTokens), '--dtype', 'bfloat16'] },
      }),
    },
    {
      path: `${dir}/train.sh`,
      executable: true,
      content: shellScript({
        about: [`SC-GRPO of ${backbone.title} on TRL (written by iad-r1-recipes).`, `Needs: ${grpo.gpus} GPUs (vllm-server.sh on GPU 0, training on ${gpuList}), \`pip install trl[vllm] deepspeed\`, the reward server.`],
        setup: [...rewardServerCheck(context), `export CUDA_VISIBLE_DEVICES=\${TRAIN_GPUS:-${gpuList}}`, 'ACCELERATE=${ACCELERATE:-accelerate}'],
        command: { program: ['"$ACCELERATE"'], args: ['launch', '--num_processes', String(trainingGpus), 'train_sc_grpo.py'] },
      }),
    },
    {
      path: `${dir}/README.md`,
      content: grpoReadme(context, 'trl', {
        trainingGpus,
        install: '`pip install trl[vllm] deepspeed`',
        steps: ['bash vllm-server.sh &            # TRL\'s vLLM server on GPU 0'],
        notes: [
          'The authors\' layout: one GPU generates (TRL\'s vLLM server, `vllm_mode: server`), the others train under DeepSpeed ZeRO-3.',
          '`data/sc_grpo.jsonl` rows keep image paths; `train_sc_grpo.py` casts the `images` column to datasets\' `Image` feature, so TRL gets PIL images (paths as strings crash its vLLM path with `\'str\' object has no attribute \'save\'`).',
          'One reward function per server component (`trl_reward_funcs()`), weighted with the server\'s weights (`trl_reward_weights()`), so TRL\'s total is the server\'s. While the server is unreachable they return None, which TRL leaves out of the step.',
          '`loss_type: grpo` (per-completion token mean, then the mean over completions) and `scale_rewards: group` (divide by the group\'s std) are the iad-r1 docs/METHOD.md §4; TRL\'s defaults differ (`dapo`, β = 0).',
          `TRL counts completions in \`per_device_train_batch_size\` (${grpo.perDevicePrompts * grpo.generations} = ${grpo.perDevicePrompts} prompt × G).`,
        ],
      }),
    },
  ];
}
