import { scGrpoToOpenRlhfRow } from '@iad-r1/cot-schema';
import { CHECKPOINTS, type RecipeContext, type RecipeFile, imagesPerPrompt, promptsPerStep } from '../recipe-context';
import { shellScript } from '../shell-script';
import { grpoReadme, jsonl, scGrpoRecords } from './grpo-folder';
import { rewardServerCheck } from './reward-server';

export const OPENRLHF_FOLDER = 'sc-grpo-openrlhf';

/**
 * `openrlhf.cli.train_ppo_ray` arguments (the dotted flags of openrlhf/cli/train_ppo_ray.py). The
 * reward is the iad-r1 server's `/get_reward`, which scores only the assistant reply of each query;
 * `--data.label_key label` carries the SC-GRPO solution (without it every label is "" and every
 * reward 0). `group_norm` is GRPO's within-group advantage; k3 as a loss term is the paper's KL.
 */
export function openRlhfArgs(context: RecipeContext): string[] {
  const { backbone, grpo } = context;
  const prompts = promptsPerStep(context, grpo.gpus);
  const tensorParallel = backbone.billions > 5 ? 2 : 1;
  return [
    '--actor.model_name_or_path', CHECKPOINTS.paSft,
    '--actor.num_nodes', '1',
    '--actor.num_gpus_per_node', String(grpo.gpus),
    '--ref.num_nodes', '1',
    '--ref.num_gpus_per_node', String(grpo.gpus),
    '--vllm.num_engines', String(grpo.gpus / tensorParallel),
    '--vllm.tensor_parallel_size', String(tensorParallel),
    '--vllm.gpu_memory_utilization', '0.5',
    '--vllm.enable_sleep',
    '--ds.enable_sleep',
    '--train.colocate_all',
    '--reward.remote_url', '"$IAD_R1_REWARD_URL/get_reward"',
    '--data.prompt_dataset', 'data/sc_grpo.jsonl',
    '--data.input_key', 'input',
    '--data.label_key', 'label',
    '--data.image_key', 'images',
    '--data.max_images_per_prompt', String(imagesPerPrompt(context)),
    '--data.apply_chat_template',
    '--data.max_len', String(grpo.maxPromptLength + grpo.maxNewTokens),
    '--rollout.n_samples_per_prompt', String(grpo.generations),
    '--rollout.max_new_tokens', String(grpo.maxNewTokens),
    '--rollout.temperature', String(grpo.temperature),
    '--rollout.batch_size', String(prompts),
    '--rollout.micro_batch_size', '1',
    '--train.batch_size', String(prompts * grpo.generations),
    '--train.micro_batch_size', '1',
    '--train.max_epochs', '1',
    '--train.num_episodes', String(grpo.epochs),
    '--algo.advantage.estimator', 'group_norm',
    '--algo.kl.use_loss',
    '--algo.kl.estimator', 'k3',
    '--algo.kl.init_coef', String(grpo.beta),
    '--actor.eps_clip', String(grpo.clipEpsilon),
    '--actor.adam.lr', String(grpo.learningRate),
    '--actor.gradient_checkpointing_enable',
    '--ds.zero_stage', '3',
    '--ds.param_dtype', 'bf16',
    '--ckpt.output_dir', CHECKPOINTS.scGrpo('openrlhf'),
    '--ckpt.save_hf',
    '--ckpt.save_steps', String(grpo.saveSteps),
    '--logger.logging_steps', '1',
  ];
}

/** SC-GRPO on OpenRLHF: rows, `train.sh` with the current flags, the `.py` reward as an alternative, README. */
export function openRlhfFolder(context: RecipeContext): RecipeFile[] {
  const dir = OPENRLHF_FOLDER;
  const rows = scGrpoRecords(context).map((r) => scGrpoToOpenRlhfRow(r));
  return [
    { path: `${dir}/data/sc_grpo.jsonl`, content: jsonl(rows) },
    { path: `${dir}/iad_r1_rewards.py`, content: context.rewardShim },
    {
      path: `${dir}/train.sh`,
      executable: true,
      content: shellScript({
        about: [`SC-GRPO of ${context.backbone.title} on OpenRLHF (written by iad-r1-recipes).`, `Needs: ${context.grpo.gpus} GPUs, \`pip install openrlhf[vllm]\` and a Ray cluster (\`ray start --head\`), the reward server.`],
        setup: [...rewardServerCheck(context), 'PYTHON=${PYTHON:-python3}'],
        command: { program: ['"$PYTHON"', '-m', 'openrlhf.cli.train_ppo_ray'], args: openRlhfArgs(context) },
      }),
    },
    {
      path: `${dir}/README.md`,
      content: grpoReadme(context, 'openrlhf', {
        trainingGpus: context.grpo.gpus,
        install: '`pip install openrlhf[vllm]` and a running Ray head (`ray start --head`)',
        notes: [
          'Rewards over HTTP: `--reward.remote_url $IAD_R1_REWARD_URL/get_reward`. OpenRLHF posts each query decoded with its special tokens and expanded image tokens; the server scores only the assistant reply (after the prompt, image-token runs collapsed, or after the last assistant-turn marker).',
          '`--data.label_key label` is what carries the solution; without it every label is empty and every reward 0.',
          'Or as a Python reward: `--reward.remote_url ./iad_r1_rewards.py` (its `reward_func(queries, prompts, labels)` posts to the same server).',
          '`group_norm` divides by the group\'s std plus a small constant; `--algo.kl.use_loss --algo.kl.estimator k3` is the paper\'s KL term. OpenRLHF\'s current VLM example was tested with Qwen3.5.',
        ],
      }),
    },
  ];
}
