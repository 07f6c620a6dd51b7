import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import { expectCpuAndWasmAgree } from './fixtures/backend-agreement';
import { maxRelativeError } from './reference/max-relative-error';
import { expectGreedyTokensMatchFullPass } from './fixtures/decoding-checks';
import type { ChatMessage } from '../src/index';
import {
  CheckpointError,
  ConfigFieldError,
  HfTokenizer,
  Qwen2ForCausalLM,
  UnsupportedArchitectureError,
  bf16ToF32,
  f32ToBf16,
  loadModel,
  readSafetensors,
  tf,
} from '../src/tfjs/index';
import { tinyQwen2, tinyQwen2Config, tinyTokenizer, tinyTokenizerFiles } from './fixtures/tiny-checkpoints';
import { referenceLogits } from './reference/qwen2-reference';

const temp = (name: string) => join(mkdtempSync(join(tmpdir(), 'iad-r1-qwen2-')), name);
const user = (text: string): ChatMessage[] => [{ role: 'user', content: text }];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function logitsOf(model: Qwen2ForCausalLM, messages: ChatMessage[], completion: string): Promise<{ ids: number[]; logits: number[][] }> {
  const batch = await model.prepareTrainingBatch([{ messages, completion, appendEos: false }]);
  const logits = tf.tidy(() => model.logits(batch).arraySync() as number[][][]);
  return { ids: Array.from(batch.ids), logits: logits[0] as number[][] };
}

async function referenceFor(dir: string, model: Qwen2ForCausalLM, ids: number[]): Promise<number[][]> {
  const { tensors } = await readSafetensors(join(dir, 'model.safetensors'));
  const c = model.decoder;
  return referenceLogits(tensors, { hidden: c.hiddenSize, intermediate: c.intermediateSize, layers: c.layers, heads: c.heads, kvHeads: c.kvHeads, vocab: c.vocabSize, eps: c.rmsNormEps, theta: c.ropeTheta, tied: c.tieWordEmbeddings }, ids);
}

describe('Qwen2ForCausalLM', () => {
  it.each([
    ['untied head', {}],
    ['tied embeddings, θ = 1e6', { tie_word_embeddings: true, rope_theta: 1e6 }],
    ['4 heads sharing 1 key/value head', { num_key_value_heads: 1 }],
  ])('gives the logits of a plain-loop float64 reference at every position (%s)', async (_, overrides) => {
    const model = tinyQwen2(overrides, 3);
    const dir = temp('model');
    await model.save(dir);
    const { ids, logits } = await logitsOf(model, user('Are there any defects in the query image?'), '<think>The weave is even.</think><answer>No</answer>');
    expect(ids.length).toBeGreaterThan(60);
    const expected = await referenceFor(dir, model, ids);
    expect(maxRelativeError(logits, expected)).toBeLessThan(1e-4);
    // The weights are spread wide enough that positions disagree: the check is not vacuous.
    expect(new Set(expected.map((row) => row.indexOf(Math.max(...row)))).size).toBeGreaterThan(3);
    model.dispose();
  });

  it('decodes with the KV cache exactly what the full forward pass predicts, alone and left-padded in a batch', async () => {
    const model = tinyQwen2({}, 5);
    const prompt = user('Is the surface normal?');
    const [alone] = await model.generate([prompt], { maxNewTokens: 12, temperature: 0 });
    const tokens = alone?.completions[0]?.tokenIds as number[];
    expect(tokens.length).toBeGreaterThan(3);
    const rows = await expectGreedyTokensMatchFullPass(model, prompt, tokens);
    // Log-probabilities of what was sampled equal the full pass's log-softmax.
    const logProbs = alone?.completions[0]?.logProbs as number[];
    tokens.forEach((token, i) => {
      const row = rows[i] as number[];
      const max = Math.max(...row);
      const expected = (row[token] as number) - max - Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      expect(Math.abs((logProbs[i] as number) - expected)).toBeLessThan(1e-4);
    });
    const together = await model.generate([user('A much longer question, to pad the short one on the left.'), prompt], { maxNewTokens: 12, temperature: 0 });
    expect(together[1]?.completions[0]?.tokenIds).toEqual(tokens);
    model.dispose();
  });

  it('stops at the end-of-turn token, reporting it apart from the completion', async () => {
    const model = tinyQwen2({}, 5);
    const endOfTurn = model.stopTokenIds[0] as number;
    // Bias the head towards <|im_end|> so decoding ends there.
    const head = model.weights.get('lm_head.weight');
    tf.tidy(() => head.assign(tf.add(head, tf.mul(tf.oneHot([endOfTurn], model.decoder.vocabSize).reshape([1, -1]), 50))));
    const [result] = await model.generate([user('hi')], { maxNewTokens: 8 });
    const c = result?.completions[0];
    expect(c?.finishReason).toBe('stop');
    expect(c?.tokenIds).toEqual([]);
    expect(c?.endOfSequence?.tokenId).toBe(endOfTurn);
    // Nearly certain after the bias: its log-probability is just below 0.
    expect(c?.endOfSequence?.logProb).toBeLessThanOrEqual(0);
    expect(c?.endOfSequence?.logProb).toBeGreaterThan(-1e-3);
    model.dispose();
  });

  it('computes token log-probabilities only where the loss reads them, equal to the full logits there', async () => {
    const model = tinyQwen2({}, 7);
    const batch = await model.prepareTrainingBatch([
      { messages: user('short'), completion: '<answer>No</answer>' },
      { messages: user('a longer prompt than the first'), completion: '<answer>Yes</answer>' },
    ]);
    const picked = tf.tidy(() => model.tokenLogProbs(batch).arraySync() as number[][]);
    const full = tf.tidy(() => tf.logSoftmax(model.logits(batch), -1).arraySync() as number[][][]);
    for (let b = 0; b < batch.batch; b++) {
      for (let t = 0; t < batch.steps; t++) {
        const i = b * batch.steps + t;
        const expected = batch.lossMask[i] ? ((full[b] as number[][])[t] as number[])[batch.targets[i] as number] : 0;
        expect(Math.abs(((picked[b] as number[])[t] as number) - (expected as number))).toBeLessThan(1e-5);
      }
    }
    // The end-of-turn token is the last completion target of each row.
    const last = batch.lossMask.lastIndexOf(1);
    expect(batch.targets[last]).toBe(model.stopTokenIds[0]);
    model.dispose();
  });

  it('has the same loss and gradients on the wasm and cpu backends', async () => {
    // Every weight, the embedding included (through the gather's scatter gradient), gets a gradient.
    await expectCpuAndWasmAgree(() => tinyQwen2({ tie_word_embeddings: true }, 9), [{ messages: user('check'), completion: 'a scratch' }, { messages: user('check the part'), completion: 'fine' }], 1e-4);
  });
});

describe('Qwen2 checkpoints in Hugging Face layout', () => {
  it('saves config, tokenizer files and safetensors that load back to the same logits', async () => {
    const model = tinyQwen2({}, 11);
    const dir = temp('saved');
    await model.save(dir);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], hidden_size: 32 });
    const { tensors } = await readSafetensors(join(dir, 'model.safetensors'));
    // PyTorch's layout: nn.Linear weights [out, in].
    expect(tensors.get('model.layers.0.self_attn.k_proj.weight')?.shape).toEqual([16, 32]);
    expect(tensors.get('model.layers.0.mlp.down_proj.weight')?.shape).toEqual([32, 48]);
    expect(tensors.get('lm_head.weight')?.shape).toEqual([264, 32]);
    const loaded = await loadModel(dir);
    expect(loaded).toBeInstanceOf(Qwen2ForCausalLM);
    const a = await logitsOf(model, user('hello'), 'world');
    const b = await logitsOf(loaded as Qwen2ForCausalLM, user('hello'), 'world');
    expect(b.logits).toEqual(a.logits);
    model.dispose();
    loaded.dispose();
  });

  it('reads bfloat16 and float16 checkpoints as their float32 values, and writes them back in their dtype', async () => {
    const model = tinyQwen2({ torch_dtype: 'bfloat16' }, 13);
    const dir = temp('bf16');
    await model.save(dir);
    const header = JSON.parse(readFileSync(join(dir, 'model.safetensors')).subarray(8, 8 + Number(readFileSync(join(dir, 'model.safetensors')).readBigUInt64LE(0))).toString());
    expect(header['model.norm.weight'].dtype).toBe('BF16');
    const loaded = (await loadModel(dir)) as Qwen2ForCausalLM;
    // Expected: the float32 model with every weight rounded to bfloat16 by hand.
    for (const [name, v] of model.weights.entries()) {
      const rounded = Float32Array.from(v.dataSync(), (x) => bf16ToF32(f32ToBf16(x)));
      expect(Array.from(loaded.weights.get(name).dataSync()), name).toEqual(Array.from(rounded));
    }
    // Saved again, the bytes are the same: bf16 → f32 → bf16 is exact.
    const again = temp('bf16-again');
    await loaded.save(again);
    expect(readFileSync(join(again, 'model.safetensors')).equals(readFileSync(join(dir, 'model.safetensors')))).toBe(true);
    model.dispose();
    loaded.dispose();
  });

  it('loads a sharded checkpoint to the same weights as the single file, and saves it sharded again', async () => {
    const model = Qwen2ForCausalLM.create(tinyQwen2Config(), tinyTokenizer(), { seed: 17, maxShardBytes: 40_000 });
    const dir = temp('sharded');
    await model.save(dir);
    const files = readdirSync(dir).filter((f) => f.endsWith('.safetensors')).sort();
    expect(files.length).toBeGreaterThan(2);
    expect(files[0]).toMatch(/^model-00001-of-0000\d\.safetensors$/);
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    expect(Object.keys(index.weight_map)).toHaveLength(model.weights.specs.length);
    expect(index.metadata.total_size).toBe(model.parameterCount() * 4);
    const loaded = (await loadModel(dir)) as Qwen2ForCausalLM;
    for (const [name, v] of model.weights.entries()) expect(Array.from(loaded.weights.get(name).dataSync()), name).toEqual(Array.from(v.dataSync()));
    const again = temp('sharded-again');
    await loaded.save(again);
    expect(JSON.parse(readFileSync(join(again, 'model.safetensors.index.json'), 'utf8')).weight_map).toEqual(index.weight_map);
    model.dispose();
    loaded.dispose();
  });

  it('names the file, tensor and field of what it cannot load', async () => {
    const model = tinyQwen2({}, 19);
    const dir = temp('broken');
    await model.save(dir);
    model.dispose();
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, hidden_act: 'gelu' }));
    await expect(loadModel(dir)).rejects.toThrow(ConfigFieldError);
    await expect(loadModel(dir)).rejects.toThrow(/config\.json: field hidden_act: "gelu" is not supported/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, rope_scaling: { type: 'yarn', factor: 4 } }));
    await expect(loadModel(dir)).rejects.toThrow(/field rope_scaling: RoPE type "yarn" is not supported/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, intermediate_size: 40 }));
    await expect(loadModel(dir)).rejects.toThrow(/model\.safetensors: tensor model\.layers\.0\.mlp\.gate_proj\.weight: has shape \[48,32\] but the config needs \[40,32\]/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, num_hidden_layers: 3 }));
    await expect(loadModel(dir)).rejects.toThrow(CheckpointError);
    await expect(loadModel(dir)).rejects.toThrow(/tensor model\.layers\.2\.input_layernorm\.weight: missing/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, model_type: 'llama', architectures: ['LlamaForCausalLM'] }));
    await expect(loadModel(dir)).rejects.toThrow(UnsupportedArchitectureError);
    await expect(loadModel(dir)).rejects.toThrow(/model_type "llama" \(architectures LlamaForCausalLM\) is not supported; supported: iad-r1-tiny-vlm, qwen2/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const bytes = readFileSync(join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'model.safetensors'), bytes.subarray(0, bytes.length - 100));
    await expect(loadModel(dir)).rejects.toThrow(/model\.safetensors: tensor lm_head\.weight: truncated/);
    expect(existsSync(join(dir, 'tokenizer.json'))).toBe(true);
  });

  it('refuses images: qwen2 reads text only', async () => {
    const model = tinyQwen2({}, 21);
    await expect(model.generate([[{ role: 'user', content: [{ type: 'image', image: 'q.png' }, { type: 'text', text: 'Any defect?' }] }]])).rejects.toThrow(/message 0 has an image, but this model reads text only/);
    model.dispose();
  });

  it('reads every size and token id from the config (nothing fixed to one checkpoint)', () => {
    const files = tinyTokenizerFiles();
    // 256 byte tokens and 4 merges, then <|endoftext|> 260, <|im_start|> 261, <|im_end|> 262.
    const config = tinyQwen2Config({ hidden_size: 48, num_attention_heads: 6, num_key_value_heads: 3, intermediate_size: 20, num_hidden_layers: 3, vocab_size: 300, eos_token_id: [260] });
    const model = Qwen2ForCausalLM.create(config, HfTokenizer.fromFiles(files));
    expect(model.decoder).toMatchObject({ hiddenSize: 48, heads: 6, kvHeads: 3, headDim: 8, layers: 3, vocabSize: 300 });
    expect(model.weights.get('model.layers.2.self_attn.k_proj.weight').shape).toEqual([48, 24]);
    // The end of turn named by tokenizer_config.json first, then the config's end-of-sequence ids.
    expect(model.stopTokenIds).toEqual([262, 260]);
    model.dispose();
  });
});
