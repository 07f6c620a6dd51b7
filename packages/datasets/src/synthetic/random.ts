// The seeded source lives in @iad-r1/cot-schema (one for the whole project); re-exported here
// because this package published it first.
export { type Random, createRandom, hashSeed } from '@iad-r1/cot-schema';
