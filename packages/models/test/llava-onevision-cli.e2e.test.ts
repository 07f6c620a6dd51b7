import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LlavaOnevisionBatch, readSafetensors, tf } from '../src/tfjs/index';
import { tinyLlavaOnevision } from './fixtures/tiny-checkpoints';
import { referenceLlavaOnevisionLogits } from './reference/llava-onevision-reference';
import { maxRelativeError } from './reference/max-relative-error';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'iad-r1-llava-cli-'));
const checkpoint = join(dir, 'tiny-llava-onevision');

beforeAll(async () => {
  await tf.setBackend('cpu');
  const model = tinyLlavaOnevision({}, 21);
  await model.save(checkpoint);
  model.dispose();
  for (const [name, width, height, seed] of [['reference.png', 24, 32, 3], ['query.png', 40, 24, 4]] as const) {
    const data = Buffer.from(Array.from({ length: width * height * 3 }, (_, i) => (i * seed * 37) % 256));
    await sharp(data, { raw: { width, height, channels: 3 } }).png().toFile(join(checkpoint, name));
  }
});

describe('iad-r1-models on a LLaVA-OneVision checkpoint', () => {
  it('logits: input ids with each image expanded and the reference’s logits at every position (1-shot, --multi-image square and anyres)', async () => {
    const request = join(checkpoint, 'request.json');
    writeFileSync(request, JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'image', image: 'reference.png' }, { type: 'image', image: 'query.png' }, { type: 'text', text: 'Any defect in the second image?' }] }] }));
    const { tensors } = await readSafetensors(join(checkpoint, 'model.safetensors'));
    for (const [mode, runs] of [['square', 2 * 50], ['anyres', 129 + 140]] as const) {
      const { stdout } = await run('node', [cli, 'logits', '--model', checkpoint, '--request', request, '--positions', 'all', '--backend', 'cpu', '--multi-image', mode], { maxBuffer: 64 * 1024 ** 2 });
      const { inputIds, logits } = JSON.parse(stdout) as { inputIds: number[]; logits: number[][] };
      expect(inputIds.filter((id) => id === 263)).toHaveLength(runs);
      // The same prompt through the library, for the processed pixels the reference reads.
      const model = tinyLlavaOnevision({}, 21, { multiImage: mode });
      const messages = [{ role: 'user' as const, content: [{ type: 'image' as const, image: join(checkpoint, 'reference.png') }, { type: 'image' as const, image: join(checkpoint, 'query.png') }, { type: 'text' as const, text: 'Any defect in the second image?' }] }];
      const batch = (await model.prepareTrainingBatch([{ messages, completion: '', appendEos: false }])) as LlavaOnevisionBatch;
      model.dispose();
      expect(Array.from(batch.ids)).toEqual(inputIds);
      const text = { hidden: 32, intermediate: 48, layers: 2, heads: 4, kvHeads: 2, vocab: 272, eps: 1e-6, theta: 10000, tied: false, prefix: 'language_model.model', head: 'language_model.lm_head.weight' };
      const vision = { prefix: 'vision_tower.vision_model', width: 16, heads: 2, mlpWidth: 24, patchSize: 4, imageSize: 30, featureLayer: 3, projector: 'multi_modal_projector', newline: 'image_newline', maxTiles: 9 };
      expect(maxRelativeError(logits, referenceLlavaOnevisionLogits(tensors, text, vision, inputIds, 263, batch.images))).toBeLessThan(1e-4);
    }
  });

  it('inspect: the architecture and the tower’s tiles in the estimate', async () => {
    const inspect = async (...args: string[]) => JSON.parse((await run('node', [cli, 'inspect', checkpoint, '--json', '--sequence-length', '512', ...args])).stdout);
    const [plain, images, pair] = [await inspect(), await inspect('--images', '1', '--image-pixels', String(90 * 90)), await inspect('--images', '2', '--image-pixels', String(90 * 90))];
    expect(images).toMatchObject({ architecture: 'llava_onevision', layers: 2, hiddenSize: 32, vocabSize: 272 });
    // A 90 × 90 image: the whole image and its 3 × 3 grid, 10 tiles of 49 patches, through 3 layers
    // (58·16 + 11·24 + 4.4·2 heads·49 patches per layer and patch), 4 bytes; two images in a
    // sequence are each read whole, 49 patches.
    const perPatch = 3 * (58 * 16 + 11 * 24 + 4.4 * 2 * 49);
    expect(images.estimate.activations - plain.estimate.activations).toBeCloseTo(4 * 490 * perPatch, 0);
    expect(pair.estimate.activations - plain.estimate.activations).toBeCloseTo(4 * 2 * 49 * perPatch, 0);
  });
});
