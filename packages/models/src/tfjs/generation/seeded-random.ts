// The project's one seeded generator; re-exported where the sampler and trainers import it.
export { mulberry32 } from '@iad-r1/cot-schema';
