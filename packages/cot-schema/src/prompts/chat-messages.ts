/** An image in a chat message: a local path, an http(s) or data URL, or encoded bytes (PNG/JPEG/…). */
export type ImageInput = string | { data: Uint8Array; mimeType?: string };

/** One part of a multimodal chat message. */
export type ChatContentPart = { type: 'text'; text: string } | { type: 'image'; image: ImageInput };

/** A chat message whose content mixes text and images, in order. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatContentPart[];
}

/** Options of {@link buildChatMessages}. */
export interface BuildChatMessagesOptions {
  /** A prompt with `{image}` placeholders (or none: images then go first, references before the query). */
  template: string;
  /** Normal images of the same category, in order; empty for 0-shot. */
  referenceImages?: readonly ImageInput[];
  queryImage: ImageInput;
  /** Replaces `{Question}` in the template, when it has one. */
  question?: string;
  /** An optional system message placed first. */
  system?: string;
  /**
   * How a one-shot template's "1 image of normal sample" is rewritten for k > 1 references:
   * `plural` (default) "k images of normal samples"; `authors` "k image of normal sample", word
   * for word as the authors' few-shot evaluation scripts write it.
   */
  referenceWording?: 'plural' | 'authors';
}

/**
 * Builds the chat message list for N reference images and one query image. Each `{image}` is
 * replaced by an image part at its place. A one-shot template (two placeholders, "1 image of
 * normal sample") given N > 1 references expands its first placeholder to N images and says
 * "N images of normal samples" (or, with `referenceWording: 'authors'`, "N image of normal sample").
 *
 * @example
 * buildChatMessages({ template: IAD_R1_TEST_PROMPT_ONE_SHOT, referenceImages: ['good.png'], queryImage: 'test.png' });
 * // [{ role: 'user', content: [{type:'text', …}, {type:'image', image:'good.png'}, {type:'text', …}, {type:'image', image:'test.png'}, …] }]
 */
export function buildChatMessages(options: BuildChatMessagesOptions): ChatMessage[] {
  const references = options.referenceImages ?? [];
  let template = options.question === undefined ? options.template : options.template.split('{Question}').join(options.question);
  const pieces = template.split('{image}');
  const placeholders = pieces.length - 1;
  const content: ChatContentPart[] = [];
  const pushText = (text: string): void => {
    if (text.length > 0) content.push({ type: 'text', text });
  };

  if (placeholders === 0) {
    for (const image of references) content.push({ type: 'image', image });
    content.push({ type: 'image', image: options.queryImage });
    pushText(template);
  } else if (placeholders === references.length + 1) {
    const images = [...references, options.queryImage];
    pieces.forEach((piece, i) => {
      pushText(piece);
      const image = images[i];
      if (i < placeholders && image !== undefined) content.push({ type: 'image', image });
    });
  } else if (placeholders === 2 && references.length > 1 && template.includes('1 image of normal sample')) {
    const count = references.length;
    template = template.replace('1 image of normal sample', options.referenceWording === 'authors' ? `${count} image of normal sample` : `${count} images of normal samples`);
    const [before, middle, after] = template.split('{image}') as [string, string, string];
    pushText(before);
    for (const image of references) content.push({ type: 'image', image });
    pushText(middle);
    content.push({ type: 'image', image: options.queryImage });
    pushText(after);
  } else {
    throw new RangeError(
      `prompt has ${placeholders} {image} placeholder(s) but ${references.length} reference image(s) + 1 query image were given`,
    );
  }

  const messages: ChatMessage[] = [];
  if (options.system !== undefined) messages.push({ role: 'system', content: options.system });
  messages.push({ role: 'user', content });
  return messages;
}
