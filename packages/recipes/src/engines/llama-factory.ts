import { stringify } from 'yaml';
import { llamaFactoryDatasetEntry } from '@iad-r1/cot-schema';
import { DOCUMENTED_SUPPORT } from '../backbones';
import { CHECKPOINTS, type RecipeContext, type RecipeFile, json } from '../recipe-context';
import { shellScript } from '../shell-script';
import { deepSpeedZero3Config } from './deepspeed';

export const LLAMA_FACTORY_FOLDER = 'pa-sft-llamafactory';

/** LLaMA-Factory dataset names, by shot count. */
const DATASET_NAMES = { 0: 'iad_r1_pa_sft', 1: 'iad_r1_pa_sft_1shot' } as const;

/** The training YAML `llamafactory-cli train` reads (keys of LLaMA-Factory's hparams dataclasses). */
export function llamaFactoryTrainingConfig(context: RecipeContext): Record<string, unknown> {
  const { backbone, sft } = context;
  return {
    model_name_or_path: backbone.hub,
    trust_remote_code: true,
    stage: 'sft',
    do_train: true,
    finetuning_type: sft.finetuning,
    ...(sft.finetuning === 'lora' ? { lora_rank: sft.loraRank, lora_target: 'all' } : {}),
    deepspeed: 'ds_z3_config.json',
    dataset: context.shots.map((k) => DATASET_NAMES[k]).join(','),
    dataset_dir: 'data',
    template: backbone.llamaFactoryTemplate,
    cutoff_len: sft.cutoffLen,
    overwrite_cache: true,
    preprocessing_num_workers: 16,
    output_dir: sft.finetuning === 'lora' ? `${CHECKPOINTS.paSft}-lora` : CHECKPOINTS.paSft,
    logging_steps: sft.loggingSteps,
    save_steps: sft.saveSteps,
    plot_loss: true,
    overwrite_output_dir: true,
    report_to: 'none',
    per_device_train_batch_size: sft.perDeviceBatchSize,
    gradient_accumulation_steps: sft.gradientAccumulationSteps,
    learning_rate: sft.learningRate,
    num_train_epochs: sft.epochs,
    lr_scheduler_type: 'cosine',
    warmup_steps: sft.warmupSteps,
    weight_decay: sft.weightDecay,
    bf16: true,
    ddp_timeout: 90000,
  };
}

/** With LoRA: the YAML `llamafactory-cli export` merges the adapter with (so SC-GRPO starts from a full model). */
function mergeConfig(context: RecipeContext): Record<string, unknown> {
  return {
    model_name_or_path: context.backbone.hub,
    adapter_name_or_path: `${CHECKPOINTS.paSft}-lora`,
    template: context.backbone.llamaFactoryTemplate,
    trust_remote_code: true,
    finetuning_type: 'lora',
    export_dir: CHECKPOINTS.paSft,
    export_size: 5,
    export_legacy_format: false,
  };
}

const yaml = (header: string, value: Record<string, unknown>) => `# ${header}\n${stringify(value)}`;

/**
 * PA-SFT on LLaMA-Factory: the data and `dataset_info.json`, the training YAML with the backbone's
 * template and the paper's hyper-parameters, a ZeRO-3 config, `train.sh`, and with LoRA a merge YAML.
 */
export function llamaFactoryFolder(context: RecipeContext): RecipeFile[] {
  const { backbone, sft } = context;
  const dir = LLAMA_FACTORY_FOLDER;
  const files: RecipeFile[] = [];
  const info: Record<string, unknown> = {};
  for (const k of context.shots) {
    const fileName = k === 0 ? 'pa_sft.json' : 'pa_sft_1shot.json';
    files.push({ path: `${dir}/data/${fileName}`, content: json(context.sets.paSft[k] ?? []) });
    info[DATASET_NAMES[k]] = llamaFactoryDatasetEntry(fileName);
  }
  files.push({ path: `${dir}/data/dataset_info.json`, content: json(info) });
  files.push({ path: `${dir}/pa_sft.yaml`, content: yaml(`PA-SFT of ${backbone.title} (written by iad-r1-recipes; keys: LLaMA-Factory's hparams)`, llamaFactoryTrainingConfig(context)) });
  files.push({ path: `${dir}/ds_z3_config.json`, content: json(deepSpeedZero3Config()) });
  const setup = ['export FORCE_TORCHRUN=1', `export NPROC_PER_NODE=\${NPROC_PER_NODE:-${sft.gpus}}`, 'LLAMAFACTORY_CLI=${LLAMAFACTORY_CLI:-llamafactory-cli}', '"$LLAMAFACTORY_CLI" train pa_sft.yaml'];
  if (sft.finetuning === 'lora') {
    files.push({ path: `${dir}/merge_lora.yaml`, content: yaml('Merge the PA-SFT LoRA adapter into the base model, for SC-GRPO and serving', mergeConfig(context)) });
  }
  files.push({
    path: `${dir}/train.sh`,
    executable: true,
    content: shellScript({
      about: [`PA-SFT of ${backbone.title} on LLaMA-Factory (written by iad-r1-recipes).`, `Needs: ${sft.gpus} GPUs with bf16 (A100 class), \`pip install llamafactory deepspeed\`.`, `Writes the model to ${sft.finetuning === 'lora' ? `${CHECKPOINTS.paSft}-lora (adapter), then merges it into ` : ''}${CHECKPOINTS.paSft}.`],
      setup: sft.finetuning === 'lora' ? setup : setup.slice(0, 3),
      command: sft.finetuning === 'lora' ? { program: ['"$LLAMAFACTORY_CLI"'], args: ['export', 'merge_lora.yaml'] } : { program: ['"$LLAMAFACTORY_CLI"'], args: ['train', 'pa_sft.yaml'] },
    }),
  });
  const unlisted = !DOCUMENTED_SUPPORT['llama-factory'].includes(backbone.family);
  files.push({
    path: `${dir}/README.md`,
    content: [
      `# PA-SFT of ${backbone.title} on LLaMA-Factory`,
      '',
      ...(unlisted ? [`> LLaMA-Factory's documentation does not list ${backbone.title}'s family; check its supported models first.`, ''] : []),
      `Needs ${sft.gpus} GPUs with bf16 and \`pip install llamafactory deepspeed\`. Run from anywhere:`,
      '',
      '```sh',
      'bash train.sh        # GPU',
      '```',
      '',
      `It trains \`${backbone.hub}\` on \`data/\` (${context.shots.map((k) => `${context.sets.paSft[k]?.length ?? 0} ${k}-shot records as \`${DATASET_NAMES[k]}\``).join(', ')}) with template \`${backbone.llamaFactoryTemplate}\`,`,
      `${sft.finetuning === 'full' ? 'full fine-tuning' : `LoRA rank ${sft.loraRank} on all linear layers, then merges the adapter (\`merge_lora.yaml\`)`}, ${sft.epochs} epoch${sft.epochs === 1 ? '' : 's'}, learning rate ${sft.learningRate}, cosine schedule, ${sft.warmupSteps} warm-up steps, weight decay ${sft.weightDecay},`,
      `per-device batch ${sft.perDeviceBatchSize} × ${sft.gradientAccumulationSteps} accumulation steps, cutoff ${sft.cutoffLen} tokens, bf16, DeepSpeed ZeRO-3 (\`ds_z3_config.json\`).`,
      `The model lands in \`${CHECKPOINTS.paSft}\`, where every SC-GRPO folder starts from.`,
      '',
      'Image paths in the data are absolute (or rebased with `--rebase`); LLaMA-Factory joins relative ones to `dataset_dir`.',
      '',
    ].join('\n'),
  });
  return files;
}
