/** What the decoding loop and the trainers need of any tokenizer: text to ids and back. */
export interface TextTokenizer {
  /** Token ids of a text (special tokens written in the text become their ids). */
  encode(text: string): number[];
  /** Text of token ids, without padding and sequence-bound tokens. */
  decode(ids: readonly number[]): string;
  /** Number of ids, added tokens included. */
  readonly size: number;
}
