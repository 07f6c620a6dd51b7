import type { ChatMessage, ImageInput } from '../../../chat';
import type { BpeTokenizer } from '../../tokenizer/bpe-tokenizer';
import { promptMessages } from '../../trainable/teacher-forcing';

/** A rendered prompt: token ids with image placeholder spans, and the images in order. */
export interface RenderedPrompt {
  ids: number[];
  /** Start position of each image's span of `<image>` tokens, in `ids`. */
  imageStarts: number[];
  images: ImageInput[];
}

const ROLE_TOKEN = { system: '<|system|>', user: '<|user|>', assistant: '<|assistant|>' } as const;

/**
 * The chat template of TinyVLM: `<bos>`, then each message as its role token and content (an image
 * becomes `patches` `<image>` tokens at its place), then `<|assistant|>` to start the answer.
 * A final assistant message, if present, is not rendered: it is the completion being trained on.
 *
 * @example
 * renderChat([{ role: 'user', content: [{ type: 'image', image: 'q.png' }, { type: 'text', text: 'Any defect?' }] }], tokenizer, 16);
 */
export function renderChat(messages: readonly ChatMessage[], tokenizer: BpeTokenizer, patches: number): RenderedPrompt {
  const ids = [tokenizer.special('<bos>')];
  const imageStarts: number[] = [];
  const images: ImageInput[] = [];
  for (const message of promptMessages(messages)) {
    ids.push(tokenizer.special(ROLE_TOKEN[message.role]));
    const parts = typeof message.content === 'string' ? [{ type: 'text' as const, text: message.content }] : message.content;
    for (const part of parts) {
      if (part.type === 'text') {
        ids.push(...tokenizer.encode(part.text));
      } else {
        imageStarts.push(ids.length);
        images.push(part.image);
        for (let i = 0; i < patches; i++) ids.push(tokenizer.special('<image>'));
      }
    }
  }
  ids.push(tokenizer.special('<|assistant|>'));
  return { ids, imageStarts, images };
}
