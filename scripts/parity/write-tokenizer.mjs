// Writes the byte-level tokenizer of @iad-r1/models (tokenizer.json, tokenizer_config.json with a
// ChatML template) into a folder, for make_qwen2_fixtures.py to read with transformers.
//   node scripts/parity/write-tokenizer.mjs DIR [--vision | --llava]      (after `pnpm build`)
// --vision adds Qwen's vision specials (ids 260–266) and a template with the image placeholder;
// --llava adds LLaVA-OneVision's (<image> 263, <video> 264) and its real chat template.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { byteLevelTokenizerFiles } from '../../packages/models/dist/tfjs/index.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/parity/write-tokenizer.mjs DIR');
mkdirSync(dir, { recursive: true });
const vision = process.argv.includes('--vision');
const llava = process.argv.includes('--llava');
const llavaTemplate = () => JSON.parse(readFileSync(new URL('../../packages/models/test/fixtures/llava-onevision-chat_template.json', import.meta.url), 'utf8')).chat_template;
const files = llava
  ? byteLevelTokenizerFiles({ specials: ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<image>', '<video>'], chatTemplate: llavaTemplate() })
  : vision
  ? byteLevelTokenizerFiles({
      specials: ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|vision_start|>', '<|vision_end|>', '<|image_pad|>', '<|video_pad|>'],
      chatTemplate: "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
    })
  : byteLevelTokenizerFiles();
writeFileSync(join(dir, 'tokenizer.json'), files.tokenizer);
writeFileSync(join(dir, 'tokenizer_config.json'), files.tokenizerConfig ?? '{}');
console.log(`wrote ${dir}/tokenizer.json and tokenizer_config.json`);
