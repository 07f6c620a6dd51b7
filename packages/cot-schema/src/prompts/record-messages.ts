import { DEFAULT_QUESTION } from '../records/sc-grpo-record';
import { type ChatContentPart, type ChatMessage, type ImageInput, buildChatMessages } from './chat-messages';
import { TEST_PROMPTS, scGrpoTrainingPrompt } from './prompt-templates';

/**
 * How a record's images and question become the prompt a model sees:
 * - `pa-sft`: the images (reference first for 1-shot), then the question — LLaMA-Factory's
 *   PA-SFT records (`<image>\nAre there any defects in the query image?`); 1-shot uses the
 *   SC-GRPO one-shot prompt, as the authors' 1-shot records do;
 * - `sc-grpo`: the images, then the SC-GRPO training prompt with the question (docs/METHOD.md §2);
 * - `test`: the IAD-R1 test prompt, each image at its `{image}` — what `iad-r1-eval` asks.
 */
export type PromptStyle = 'pa-sft' | 'sc-grpo' | 'test';

/** Options of {@link recordMessages}. */
export interface RecordMessagesOptions {
  /** `pa-sft` (default), `sc-grpo` or `test`. */
  style?: PromptStyle;
  /** 0 (default): the query alone; 1: the reference(s) first, when the record has any. */
  shots?: 0 | 1;
  /** Default {@link DEFAULT_QUESTION}. */
  question?: string;
  /** Turns a stored path into the one to load (e.g. joined to the data root). */
  resolveImage?: (path: string) => ImageInput;
}

/**
 * The chat messages for a record with a query image and an optional reference: the one place
 * where a record becomes a prompt, for training sets, GRPO samples and the examples alike.
 *
 * @example
 * recordMessages({ queryImage: 'q.png', referenceImage: 'r.png' }, { shots: 1 });
 * // [{ role: 'user', content: [{ type: 'image', image: 'r.png' }, { type: 'image', image: 'q.png' }, { type: 'text', text: 'You are an expert …' }] }]
 */
export function recordMessages(
  record: { queryImage: string; referenceImage?: string | undefined; referenceImages?: readonly string[] | undefined },
  options: RecordMessagesOptions = {},
): ChatMessage[] {
  const resolveImage = options.resolveImage ?? ((path: string) => path);
  const question = options.question ?? DEFAULT_QUESTION;
  const style = options.style ?? 'pa-sft';
  const stored = record.referenceImages ?? (record.referenceImage !== undefined ? [record.referenceImage] : []);
  const references = (options.shots ?? 0) === 1 ? stored.map(resolveImage) : [];
  const query = resolveImage(record.queryImage);
  if (style === 'test') {
    const prompt = TEST_PROMPTS['iad-r1'];
    return buildChatMessages({ template: references.length === 0 ? prompt.zeroShot : prompt.oneShot, referenceImages: references, queryImage: query });
  }
  const images: ChatContentPart[] = [...references, query].map((image) => ({ type: 'image', image }));
  const shots = references.length === 0 ? 0 : 1;
  // A 1-shot PA-SFT prompt is the SC-GRPO one-shot prompt; only 0-shot PA-SFT asks the bare question.
  const text = style === 'pa-sft' && shots === 0 ? question : scGrpoTrainingPrompt(shots, question);
  return [{ role: 'user', content: [...images, { type: 'text', text }] }];
}
