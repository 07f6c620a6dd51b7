// OpenRLHF posts `query` = the prompt and the response decoded together *with* special tokens, and
// `prompts` = the chat-templated prompt text. With images the processor has expanded each image
// placeholder of the prompt into a run of tokens, so the prompt is no longer a prefix of the query;
// scoring the whole query would score the prompt too (and a system prompt that spells out the
// output format would earn every reply the format reward). These rules recover the reply alone.

/** Image / video placeholders that a VLM processor repeats once per visual token. */
const PLACEHOLDER_RUNS = [/(?:<\|image_pad\|>)+/g, /(?:<\|video_pad\|>)+/g, /(?:<\|placeholder\|>)+/g, /(?:<image>)+/g, /(?:<video>)+/g];

/**
 * Where each chat template in use opens the assistant's turn, most specific first: ChatML
 * (Qwen2-VL, Qwen2.5-VL, LLaVA-OneVision), Mistral's `[/INST]` (LLaVA-1.6-Mistral), Vicuna's
 * `ASSISTANT:` (LLaVA-1.5).
 */
export const ASSISTANT_TURN_MARKERS = ['<|im_start|>assistant\n', '<|im_start|>assistant', '[/INST]', 'ASSISTANT:'] as const;

/** End-of-turn tokens the decoded response carries at its end. */
const TRAILING_END_TOKENS = /(?:\s*(?:<\|im_end\|>|<\|endoftext\|>|<\/s>|<\|eot_id\|>))+\s*$/;

function collapsePlaceholderRuns(text: string): string {
  let collapsed = text;
  for (const run of PLACEHOLDER_RUNS) collapsed = collapsed.replace(run, (match) => match.slice(0, match.indexOf('>') + 1));
  return collapsed;
}

/** How {@link openRlhfReply} found the reply. */
export type ReplySource = 'prompt-prefix' | 'prompt-prefix-collapsed' | 'assistant-marker' | 'whole-query';

/**
 * The assistant reply inside an OpenRLHF `query`: the query after its prompt (first as given, then
 * with placeholder runs collapsed on both sides), else after the last assistant-turn marker of the
 * known chat templates, else the whole query; end-of-turn tokens at its end are dropped.
 *
 * @example
 * openRlhfReply('<|im_start|>user\n<|vision_start|><|image_pad|><|image_pad|><|vision_end|>Q<|im_end|>\n<|im_start|>assistant\n<answer>No</answer><|im_end|>',
 *   '<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Q<|im_end|>\n<|im_start|>assistant\n');
 * // { reply: '<answer>No</answer>', source: 'prompt-prefix-collapsed' }
 */
export function openRlhfReply(query: string, prompt?: string): { reply: string; source: ReplySource } {
  const found = ((): { reply: string; source: ReplySource } => {
    if (prompt !== undefined && prompt.length > 0) {
      if (query.startsWith(prompt)) return { reply: query.slice(prompt.length), source: 'prompt-prefix' };
      const collapsedQuery = collapsePlaceholderRuns(query);
      const collapsedPrompt = collapsePlaceholderRuns(prompt);
      if (collapsedQuery.startsWith(collapsedPrompt)) return { reply: collapsedQuery.slice(collapsedPrompt.length), source: 'prompt-prefix-collapsed' };
    }
    for (const marker of ASSISTANT_TURN_MARKERS) {
      const at = query.lastIndexOf(marker);
      if (at >= 0) return { reply: query.slice(at + marker.length), source: 'assistant-marker' };
    }
    return { reply: query, source: 'whole-query' };
  })();
  return { reply: found.reply.replace(TRAILING_END_TOKENS, ''), source: found.source };
}
