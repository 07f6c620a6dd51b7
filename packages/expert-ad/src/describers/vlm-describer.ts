import type { ChatContentPart, ChatMessage, VisionLanguageModel } from '@iad-r1/models';
import { type ExpertAdPrompts, DEFAULT_EXPERT_AD_PROMPTS, fillPrompt } from '../prompts';
import type { PairRecord } from '../records';
import type { Describer } from './describer';

/** Options of {@link vlmDescriber}. */
export interface VlmDescriberOptions {
  /** Replace any of the default prompts. */
  prompts?: Partial<ExpertAdPrompts>;
  /** Token budget of each reply; default 512. */
  maxNewTokens?: number;
  /** Sampling temperature of a think retry (the first attempt is greedy); default 0.7. */
  retryTemperature?: number;
}

const promptValues = (pair: PairRecord, description?: string): Record<string, string | undefined> => ({
  category: pair.category.replace(/[_-]+/g, ' '),
  type: pair.coarseType?.toLowerCase(),
  location: pair.location?.text,
  description,
});

/**
 * A describer backed by a vision-language model: the describe pass sends reference, query and
 * (anomalous pairs) the outlined copy with the coarse type and location as hints; the think pass
 * sends the description as text.
 *
 * @example
 * const model = new OpenAICompatibleModel({ model: 'Qwen/Qwen2.5-VL-72B-Instruct', baseUrl: 'http://127.0.0.1:8000/v1' });
 * const describer = vlmDescriber(model);
 */
export function vlmDescriber(model: VisionLanguageModel, options: VlmDescriberOptions = {}): Describer {
  const prompts = { ...DEFAULT_EXPERT_AD_PROMPTS, ...options.prompts };
  const maxNewTokens = options.maxNewTokens ?? 512;
  const ask = async (messages: ChatMessage[], temperature: number): Promise<string> => {
    const [result] = await model.generate([messages], { maxNewTokens, temperature });
    return result?.completions[0]?.text ?? '';
  };
  return {
    id: model.id,
    async describe(pair, highlightImage) {
      const anomalous = pair.label === 'anomalous';
      const content: ChatContentPart[] = [
        { type: 'text', text: fillPrompt(anomalous ? prompts.describeAnomalous : prompts.describeNormal, promptValues(pair)) },
        { type: 'image', image: pair.referenceImage },
        { type: 'image', image: pair.queryImage },
      ];
      if (anomalous && highlightImage) content.push({ type: 'image', image: highlightImage });
      return (await ask([{ role: 'user', content }], 0)).trim();
    },
    async think(pair, description, attempt) {
      const template = pair.label === 'anomalous' ? prompts.thinkAnomalous : prompts.thinkNormal;
      const text = fillPrompt(template, promptValues(pair, description));
      return ask([{ role: 'user', content: [{ type: 'text', text }] }], attempt > 1 ? (options.retryTemperature ?? 0.7) : 0);
    },
  };
}
