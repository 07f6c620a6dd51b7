/** A completion as RL engines pass it: plain text, or a chat message list (the last assistant turn is read). */
export type CompletionInput = string | ReadonlyArray<{ role?: string; content: unknown }>;

/**
 * The text of a completion. For a message list, the last assistant message (or the last message)
 * whose content is a string, or a list of `{type:'text', text}` parts joined.
 *
 * @example
 * completionText([{ role: 'assistant', content: '<answer>no</answer>' }]); // '<answer>no</answer>'
 */
export function completionText(completion: CompletionInput): string {
  if (typeof completion === 'string') return completion;
  const messages = [...completion];
  const message = [...messages].reverse().find((m) => m.role === 'assistant') ?? messages[messages.length - 1];
  if (!message) return '';
  const { content } = message;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => (part && typeof part === 'object' && 'text' in part && typeof part.text === 'string' ? part.text : ''))
      .join('');
  }
  return '';
}
