import { TextEncodingError, firstInvalidUtf8Byte } from '@iad-r1/cot-schema';

/**
 * The lines of a byte stream (a file, standard input) as it arrives: UTF-8 required — a bad byte
 * stops with a {@link TextEncodingError} naming `source`, the line and the byte offset instead of
 * becoming U+FFFD — a leading byte-order mark dropped, `\r\n` read as `\n`.
 *
 * @example
 * for await (const line of utf8Lines(createReadStream('completions.jsonl'), 'completions.jsonl')) score(line);
 */
export async function* utf8Lines(input: AsyncIterable<Uint8Array | string>, source: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  let line = 1;
  let consumed = 0;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: true });
    } catch {
      // The bad sequence may have begun at the end of the previous chunk: then point at this one's start.
      const offset = Math.max(0, firstInvalidUtf8Byte(bytes));
      for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
      throw new TextEncodingError(source, line, consumed + offset);
    }
    consumed += bytes.length;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() as string;
    for (const complete of lines) {
      line++;
      yield complete.endsWith('\r') ? complete.slice(0, -1) : complete;
    }
  }
  try {
    pending += decoder.decode();
  } catch {
    throw new TextEncodingError(source, line, consumed);
  }
  if (pending !== '') yield pending.endsWith('\r') ? pending.slice(0, -1) : pending;
}
