import { type ScGrpoRecord, scGrpoToEasyR1Row } from '@iad-r1/cot-schema';
import { stringify } from 'yaml';
import { CHECKPOINTS, type RecipeContext, type RecipeFile, imagesPerPrompt, promptsPerStep } from '../recipe-context';
import { shellScript } from '../shell-script';
import { grpoReadme, jsonl, scGrpoRecords } from './grpo-folder';
import { rewardServerCheck } from './reward-server';

export const EASYR1_FOLDER = 'sc-grpo-easyr1';

/**
 * EasyR1's config (`python3 -m verl.trainer.main config=config.yaml`; keys of verl/trainer/config.py
 * `PPOConfig` and the worker dataclasses). `format_prompt: null` keeps EasyR1 from appending a
 * math instruction to our prompts; the reward is the shim's batch function.
 */
export function easyR1Config(context: RecipeContext): Record<string, unknown> {
  const { backbone, grpo } = context;
  const prompts = promptsPerStep(context, grpo.gpus);
  return {
    data: {
      train_files: 'data/sc_grpo.jsonl',
      // EasyR1 always builds a validation loader; validation itself is off below.
      val_files: 'data/sc_grpo.jsonl',
      prompt_key: 'problem',
      answer_key: 'answer',
      image_key: 'images',
      image_dir: null,
      format_prompt: null,
      max_prompt_length: grpo.maxPromptLength,
      max_response_length: grpo.maxNewTokens,
      rollout_batch_size: prompts,
      shuffle: true,
      seed: 1,
      max_pixels: grpo.maxPixels,
      filter_overlong_prompts: true,
    },
    algorithm: { adv_estimator: 'grpo', disable_kl: false, use_kl_loss: true, kl_penalty: 'low_var_kl', kl_coef: grpo.beta },
    worker: {
      actor: {
        global_batch_size: prompts,
        micro_batch_size_per_device_for_update: 1,
        micro_batch_size_per_device_for_experience: 2,
        max_grad_norm: 1.0,
        clip_ratio_low: grpo.clipEpsilon,
        clip_ratio_high: grpo.clipEpsilon,
        loss_avg_mode: 'seq',
        model: { model_path: CHECKPOINTS.paSft, enable_gradient_checkpointing: true, trust_remote_code: false, freeze_vision_tower: false },
        optim: { lr: grpo.learningRate, weight_decay: 0.0, strategy: 'adamw', lr_warmup_ratio: 0.0 },
        fsdp: { enable_full_shard: true, enable_cpu_offload: false },
        offload: { offload_params: false, offload_optimizer: false },
      },
      rollout: { n: grpo.generations, temperature: grpo.temperature, top_p: 1.0, limit_images: imagesPerPrompt(context), gpu_memory_utilization: 0.5, tensor_parallel_size: backbone.billions > 5 ? 2 : 1 },
      ref: { fsdp: { enable_full_shard: true, enable_cpu_offload: true } },
      reward: { reward_function: './iad_r1_rewards.py:easyr1_compute_score' },
    },
    trainer: {
      total_epochs: grpo.epochs,
      project_name: 'iad-r1',
      experiment_name: `${backbone.id}-sc-grpo`,
      logger: ['console', 'file'],
      nnodes: 1,
      n_gpus_per_node: grpo.gpus,
      val_freq: -1,
      val_before_train: false,
      save_freq: grpo.saveSteps,
      save_checkpoint_path: CHECKPOINTS.scGrpo('easyr1'),
    },
  };
}

/** SC-GRPO on EasyR1: rows, config, the reward shim, `train.sh`, README. */
export function easyR1Folder(context: RecipeContext): RecipeFile[] {
  const dir = EASYR1_FOLDER;
  const rows = scGrpoRecords(context).map((r: ScGrpoRecord) => scGrpoToEasyR1Row(r));
  return [
    { path: `${dir}/data/sc_grpo.jsonl`, content: jsonl(rows) },
    { path: `${dir}/config.yaml`, content: `# SC-GRPO of ${context.backbone.title} on EasyR1 (written by iad-r1-recipes)\n${stringify(easyR1Config(context))}` },
    { path: `${dir}/iad_r1_rewards.py`, content: context.rewardShim },
    {
      path: `${dir}/train.sh`,
      executable: true,
      content: shellScript({
        about: [`SC-GRPO of ${context.backbone.title} on EasyR1 (written by iad-r1-recipes).`, `Needs: ${context.grpo.gpus} GPUs, EasyR1 installed (\`pip install -e .\` in its clone), the reward server (../rewards/serve.sh).`],
        setup: [...rewardServerCheck(context), 'PYTHON=${PYTHON:-python3}'],
        command: { program: ['"$PYTHON"', '-m', 'verl.trainer.main'], args: ['config=config.yaml'] },
      }),
    },
    { path: `${dir}/README.md`, content: grpoReadme(context, 'easyr1', { trainingGpus: context.grpo.gpus, install: 'EasyR1 (`git clone https://github.com/hiyouga/EasyR1 && pip install -e EasyR1`)', notes: ['`data.format_prompt` is null: EasyR1 would otherwise append its math `\\boxed{}` instruction to every prompt.', 'The reward file is batch-typed (`REWARD_TYPE = "batch"`): one HTTP call scores a whole rollout batch.', 'KL: `low_var_kl` is the k3 estimator of the iad-r1 docs/METHOD.md §4, as a loss term with coefficient β.', 'EasyR1 saves FSDP shards; its merger turns a step into a Hugging Face folder for serving (in the EasyR1 clone, no GPU): `python3 scripts/model_merger.py --local_dir $RECIPE/checkpoints/sc-grpo-easyr1/global_step_N/actor` writes `…/actor/huggingface`; give that folder to `../serve-and-eval/serve.sh`.'] }) },
  ];
}
