// Writes the byte-level tokenizer of @iad-r1/models (tokenizer.json, tokenizer_config.json with a
// ChatML template) into a folder, for make_qwen2_fixtures.py to read with transformers.
//   node scripts/parity/write-tokenizer.mjs DIR      (after `pnpm build`)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { byteLevelTokenizerFiles } from '../../packages/models/dist/tfjs/index.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/parity/write-tokenizer.mjs DIR');
mkdirSync(dir, { recursive: true });
const files = byteLevelTokenizerFiles();
writeFileSync(join(dir, 'tokenizer.json'), files.tokenizer);
writeFileSync(join(dir, 'tokenizer_config.json'), files.tokenizerConfig ?? '{}');
console.log(`wrote ${dir}/tokenizer.json and tokenizer_config.json`);
