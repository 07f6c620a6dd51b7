// The keys and flags each engine reads, with the file (and class) of the engine's own source that
// defines them, as of the commits read while writing the recipes:
//   LLaMA-Factory hiyouga/LLaMA-Factory@ff6d4d1, EasyR1 hiyouga/EasyR1@b44b311, verl volcengine/verl@b178a3c,
//   TRL huggingface/trl@f2cd577, OpenRLHF OpenRLHF/OpenRLHF@3c3be62.
// A recipe key missing here fails the test: add it only after finding it in the engine's source.

/** LLaMA-Factory training YAML keys → where they are defined. */
export const LLAMA_FACTORY_KEYS: Record<string, string> = {
  model_name_or_path: 'src/llamafactory/hparams/model_args.py ModelArguments.model_name_or_path',
  adapter_name_or_path: 'src/llamafactory/hparams/model_args.py ModelArguments.adapter_name_or_path',
  trust_remote_code: 'src/llamafactory/hparams/model_args.py ModelArguments.trust_remote_code',
  export_dir: 'src/llamafactory/hparams/model_args.py ExportArguments.export_dir',
  export_size: 'src/llamafactory/hparams/model_args.py ExportArguments.export_size',
  export_legacy_format: 'src/llamafactory/hparams/model_args.py ExportArguments.export_legacy_format',
  stage: 'src/llamafactory/hparams/finetuning_args.py FinetuningArguments.stage',
  finetuning_type: 'src/llamafactory/hparams/finetuning_args.py FinetuningArguments.finetuning_type',
  lora_rank: 'src/llamafactory/hparams/finetuning_args.py LoraArguments.lora_rank',
  lora_target: 'src/llamafactory/hparams/finetuning_args.py LoraArguments.lora_target',
  plot_loss: 'src/llamafactory/hparams/finetuning_args.py FinetuningArguments.plot_loss',
  dataset: 'src/llamafactory/hparams/data_args.py DataArguments.dataset',
  dataset_dir: 'src/llamafactory/hparams/data_args.py DataArguments.dataset_dir',
  template: 'src/llamafactory/hparams/data_args.py DataArguments.template',
  cutoff_len: 'src/llamafactory/hparams/data_args.py DataArguments.cutoff_len',
  overwrite_cache: 'src/llamafactory/hparams/data_args.py DataArguments.overwrite_cache',
  preprocessing_num_workers: 'src/llamafactory/hparams/data_args.py DataArguments.preprocessing_num_workers',
  // Seq2SeqTrainingArguments (transformers TrainingArguments), as examples/train_full/qwen3vl_full_sft.yaml uses them.
  do_train: 'transformers TrainingArguments.do_train',
  deepspeed: 'transformers TrainingArguments.deepspeed',
  output_dir: 'transformers TrainingArguments.output_dir',
  logging_steps: 'transformers TrainingArguments.logging_steps',
  save_steps: 'transformers TrainingArguments.save_steps',
  overwrite_output_dir: 'examples/train_full/qwen3vl_full_sft.yaml overwrite_output_dir',
  report_to: 'transformers TrainingArguments.report_to',
  per_device_train_batch_size: 'transformers TrainingArguments.per_device_train_batch_size',
  gradient_accumulation_steps: 'transformers TrainingArguments.gradient_accumulation_steps',
  learning_rate: 'transformers TrainingArguments.learning_rate',
  num_train_epochs: 'transformers TrainingArguments.num_train_epochs',
  lr_scheduler_type: 'transformers TrainingArguments.lr_scheduler_type',
  warmup_steps: 'transformers TrainingArguments.warmup_steps',
  weight_decay: 'transformers TrainingArguments.weight_decay',
  bf16: 'transformers TrainingArguments.bf16',
  ddp_timeout: 'transformers TrainingArguments.ddp_timeout',
};

/** LLaMA-Factory `template` names (src/llamafactory/data/template.py `register_template(name=…)`). */
export const LLAMA_FACTORY_TEMPLATES = ['qwen2_vl', 'llava_next_qwen', 'llava', 'llava_next_mistral'];

/** `dataset_info.json` entry keys (src/llamafactory/data/parser.py `DatasetAttr`, `get_dataset_list`). */
export const LLAMA_FACTORY_DATASET_KEYS = {
  entry: ['file_name', 'formatting', 'columns', 'tags'],
  columns: ['messages', 'images'],
  tags: ['role_tag', 'content_tag', 'user_tag', 'assistant_tag', 'system_tag'],
};

/** EasyR1 config keys (nested path → dataclass field). */
export const EASYR1_KEYS: Record<string, string> = {
  ...Object.fromEntries(
    ['train_files', 'val_files', 'prompt_key', 'answer_key', 'image_key', 'image_dir', 'format_prompt', 'max_prompt_length', 'max_response_length', 'rollout_batch_size', 'shuffle', 'seed', 'max_pixels', 'filter_overlong_prompts'].map((k) => [`data.${k}`, `verl/trainer/config.py DataConfig.${k}`]),
  ),
  ...Object.fromEntries(['adv_estimator', 'disable_kl', 'use_kl_loss', 'kl_penalty', 'kl_coef'].map((k) => [`algorithm.${k}`, `verl/trainer/config.py AlgorithmConfig.${k}`])),
  ...Object.fromEntries(
    ['global_batch_size', 'micro_batch_size_per_device_for_update', 'micro_batch_size_per_device_for_experience', 'max_grad_norm', 'clip_ratio_low', 'clip_ratio_high', 'loss_avg_mode'].map((k) => [`worker.actor.${k}`, `verl/workers/actor/config.py ActorConfig.${k}`]),
  ),
  ...Object.fromEntries(['model_path', 'enable_gradient_checkpointing', 'trust_remote_code', 'freeze_vision_tower'].map((k) => [`worker.actor.model.${k}`, `verl/workers/actor/config.py ModelConfig.${k}`])),
  ...Object.fromEntries(['lr', 'weight_decay', 'strategy', 'lr_warmup_ratio'].map((k) => [`worker.actor.optim.${k}`, `verl/workers/actor/config.py OptimConfig.${k}`])),
  ...Object.fromEntries(['enable_full_shard', 'enable_cpu_offload'].flatMap((k) => [[`worker.actor.fsdp.${k}`, `verl/workers/actor/config.py FSDPConfig.${k}`], [`worker.ref.fsdp.${k}`, `verl/workers/actor/config.py FSDPConfig.${k} (RefConfig.fsdp)`]])),
  ...Object.fromEntries(['offload_params', 'offload_optimizer'].map((k) => [`worker.actor.offload.${k}`, `verl/workers/actor/config.py OffloadConfig.${k}`])),
  ...Object.fromEntries(['n', 'temperature', 'top_p', 'limit_images', 'gpu_memory_utilization', 'tensor_parallel_size'].map((k) => [`worker.rollout.${k}`, `verl/workers/rollout/config.py RolloutConfig.${k}`])),
  'worker.reward.reward_function': 'verl/workers/reward/config.py RewardConfig.reward_function',
  ...Object.fromEntries(
    ['total_epochs', 'project_name', 'experiment_name', 'logger', 'nnodes', 'n_gpus_per_node', 'val_freq', 'val_before_train', 'save_freq', 'save_checkpoint_path'].map((k) => [`trainer.${k}`, `verl/trainer/config.py TrainerConfig.${k}`]),
  ),
};

/** verl `main_ppo` override keys → the Hydra config file that defines them (verl/trainer/config/…). */
export const VERL_KEYS: Record<string, string> = {
  'algorithm.adv_estimator': 'ppo_trainer.yaml algorithm.adv_estimator',
  'algorithm.use_kl_in_reward': 'ppo_trainer.yaml algorithm.use_kl_in_reward',
  ...Object.fromEntries(['train_files', 'val_files', 'train_batch_size', 'max_prompt_length', 'max_response_length', 'filter_overlong_prompts', 'truncation', 'image_key'].map((k) => [`data.${k}`, `data/legacy_data.yaml ${k}`])),
  'actor_rollout_ref.model.path': 'model/hf_model.yaml path',
  'actor_rollout_ref.model.enable_gradient_checkpointing': 'model/hf_model.yaml enable_gradient_checkpointing',
  'actor_rollout_ref.actor.optim.lr': 'actor/actor.yaml optim.lr',
  ...Object.fromEntries(['ppo_mini_batch_size', 'ppo_micro_batch_size_per_gpu', 'use_kl_loss', 'kl_loss_coef', 'kl_loss_type', 'entropy_coeff', 'clip_ratio', 'loss_agg_mode'].map((k) => [`actor_rollout_ref.actor.${k}`, `actor/actor.yaml ${k}`])),
  ...Object.fromEntries(['name', 'n', 'temperature', 'tensor_model_parallel_size', 'gpu_memory_utilization', 'log_prob_micro_batch_size_per_gpu'].map((k) => [`actor_rollout_ref.rollout.${k}`, `rollout/rollout.yaml ${k}`])),
  'actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu': 'ref/ref.yaml log_prob_micro_batch_size_per_gpu',
  'custom_reward_function.path': 'ppo_trainer.yaml custom_reward_function.path',
  'custom_reward_function.name': 'ppo_trainer.yaml custom_reward_function.name',
  ...Object.fromEntries(['total_epochs', 'critic_warmup', 'n_gpus_per_node', 'nnodes', 'save_freq', 'test_freq', 'val_before_train', 'logger', 'project_name', 'experiment_name', 'default_local_dir'].map((k) => [`trainer.${k}`, `ppo_trainer.yaml trainer.${k}`])),
};

/** Keys verl's config lacks, added with Hydra's `+` and read by verl's code. */
export const VERL_ADDED_KEYS: Record<string, string> = {
  'actor_rollout_ref.rollout.limit_images': 'verl/workers/rollout/vllm_rollout/vllm_async_server.py: engine_kwargs["limit_mm_per_prompt"] = {"image": self.config.get("limit_images")}',
};

/** `GRPOConfig` keyword arguments (trl/trainer/grpo_config.py GRPOConfig, and the TrainingArguments it extends). */
export const TRL_GRPO_CONFIG_KEYS: Record<string, string> = {
  ...Object.fromEntries(
    ['num_generations', 'max_completion_length', 'beta', 'loss_type', 'scale_rewards', 'epsilon', 'temperature', 'learning_rate', 'use_vllm', 'vllm_mode', 'vllm_server_host', 'vllm_server_port', 'remove_unused_columns', 'log_completions', 'reward_weights'].map((k) => [k, `trl/trainer/grpo_config.py GRPOConfig.${k}`]),
  ),
  ...Object.fromEntries(['output_dir', 'num_train_epochs', 'per_device_train_batch_size', 'gradient_accumulation_steps', 'bf16', 'gradient_checkpointing', 'deepspeed', 'logging_steps', 'save_steps', 'report_to'].map((k) => [k, `transformers TrainingArguments.${k}`])),
};

/** `trl vllm-serve` flags (trl/scripts/vllm_serve.py ScriptArguments). */
export const TRL_VLLM_SERVE_FLAGS = ['--model', '--host', '--port', '--max_model_len', '--dtype'];

/** OpenRLHF flags (openrlhf/cli/train_ppo_ray.py `parser.add_argument("--…")`; `--actor.adam.lr` from its per-entity optimizer loop). */
export const OPENRLHF_FLAGS = [
  '--actor.model_name_or_path', '--actor.num_nodes', '--actor.num_gpus_per_node', '--ref.num_nodes', '--ref.num_gpus_per_node',
  '--vllm.num_engines', '--vllm.tensor_parallel_size', '--vllm.gpu_memory_utilization', '--vllm.enable_sleep', '--ds.enable_sleep', '--train.colocate_all',
  '--reward.remote_url', '--data.prompt_dataset', '--data.input_key', '--data.label_key', '--data.image_key', '--data.max_images_per_prompt', '--data.apply_chat_template', '--data.max_len',
  '--rollout.n_samples_per_prompt', '--rollout.max_new_tokens', '--rollout.temperature', '--rollout.batch_size', '--rollout.micro_batch_size',
  '--train.batch_size', '--train.micro_batch_size', '--train.max_epochs', '--train.num_episodes',
  '--algo.advantage.estimator', '--algo.kl.use_loss', '--algo.kl.estimator', '--algo.kl.init_coef', '--actor.eps_clip', '--actor.adam.lr', '--actor.gradient_checkpointing_enable',
  '--ds.zero_stage', '--ds.param_dtype', '--ckpt.output_dir', '--ckpt.save_hf', '--ckpt.save_steps', '--logger.logging_steps',
];
/** OpenRLHF flags that take no value (`action="store_true"`). */
export const OPENRLHF_SWITCHES = ['--vllm.enable_sleep', '--ds.enable_sleep', '--train.colocate_all', '--data.apply_chat_template', '--algo.kl.use_loss', '--actor.gradient_checkpointing_enable', '--ckpt.save_hf'];

/** `vllm serve` engine arguments (vLLM's EngineArgs / frontend arguments, as `vllm serve --help` lists them). */
export const VLLM_SERVE_FLAGS = ['--served-model-name', '--host', '--port', '--dtype', '--max-model-len', '--limit-mm-per-prompt', '--mm-processor-kwargs'];

/** Columns GRPOTrainer reads from a row (trl/trainer/grpo_trainer.py `_signature_columns = ["prompt", "image", "images"]`); the rest reach the reward functions as keywords. */
export const TRL_ROW_COLUMNS = ['prompt', 'images'];

/** DeepSpeed ZeRO-3 keys as LLaMA-Factory ships them (examples/deepspeed/ds_z3_config.json), with "auto" filled by the HF Trainer. */
export const DEEPSPEED_ZERO3_KEYS = [
  'train_batch_size', 'train_micro_batch_size_per_gpu', 'gradient_accumulation_steps', 'gradient_clipping', 'zero_allow_untested_optimizer', 'bf16.enabled',
  'zero_optimization.stage', 'zero_optimization.overlap_comm', 'zero_optimization.contiguous_gradients', 'zero_optimization.reduce_bucket_size',
  'zero_optimization.stage3_prefetch_bucket_size', 'zero_optimization.stage3_param_persistence_threshold', 'zero_optimization.stage3_gather_16bit_weights_on_model_save',
];
