import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANOMALY_TAXONOMY } from '@iad-r1/cot-schema';
import { matchesAnomalousPattern, matchesNormalPattern, normaliseTypeText, sequenceSimilarity, tagValue, typeReward } from '../src/index';

// Expected values come from CPython itself (difflib, re, str) and from a Python type reward
// written from docs/METHOD.md's step list: an implementation independent of ours.
const script = fileURLToPath(new URL('./python_reference.py', import.meta.url));

function sample<T>(arbitrary: fc.Arbitrary<T>, n: number, seed: number): T[] {
  return fc.sample(arbitrary, { numRuns: n, seed });
}

const fragments = ['<think>', '</think>', '<answer>', '</answer>', '<location>', '</location>', '<type>', '</type>', 'yes', 'no', 'a', ' ', '\n', '\r', '<', '>'];
const tagSoup = fc.array(fc.constantFrom(...fragments), { maxLength: 14 }).map((parts) => parts.join(''));
// Valid outputs with a few tokens dropped, duplicated or inserted: near misses of both patterns.
const canonical = [
  ['x', '<think>', 'a', '</think>', '<answer>', 'no', '</answer>', 'y'],
  ['<think>', 'a\nb', '</think>', '<location>', 'top', '</location>', '<type>', 'hole', '</type>', '<answer>', 'yes', '</answer>'],
];
const mutatedOutput = fc
  .tuple(fc.constantFrom(...canonical), fc.array(fc.tuple(fc.nat(), fc.constantFrom('drop', 'dup', 'insert')), { maxLength: 2 }), fc.constantFrom(...fragments))
  .map(([tokens, edits, extra]) => {
    const out = [...tokens];
    for (const [at, kind] of edits) {
      const i = at % out.length;
      if (kind === 'drop') out.splice(i, 1);
      else if (kind === 'dup') out.splice(i, 0, out[i] as string);
      else out.splice(i, 0, extra);
    }
    return out.join('');
  });
const keywords = ANOMALY_TAXONOMY.flatMap((c) => [c.name, ...c.synonyms]);
const typeLike = fc.oneof(
  fc.constantFrom(...keywords, 'surface anomaly', 'Structural anomalies', 'dent', 'crack', ''),
  fc.tuple(fc.constantFrom(...keywords), fc.constantFrom('', 's', '!', ' mark', 'big ', '-', '  '), fc.boolean()).map(([k, extra, front]) =>
    front ? extra + k : k + extra,
  ),
  fc.string({ unit: fc.constantFrom(...'abcdehilmnorstuw -!_é'.split('')), maxLength: 16 }),
);
const textUnit = fc.constantFrom(...'ab cd-_!?.\t\n\u00a0\u0085\u001cÉéßΣς漢1٣😀'.split(/(?:)/u));
const anyText = fc.string({ unit: textUnit, maxLength: 30 });

describe('cross-check against CPython', () => {
  it('agrees on similarity, regexes, tags, normalisation and the type reward', () => {
    const longPair = fc.tuple(fc.integer({ min: 150, max: 260 }), fc.integer({ min: 150, max: 260 }), fc.constantFrom('ab', 'abc ', 'abcdefgh')).map(
      ([n, m, alphabet]) => {
        let seed = n * 7919 + m;
        const pick = (k: number) =>
          Array.from({ length: k }, () => {
            seed = (seed * 1103515245 + 12345) % 2147483648;
            return alphabet[seed % alphabet.length];
          }).join('');
        return [pick(n), pick(m)] as [string, string];
      },
    );
    const cases = {
      similarity: [...sample(fc.tuple(anyText, anyText), 2500, 1), ...sample(longPair, 300, 2)],
      consistency: [...sample(tagSoup, 1500, 3), ...sample(mutatedOutput, 1500, 7)],
      tags: sample(fc.tuple(fc.oneof(tagSoup, mutatedOutput), fc.constantFrom('answer', 'type', 'location')), 1500, 4),
      normalise: sample(anyText, 1500, 5),
      type: sample(fc.tuple(typeLike, typeLike), 2500, 6),
    };
    const python = JSON.parse(
      execFileSync('python3', [script], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }),
    ) as { similarity: number[]; consistency: Array<[boolean, boolean]>; tags: Array<string | null>; normalise: string[]; type: number[] };

    cases.similarity.forEach(([a, b], i) => expect(Math.abs(sequenceSimilarity(a, b) - (python.similarity[i] as number)), JSON.stringify([a, b])).toBeLessThan(1e-9));
    cases.consistency.forEach((text, i) => expect([matchesNormalPattern(text), matchesAnomalousPattern(text)], JSON.stringify(text)).toEqual(python.consistency[i]));
    cases.tags.forEach(([text, tag], i) => expect(tagValue(text, tag) ?? null, JSON.stringify(text)).toBe(python.tags[i]));
    cases.normalise.forEach((text, i) => expect(normaliseTypeText(text), JSON.stringify(text)).toBe(python.normalise[i]));
    cases.type.forEach(([p, t], i) => expect(Math.abs(typeReward(p, t) - (python.type[i] as number)), JSON.stringify([p, t])).toBeLessThan(1e-9));

    // The samples must exercise both outcomes, or the comparison proves little.
    expect(new Set(python.consistency.map((c) => c.join())).size).toBeGreaterThanOrEqual(3);
    expect(new Set(python.type.map((v) => v.toFixed(3))).size).toBeGreaterThan(10);
  });
});
