// node packages/models/bench/resize-vs-pil.mjs [image]   (after `pnpm build`; needs Debian's python3-pil)
// How far sharp's cubic resize (this package's Qwen2-VL processor) is from PIL's bicubic (what the
// reference processor uses), on a photo-like image at two pixel budgets: the grey-level difference
// of the resized pixels, and its effect on the logits of a tiny random Qwen2-VL with the real
// processor settings (14-pixel patches, CLIP mean and std). One JSON line per budget.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { HfTokenizer, Qwen2VLForConditionalGeneration, byteLevelTokenizerFiles, decodeRgb, smartResize } from '../dist/tfjs/index.js';

const python = '/usr/bin/python3';
const image = process.argv[2] ?? fileURLToPath(new URL('../../datasets/docs/contact-sheet.png', import.meta.url));
try {
  execFileSync(python, ['-c', 'import PIL'], { stdio: 'ignore' });
} catch {
  console.error(`skip: ${python} cannot import PIL (apt-get install python3-pil)`);
  process.exit(0);
}
await tf.setBackend('cpu');
const dir = mkdtempSync(join(tmpdir(), 'iad-r1-resize-'));
const specials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|vision_start|>', '<|vision_end|>', '<|image_pad|>', '<|video_pad|>'];
const template = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{% for part in message['content'] %}{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>{% else %}{{ part['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endfor %}<|im_start|>assistant\n";
const tokenizer = HfTokenizer.fromFiles(byteLevelTokenizerFiles({ specials, chatTemplate: template }));
const config = {
  model_type: 'qwen2_vl', vocab_size: 272, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rope_theta: 10000,
  rope_scaling: { type: 'mrope', mrope_section: [1, 1, 2] }, initializer_range: 0.2, eos_token_id: 262, vision_start_token_id: 263, image_token_id: 265, video_token_id: 266,
  vision_config: { depth: 2, embed_dim: 32, num_heads: 2, mlp_ratio: 2, hidden_size: 32, patch_size: 14, spatial_merge_size: 2, temporal_patch_size: 2 },
};
for (const maxPixels of [480000, 100000]) {
  const model = Qwen2VLForConditionalGeneration.create(config, tokenizer, { seed: 0, preprocessor: { min_pixels: 3136, max_pixels: maxPixels } });
  const { width, height } = await decodeRgb(image);
  const target = smartResize(height, width, { factor: 28, minPixels: 3136, maxPixels });
  const pil = join(dir, `pil-${maxPixels}.png`);
  execFileSync(python, ['-c', `from PIL import Image\nImage.open(${JSON.stringify(image)}).convert('RGB').resize((${target.width}, ${target.height}), Image.BICUBIC).save(${JSON.stringify(pil)})`]);
  const ours = await decodeRgb(image, target);
  const theirs = await decodeRgb(pil);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < ours.data.length; i++) {
    const d = Math.abs((ours.data[i] ?? 0) - (theirs.data[i] ?? 0));
    sum += d;
    max = Math.max(max, d);
  }
  const logitsOf = async (file) => {
    const batch = await model.prepareTrainingBatch([{ messages: [{ role: 'user', content: [{ type: 'image', image: file }, { type: 'text', text: 'Are there any defects in the test image?' }] }], completion: '' , appendEos: false }]);
    return tf.tidy(() => model.logits(batch).arraySync()[0]);
  };
  const a = await logitsOf(image); // resized by sharp inside the processor
  const b = await logitsOf(pil); // already at the target size: no resize, PIL's pixels
  let worst = 0;
  a.forEach((row, t) => {
    const scale = Math.max(...row.map(Math.abs));
    row.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[t][i]) / scale)));
  });
  console.log(JSON.stringify({ bench: 'resize-vs-pil', image: image.split('/').at(-1), from: `${width}x${height}`, to: `${target.width}x${target.height}`, maxPixels, meanAbsGreyLevels: +(sum / ours.data.length).toFixed(3), maxAbsGreyLevels: max, share: +(ours.data.filter((v, i) => v !== theirs.data[i]).length / ours.data.length).toFixed(3), maxRelativeLogitDifference: +worst.toExponential(2) }));
  model.dispose();
}
rmSync(dir, { recursive: true, force: true });
