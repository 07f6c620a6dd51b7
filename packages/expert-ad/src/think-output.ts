import { type ExpertAdRecord, assistantTarget, expertAdRecordSchema, parseOutput } from '@iad-r1/cot-schema';
import type { PairRecord } from './records';

/** What the think step keeps from a describer's output, or why it was rejected. */
export type ThinkOutput = { ok: true; think: string; fineType?: string } | { ok: false; reason: string };

/**
 * Reads the think pass's reply (`<think>…</think><type>…</type>` for an anomalous pair,
 * `<think>…</think>` for a normal one) and checks that the record it makes is valid: the tagged
 * answer it yields must parse with `cot-schema` as the pair's pattern.
 *
 * @example
 * parseThinkOutput('<think>I see a clean plate. No defect.</think>', normalPair); // { ok: true, think: 'I see …' }
 */
export function parseThinkOutput(raw: string, pair: PairRecord): ThinkOutput {
  const think = /<think>([\s\S]*?)<\/think>/i.exec(raw)?.[1]?.trim();
  if (!think) return { ok: false, reason: 'no <think>…</think> with text in the reply' };
  if (/<\/?(think|location|type|answer)>/i.test(think)) return { ok: false, reason: '<think> contains another tag' };
  if (think.split(/\s+/).length < 5) return { ok: false, reason: `<think> is too short to be a reasoning process (${JSON.stringify(think)})` };
  const type = /<type>([\s\S]*?)<\/type>/i.exec(raw)?.[1]?.trim();
  if (pair.label === 'normal') {
    if (type !== undefined || /<location>/i.test(raw)) return { ok: false, reason: 'a normal pair got a <type> or <location>' };
    return checked({ ok: true, think }, pair);
  }
  if (!type) return { ok: false, reason: 'no <type>…</type> with text in the reply' };
  if (type.includes('\n') || type.length > 80) return { ok: false, reason: `<type> is not a short phrase (${JSON.stringify(type.slice(0, 80))})` };
  return checked({ ok: true, think, fineType: type }, pair);
}

function checked(output: Extract<ThinkOutput, { ok: true }>, pair: PairRecord): ThinkOutput {
  const record = expertAdRecordFromPair(pair, output, { status: 'pending' });
  const answer = parseOutput(assistantTarget(record, { typeLevel: 'fine' }));
  if (!answer.ok) return { ok: false, reason: `the assembled answer does not parse: ${answer.reason}` };
  if (answer.pattern !== (pair.label === 'anomalous' ? 'anomalous' : 'normal')) return { ok: false, reason: 'the assembled answer has the wrong pattern' };
  return output;
}

/**
 * The canonical Expert-AD record for a pair, its CoT and a review state; reviewer edits
 * (`think`, `location`, `fineType`) override the generated fields.
 */
export function expertAdRecordFromPair(
  pair: PairRecord,
  thought: { think: string; fineType?: string },
  review: ExpertAdRecord['review'],
  edits: { think?: string; location?: string; fineType?: string } = {},
): ExpertAdRecord {
  const anomalous = pair.label === 'anomalous';
  const locationText = edits.location ?? pair.location?.text;
  const editedLocation = edits.location !== undefined && edits.location !== pair.location?.text;
  return expertAdRecordSchema.parse({
    id: pair.id,
    queryImage: pair.queryImage,
    referenceImage: pair.referenceImage,
    label: pair.label,
    ...(anomalous
      ? {
          // An edited location text no longer matches the mask's cells, so only the text is kept.
          location: editedLocation ? { text: locationText } : pair.location,
          coarseType: pair.coarseType,
          ...((edits.fineType ?? thought.fineType) ? { fineType: edits.fineType ?? thought.fineType } : {}),
        }
      : {}),
    think: edits.think ?? thought.think,
    source: {
      dataset: pair.dataset,
      category: pair.category,
      ...(pair.view !== undefined ? { view: pair.view } : {}),
      ...(pair.defectCode ? { defectCode: pair.defectCode } : {}),
    },
    review,
  });
}
