/**
 * DeepSpeed ZeRO-3 for the Hugging Face Trainer (LLaMA-Factory, TRL): sizes left to the Trainer
 * (`"auto"`), bf16 as the run asks, and the 16-bit weights gathered on save so the checkpoint is a
 * plain Hugging Face folder that vLLM and the next stage load.
 */
export function deepSpeedZero3Config(): Record<string, unknown> {
  return {
    train_batch_size: 'auto',
    train_micro_batch_size_per_gpu: 'auto',
    gradient_accumulation_steps: 'auto',
    gradient_clipping: 'auto',
    zero_allow_untested_optimizer: true,
    bf16: { enabled: 'auto' },
    zero_optimization: {
      stage: 3,
      overlap_comm: false,
      contiguous_gradients: true,
      reduce_bucket_size: 'auto',
      stage3_prefetch_bucket_size: 'auto',
      stage3_param_persistence_threshold: 'auto',
      stage3_gather_16bit_weights_on_model_save: true,
    },
  };
}
