import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelOutputSchema } from '../records/model-output-schema';
import { OutputParseError, type ModelOutput, formatOutput, parseOutput, parseOutputOrThrow } from './index';

describe('parseOutput accepts the two patterns of docs/METHOD.md §1', () => {
  it('reads a normal answer', () => {
    expect(parseOutput('<think>The surface is uniform.</think><answer>No</answer>')).toEqual({
      ok: true,
      pattern: 'normal',
      think: 'The surface is uniform.',
      answer: 'no',
    });
  });

  it('reads an anomalous answer', () => {
    expect(parseOutput('<think>A thin line.</think><location>top left</location><type>scratch</type><answer>Yes</answer>')).toEqual({
      ok: true,
      pattern: 'anomalous',
      think: 'A thin line.',
      location: 'top left',
      type: 'scratch',
      answer: 'yes',
    });
  });

  it('allows text before <think> and after </answer>, multi-line thoughts, and any answer case', () => {
    const result = parseOutput('Sure.\n<think>line 1\nline 2</think><answer>  NO \n</answer>\nDone.');
    expect(result).toMatchObject({ ok: true, pattern: 'normal', think: 'line 1\nline 2', answer: 'no' });
  });
});

describe('parseOutput rejects malformed answers with a precise reason', () => {
  it.each([
    ['', 'missing <think>'],
    ['<answer>no</answer>', 'missing <think>'],
    ['<answer>no</answer><think>a</think><answer>no</answer>', '<answer> before <think>'],
    ['<think>unfinished', 'missing </think>'],
    ['<think>a</think>', 'expected <answer> or <location> directly after </think>, found end of text'],
    ['<think>a</think> <answer>no</answer>', 'expected <answer> or <location> directly after </think>, found " <answer>no</answer>"'],
    ['<think>a</think><answer>no', 'missing </answer>'],
    ['<think>a</think><answer>maybe</answer>', 'answer must be yes or no, got "maybe"'],
    ['<think>a</think><answer>yes.</answer>', 'answer must be yes or no, got "yes."'],
    ['<think>a</think><answer>yes</answer>', "answer 'yes' needs <location> and <type> before <answer>"],
    ['<think>a</think><answer>no</answer><location>x</location>', 'location tag in a normal answer'],
    ['<think>a</think><answer>no</answer> see <type>', 'type tag in a normal answer'],
    [
      '<think>a</think><location>x</location><type>t</type><answer>no</answer>',
      "answer 'no' with <location> and <type>: a normal answer carries neither",
    ],
    ['<think>a</think><type>t</type><location>x</location><answer>yes</answer>', 'expected <answer> or <location> directly after </think>, found "<type>t</type><locat…"'],
    ['<think>a</think><location>x</location><answer>yes</answer>', 'expected <type> directly after </location>, found "<answer>yes</answer>"'],
    ['<think>a</think><location>x</location><type>t</type>', 'expected <answer> directly after </type>, found end of text'],
    ['<think>a<answer>no</answer></think><answer>no</answer>', '<answer> inside <think>'],
    ['<think>a</think><location>x<type>t</type></location><type>t</type><answer>yes</answer>', '<type> inside <location>'],
    ['<think>a<think>b</think></think><answer>no</answer>', '<think> inside <think>'],
  ])('%j → %s', (text, reason) => {
    expect(parseOutput(text)).toEqual({ ok: false, reason });
  });

  it('accepts whitespace between tags only when asked', () => {
    const text = '<think>a</think>\n<location>x</location> <type>t</type>\n<answer>yes</answer>';
    expect(parseOutput(text).ok).toBe(false);
    expect(parseOutput(text, { allowWhitespaceBetweenTags: true })).toMatchObject({ ok: true, pattern: 'anomalous', location: 'x' });
  });

  it('survives a megabyte of text', () => {
    const big = `${'x'.repeat(1_000_000)}<think>${'y'.repeat(1_000_000)}</think><answer>no</answer>`;
    expect(parseOutput(big)).toMatchObject({ ok: true, pattern: 'normal' });
    expect(parseOutput('<think>'.repeat(200_000))).toEqual({ ok: false, reason: 'missing </think>' });
    expect(parseOutput(`${'<think>'.repeat(200_000)}</think>`)).toEqual({ ok: false, reason: '<think> inside <think>' });
  });

  it('throws OutputParseError carrying the reason', () => {
    expect(() => parseOutputOrThrow('<think>a</think>')).toThrow(OutputParseError);
    try {
      parseOutputOrThrow('nothing here');
    } catch (error) {
      expect((error as OutputParseError).reason).toBe('missing <think>');
    }
  });
});

describe('formatOutput', () => {
  it('writes the canonical strings', () => {
    expect(formatOutput({ pattern: 'normal', think: 'ok', answer: 'no' })).toBe('<think>ok</think><answer>No</answer>');
    expect(
      formatOutput({ pattern: 'anomalous', think: 't', location: 'top', type: 'hole', answer: 'yes' }, { answerCase: 'lower' }),
    ).toBe('<think>t</think><location>top</location><type>hole</type><answer>yes</answer>');
  });

  it('refuses content that could not be parsed back', () => {
    expect(() => formatOutput({ pattern: 'normal', think: 'a </think> b', answer: 'no' })).toThrow(/<\/think> inside <think>/);
  });

  it('round-trips through parseOutput for any tag-free content', () => {
    const content = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !/<\/?(think|location|type|answer)>/.test(s));
    const output: fc.Arbitrary<ModelOutput> = fc.oneof(
      fc.record({ pattern: fc.constant('normal' as const), think: content, answer: fc.constant('no' as const) }),
      fc.record({
        pattern: fc.constant('anomalous' as const),
        think: content,
        location: content,
        type: content,
        answer: fc.constant('yes' as const),
      }),
    );
    fc.assert(
      fc.property(output, fc.constantFrom('capitalized' as const, 'lower' as const), (parts, answerCase) => {
        const parsed = parseOutputOrThrow(formatOutput(parts, { answerCase }));
        expect(parsed).toEqual(parts);
        expect(modelOutputSchema.parse(parsed)).toEqual(parts);
      }),
      { numRuns: 500 },
    );
  });
});
