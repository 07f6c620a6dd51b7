import type { ChatMessage, ImageInput } from '../../chat';
import type { TrainingBatch, TrainingExample } from './trainable-model';

/** A conversation without its final assistant message (the completion being taught), if it has one. */
export function promptMessages(messages: readonly ChatMessage[]): readonly ChatMessage[] {
  return messages[messages.length - 1]?.role === 'assistant' ? messages.slice(0, -1) : messages;
}

/** The image parts of a conversation, in order of appearance. */
export function imageInputsOf(messages: readonly ChatMessage[]): ImageInput[] {
  return messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content.flatMap((p) => (p.type === 'image' ? [p.image] : []))));
}

/** The text of a final assistant message, or undefined. */
export function completionOf(messages: readonly ChatMessage[]): string | undefined {
  const last = messages[messages.length - 1];
  if (last?.role !== 'assistant') return undefined;
  return typeof last.content === 'string' ? last.content : last.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

/**
 * The completion ids of an example: its `completionIds`, or its completion text (or final
 * assistant message) tokenised, then the end-of-turn token unless `appendEos` is false.
 */
export function completionIdsOf(example: TrainingExample, index: number, encode: (text: string) => number[], endOfTurn: number): number[] {
  let tokens = example.completionIds;
  if (!tokens) {
    const completion = example.completion ?? completionOf(example.messages);
    if (completion === undefined) throw new RangeError(`training example ${index} needs a completion (or a final assistant message)`);
    tokens = encode(completion);
  }
  return example.appendEos === false ? [...tokens] : [...tokens, endOfTurn];
}

/**
 * Token rows (prompt then completion) as a right-padded teacher-forcing batch: each position's
 * target is the next token, and the loss mask covers the positions whose target is a completion
 * token.
 *
 * @example
 * rightPaddedBatch([{ ids: [1, 2, 3, 4], promptLength: 2 }]).lossMask; // [0, 1, 1, 0]
 */
export function rightPaddedBatch(rows: ReadonlyArray<{ ids: readonly number[]; promptLength: number }>): TrainingBatch {
  const steps = Math.max(...rows.map((r) => r.ids.length));
  const batch = rows.length;
  const ids = new Int32Array(batch * steps);
  const targets = new Int32Array(batch * steps);
  const lossMask = new Float32Array(batch * steps);
  const valid = new Float32Array(batch * steps);
  rows.forEach((r, b) => {
    r.ids.forEach((id, t) => {
      ids[b * steps + t] = id;
      valid[b * steps + t] = 1;
      if (t + 1 < r.ids.length) {
        targets[b * steps + t] = r.ids[t + 1] as number;
        if (t + 1 >= r.promptLength) lossMask[b * steps + t] = 1;
      }
    });
  });
  return { batch, steps, ids, targets, lossMask, valid };
}
