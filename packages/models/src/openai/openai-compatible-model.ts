import { z } from 'zod';
import type { ChatMessage } from '../chat';
import { ModelRequestError, ModelResponseError } from '../model-errors';
import type { Completion, GenerateOptions, GenerateResult, VisionLanguageModel } from '../vision-language-model';
import { imageDataUrl } from './image-data-url';
import { Semaphore } from './semaphore';

export interface OpenAICompatibleOptions {
  /** Model name the server expects, e.g. `Qwen/Qwen2.5-VL-7B-Instruct`. */
  model: string;
  /** Base URL including the API prefix, e.g. `http://127.0.0.1:8000/v1` (vLLM) or `http://127.0.0.1:11434/v1` (Ollama). */
  baseUrl: string;
  /** Environment variable holding the API key; default `OPENAI_API_KEY`. Unset is fine for local servers. */
  apiKeyEnv?: string;
  /** Requests in flight at once; default 4. */
  concurrency?: number;
  /** Retries after the first try on 429, 5xx, timeouts and network errors; default 5. */
  maxRetries?: number;
  /** First backoff in ms, doubled per retry with full jitter; default 500. */
  initialBackoffMs?: number;
  /** Largest single wait in ms (also caps Retry-After); default 30,000. */
  maxBackoffMs?: number;
  /** Per-request timeout in ms; default 120,000. */
  timeoutMs?: number;
  /** Extra body fields the server understands (e.g. `{ top_k: 20 }` for vLLM). */
  extraBody?: Record<string, unknown>;
  /** Retry notices go here (never the key); default: nowhere. */
  log?: (line: string) => void;
  /** For tests or proxies; default the global fetch. */
  fetch?: typeof fetch;
}

const choiceSchema = z.object({
  message: z.object({ content: z.union([z.string(), z.null(), z.array(z.object({ type: z.string(), text: z.string().optional() }).passthrough())]) }).passthrough(),
  finish_reason: z.string().nullable().optional(),
});
const responseSchema = z.object({ choices: z.array(choiceSchema) }).passthrough();

type WireContent = string | Array<{ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } }>;

async function toWireMessages(messages: readonly ChatMessage[]): Promise<Array<{ role: string; content: WireContent }>> {
  return Promise.all(
    messages.map(async (message) => {
      if (typeof message.content === 'string') return { role: message.role, content: message.content };
      const content = await Promise.all(
        message.content.map(async (part) =>
          part.type === 'text' ? { type: 'text' as const, text: part.text } : { type: 'image_url' as const, image_url: { url: await imageDataUrl(part.image) } },
        ),
      );
      return { role: message.role, content };
    }),
  );
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

/**
 * A `VisionLanguageModel` behind any OpenAI-compatible `/chat/completions` endpoint: vLLM, Ollama,
 * llama.cpp server, LM Studio, OpenAI. Images are sent as base64 data URLs. Requests run with a
 * concurrency limit and are retried with exponential backoff (honouring `Retry-After`) on 429,
 * 5xx, timeouts and network errors. The API key is read from an environment variable and never
 * appears in errors or logs.
 *
 * @example
 * const model = new OpenAICompatibleModel({ model: 'Qwen/Qwen2.5-VL-7B-Instruct', baseUrl: 'http://127.0.0.1:8000/v1' });
 * const [result] = await model.generate([messages], { temperature: 0, maxNewTokens: 512 });
 */
export class OpenAICompatibleModel implements VisionLanguageModel {
  readonly id: string;
  private readonly options: Required<Omit<OpenAICompatibleOptions, 'extraBody' | 'log' | 'fetch'>> & Pick<OpenAICompatibleOptions, 'extraBody' | 'log'>;
  private readonly semaphore: Semaphore;
  private readonly fetch: typeof fetch;
  private readonly endpoint: string;

  constructor(options: OpenAICompatibleOptions) {
    this.options = {
      apiKeyEnv: 'OPENAI_API_KEY',
      concurrency: 4,
      maxRetries: 5,
      initialBackoffMs: 500,
      maxBackoffMs: 30_000,
      timeoutMs: 120_000,
      ...options,
    };
    this.id = `openai:${options.model}`;
    this.semaphore = new Semaphore(this.options.concurrency);
    this.fetch = options.fetch ?? fetch;
    this.endpoint = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  }

  async generate(requests: readonly ChatMessage[][], options: GenerateOptions = {}): Promise<GenerateResult[]> {
    return Promise.all(requests.map((messages) => this.generateOne(messages, options)));
  }

  private async generateOne(messages: readonly ChatMessage[], options: GenerateOptions): Promise<GenerateResult> {
    const wanted = options.n ?? 1;
    const wire = await toWireMessages(messages);
    const completions: Completion[] = [];
    // Some servers (Ollama, llama.cpp) ignore `n`; ask again until the group is complete.
    while (completions.length < wanted) {
      const batch = await this.semaphore.run(() => this.post(wire, options, wanted - completions.length));
      if (batch.length === 0) throw new ModelResponseError('the server returned no choices', '');
      completions.push(...batch.slice(0, wanted - completions.length));
    }
    return { completions };
  }

  private async post(messages: Array<{ role: string; content: WireContent }>, options: GenerateOptions, n: number): Promise<Completion[]> {
    const body = JSON.stringify({
      model: this.options.model,
      messages,
      max_tokens: options.maxNewTokens ?? 512,
      temperature: options.temperature ?? 0,
      ...(options.topP !== undefined ? { top_p: options.topP } : {}),
      ...(n > 1 ? { n } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.stop ? { stop: options.stop } : {}),
      ...(options.topK !== undefined ? { top_k: options.topK } : {}),
      ...this.options.extraBody,
    });
    const apiKey = process.env[this.options.apiKeyEnv];
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) };

    for (let attempt = 0; ; attempt++) {
      let error: ModelRequestError;
      let waitHint: number | undefined;
      try {
        const timeout = AbortSignal.timeout(this.options.timeoutMs);
        const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
        const response = await this.fetch(this.endpoint, { method: 'POST', headers, body, signal });
        const text = await response.text();
        if (response.ok) return this.parse(text);
        const retryable = response.status === 429 || response.status >= 500;
        error = new ModelRequestError(`${this.endpoint} answered ${response.status} ${response.statusText}`, { status: response.status, retryable, body: text.slice(0, 500) });
        waitHint = retryAfterMs(response.headers.get('retry-after'));
      } catch (caught) {
        if (caught instanceof ModelResponseError) throw caught;
        if (options.signal?.aborted) throw options.signal.reason;
        const timedOut = (caught as Error).name === 'TimeoutError';
        error = new ModelRequestError(
          timedOut ? `${this.endpoint} did not answer within ${this.options.timeoutMs} ms` : `${this.endpoint} unreachable: ${(caught as Error).message}`,
          { retryable: true, cause: caught },
        );
      }
      if (!error.retryable || attempt >= this.options.maxRetries) throw error;
      const backoff = Math.random() * Math.min(this.options.maxBackoffMs, this.options.initialBackoffMs * 2 ** attempt);
      const wait = Math.min(this.options.maxBackoffMs, waitHint ?? backoff);
      this.options.log?.(`${error.message}; retry ${attempt + 1}/${this.options.maxRetries} in ${Math.round(wait)} ms`);
      await sleep(wait, options.signal);
    }
  }

  private parse(text: string): Completion[] {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ModelResponseError(`${this.endpoint} returned malformed JSON`, text.slice(0, 500));
    }
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success) {
      throw new ModelResponseError(`${this.endpoint} returned an unexpected shape: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`, text.slice(0, 500));
    }
    return parsed.data.choices.map((choice) => {
      const content = choice.message.content;
      const textOut = typeof content === 'string' ? content : Array.isArray(content) ? content.map((p) => p.text ?? '').join('') : '';
      const reason = choice.finish_reason;
      return { text: textOut, finishReason: reason === 'stop' ? 'stop' : reason === 'length' ? 'length' : 'other' };
    });
  }
}
