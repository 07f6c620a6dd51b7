export { type Random, createRandom, fnv1a, hashSeed, mulberry32 } from './seeded-random';
