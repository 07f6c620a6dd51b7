import { describe, expect, it } from 'vitest';
import {
  BASE_TEST_PROMPT_ONE_SHOT,
  IAD_R1_TEST_PROMPT_ONE_SHOT,
  IAD_R1_TEST_PROMPT_ZERO_SHOT,
  SC_GRPO_PROMPT_ONE_SHOT,
  SC_GRPO_PROMPT_ZERO_SHOT,
  TEST_PROMPTS,
  TEST_PROMPT_NAMES,
  buildChatMessages,
  recordMessages,
  scGrpoTrainingPrompt,
} from './index';

describe('prompt constants (docs/METHOD.md §2)', () => {
  it('hold the paper texts', () => {
    expect(scGrpoTrainingPrompt(0)).toBe(
      'You are an expert in detecting defects in image. Your task is to detect if there are any defects in the test image.\nAre there any defects in the query image?',
    );
    expect(SC_GRPO_PROMPT_ZERO_SHOT).toContain('{Question}');
    expect(scGrpoTrainingPrompt(1, 'Q?')).toMatch(/inspection\.Your task is to compare .* considered normal\.Q\?$/);
    expect(BASE_TEST_PROMPT_ONE_SHOT).toBe(`${IAD_R1_TEST_PROMPT_ONE_SHOT} Please answer by yes or no.`);
  });

  it('give every family one {image} for 0-shot and two for 1-shot', () => {
    for (const name of TEST_PROMPT_NAMES) {
      expect(TEST_PROMPTS[name].zeroShot.split('{image}').length - 1, name).toBe(1);
      expect(TEST_PROMPTS[name].oneShot.split('{image}').length - 1, name).toBe(2);
    }
  });
});

describe('buildChatMessages', () => {
  it('places the query image at {image} for 0-shot', () => {
    expect(buildChatMessages({ template: IAD_R1_TEST_PROMPT_ZERO_SHOT, queryImage: 'q.png' })).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image', image: 'q.png' },
          { type: 'text', text: 'Are there any defects in the test image?' },
        ],
      },
    ]);
  });

  it('places reference then query for 1-shot, with a system message', () => {
    const [system, user] = buildChatMessages({
      template: IAD_R1_TEST_PROMPT_ONE_SHOT,
      referenceImages: ['good.png'],
      queryImage: 'q.png',
      system: 'S',
    });
    expect(system).toEqual({ role: 'system', content: 'S' });
    expect(user?.content).toEqual([
      { type: 'text', text: 'Following is 1 image of normal sample, which can be used as a template to compare the image being queried. ' },
      { type: 'image', image: 'good.png' },
      { type: 'text', text: ' Following is image of test sample: ' },
      { type: 'image', image: 'q.png' },
      { type: 'text', text: ' Are there any defects in the test image?' },
    ]);
  });

  it('expands a one-shot template to N references', () => {
    const [user] = buildChatMessages({ template: IAD_R1_TEST_PROMPT_ONE_SHOT, referenceImages: ['g1', 'g2', 'g3'], queryImage: 'q' });
    const content = user?.content as Array<{ type: string; image?: string; text?: string }>;
    expect(content.filter((p) => p.type === 'image').map((p) => p.image)).toEqual(['g1', 'g2', 'g3', 'q']);
    expect(content[0]?.text).toMatch(/^Following is 3 images of normal samples/);
  });

  it("writes the authors' few-shot wording word for word when asked", () => {
    const [user] = buildChatMessages({ template: IAD_R1_TEST_PROMPT_ONE_SHOT, referenceImages: ['g1', 'g2'], queryImage: 'q', referenceWording: 'authors' });
    const content = user?.content as Array<{ type: string; image?: string; text?: string }>;
    expect(content.map((p) => p.text ?? p.image)).toEqual([
      'Following is 2 image of normal sample, which can be used as a template to compare the image being queried. ',
      'g1',
      'g2',
      ' Following is image of test sample: ',
      'q',
      ' Are there any defects in the test image?',
    ]);
  });

  it('puts images first for templates without placeholders and fills {Question}', () => {
    const [user] = buildChatMessages({ template: SC_GRPO_PROMPT_ZERO_SHOT, referenceImages: ['r'], queryImage: 'q', question: 'Q?' });
    expect(user?.content).toEqual([
      { type: 'image', image: 'r' },
      { type: 'image', image: 'q' },
      { type: 'text', text: 'You are an expert in detecting defects in image. Your task is to detect if there are any defects in the test image.\nQ?' },
    ]);
  });

  it('refuses a placeholder count that does not fit the images', () => {
    expect(() => buildChatMessages({ template: IAD_R1_TEST_PROMPT_ZERO_SHOT, referenceImages: ['r'], queryImage: 'q' })).toThrow(
      /1 \{image\} placeholder\(s\) but 1 reference image\(s\) \+ 1 query image/,
    );
  });
});

describe('recordMessages', () => {
  const record = { queryImage: 'q.png', referenceImage: 'r.png' };
  it('lays out PA-SFT prompts as LLaMA-Factory records do: images, then the question (1-shot: the one-shot prompt)', () => {
    expect(recordMessages(record)).toEqual([{ role: 'user', content: [{ type: 'image', image: 'q.png' }, { type: 'text', text: 'Are there any defects in the query image?' }] }]);
    const oneShot = recordMessages(record, { shots: 1, resolveImage: (p) => `/data/${p}` });
    expect(oneShot[0]?.content).toEqual([{ type: 'image', image: '/data/r.png' }, { type: 'image', image: '/data/q.png' }, { type: 'text', text: SC_GRPO_PROMPT_ONE_SHOT.replace('{Question}', 'Are there any defects in the query image?') }]);
    // A record without a reference stays 0-shot.
    expect(recordMessages({ queryImage: 'q.png' }, { shots: 1 })[0]?.content).toHaveLength(2);
  });

  it('uses the SC-GRPO training prompt with the record question, or the IAD-R1 test prompt', () => {
    const grpo = recordMessages(record, { style: 'sc-grpo', question: 'Is the weld sound?' });
    expect(grpo[0]?.content.at(-1)).toEqual({ type: 'text', text: SC_GRPO_PROMPT_ZERO_SHOT.replace('{Question}', 'Is the weld sound?') });
    expect(recordMessages(record, { style: 'test', shots: 1 })).toEqual(buildChatMessages({ template: IAD_R1_TEST_PROMPT_ONE_SHOT, referenceImages: ['r.png'], queryImage: 'q.png' }));
    expect(recordMessages({ queryImage: 'q.png', referenceImages: ['a.png', 'b.png'] }, { style: 'sc-grpo', shots: 1 })[0]?.content.slice(0, 3)).toEqual(['a.png', 'b.png', 'q.png'].map((image) => ({ type: 'image', image })));
  });
});
