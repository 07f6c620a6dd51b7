import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { type CompletionInput, completionText } from '../completion';
import { tagValue } from '../tag-value';
import { type RewardRegistry, type RewardScorer, type RewardScorerOptions, RewardValueError, type ScoredBatch } from '../reward-registry';
import { createRewardRegistry } from '../sc-grpo-rewards';
import { getRewardRequestSchema, scoreRequestSchema } from './request-schemas';
import { openRlhfReply } from './openrlhf-reply';

/** Reward options plus the server's own limits. */
export interface RewardServerOptions extends RewardScorerOptions {
  /** The rewards served; default {@link createRewardRegistry}'s four. Their names are the response's component columns. */
  registry?: RewardRegistry;
  /** Largest accepted request body in bytes; larger ones get 413. Default 16 MiB. */
  maxBodyBytes?: number;
  /**
   * Longest scored text in characters — each response (after its prompt is removed) and each
   * label; a longer one gets 422 naming it. Scoring costs a few microseconds per character of
   * distinct `<type>` text, so without a cap one body could hold the server for many seconds.
   * Default 32,768 (a 512-token answer is about 2,500).
   */
  maxFieldChars?: number;
  /** Where request errors are reported; default: nowhere. */
  log?: (line: string) => void;
}

/** Default of {@link RewardServerOptions.maxFieldChars}. */
export const DEFAULT_MAX_FIELD_CHARS = 32_768;

// Scoring yields to the event loop after this much work, so /health and small requests are
// answered while a large batch is scored.
const SLICE_MS = 10;

// Rewards score whole batches, so a large request is cut into chunks sized to finish inside a
// slice: from one completion, doubled while a chunk takes under a quarter slice, cut back in
// proportion when one overran (a completion can cost from a microsecond to tens of milliseconds).
const MAX_CHUNK = 4096;

async function scoreInSlices(scorer: RewardScorer, completions: readonly CompletionInput[], solutions: readonly string[], extras?: readonly unknown[]): Promise<ScoredBatch> {
  const out: ScoredBatch = { totals: [], components: Object.fromEntries(scorer.components.map((c) => [c.name, []])) };
  let chunk = 1;
  let sliceStart = performance.now();
  for (let from = 0; from < completions.length; ) {
    const to = Math.min(completions.length, from + chunk);
    const chunkStart = performance.now();
    const scored = await scorer.score(completions.slice(from, to), solutions.slice(from, to), extras?.slice(from, to));
    out.totals.push(...scored.totals);
    for (const [name, values] of Object.entries(scored.components)) out.components[name]?.push(...values);
    from = to;
    const took = performance.now() - chunkStart;
    if (took < SLICE_MS / 4) chunk = Math.min(MAX_CHUNK, chunk * 2);
    else if (took > SLICE_MS) chunk = Math.max(1, Math.floor((chunk * SLICE_MS) / (2 * took)));
    if (performance.now() - sliceStart > SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
  return out;
}

/**
 * The longest `<type>` text a label (solution) may carry. The type reward compares the predicted
 * type text with the label's by sequence similarity, whose cost grows with the product of the two
 * lengths, and it is only computed when the shorter text is at least 0.54 × the longer (below that
 * the ratio cannot reach 0.7). Bounding the label's side therefore bounds the work for any
 * completion to a few milliseconds. Real labels name a defect in a few words.
 */
export const MAX_LABEL_TYPE_CHARS = 1024;

// What the rewards read of a completion: its text, or the text parts of its last assistant turn.
// Counting anything else (the `content` field only) let a chat-part completion of any length through.
function scoredLength(value: CompletionInput): number {
  return completionText(value).length;
}

function checkFieldLengths(fields: Array<{ path: string; value: CompletionInput }>, maxChars: number): void {
  const long = fields.map((f) => ({ ...f, length: scoredLength(f.value) })).filter((f) => f.length > maxChars);
  if (long.length > 0) {
    throw new HttpError(422, {
      error: `${long.length} field(s) longer than the limit of ${maxChars} characters`,
      issues: long.slice(0, 20).map((f) => ({ path: f.path, message: `${f.length} characters, more than the limit of ${maxChars} (--max-field-chars)` })),
    });
  }
}

function checkLabelTypes(labels: readonly string[], field: string): void {
  const long = labels.map((label, i) => ({ path: `${field}.${i}`, length: tagValue(label, 'type')?.length ?? 0 })).filter((f) => f.length > MAX_LABEL_TYPE_CHARS);
  if (long.length > 0) {
    throw new HttpError(422, {
      error: `${long.length} label(s) with a <type> text longer than ${MAX_LABEL_TYPE_CHARS} characters`,
      issues: long.slice(0, 20).map((f) => ({ path: f.path, message: `its <type> text has ${f.length} characters; a label names a defect type in a few words (limit ${MAX_LABEL_TYPE_CHARS})` })),
    });
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    /** Answer with `connection: close` and stop reading the request. */
    readonly closeConnection = false,
  ) {
    super(String(body.error));
  }
}

// A body over the cap is still drained (not buffered) up to DRAIN_FACTOR × the cap, so the 413
// reaches the client on a healthy connection; closing a socket with unread upload data makes the
// kernel reset it and the client never sees the response. Past that ceiling we answer and close.
const DRAIN_FACTOR = 8;

function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const ceiling = maxBytes * DRAIN_FACTOR;
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > ceiling) {
      reject(new HttpError(413, { error: `request body of ${declared} bytes exceeds the limit of ${maxBytes}` }, true));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    request.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > ceiling) {
        settled = true;
        reject(new HttpError(413, { error: `request body exceeds the limit of ${maxBytes} bytes` }, true));
      } else if (size <= maxBytes) {
        chunks.push(chunk);
      }
    });
    request.on('end', () => {
      if (settled) return;
      settled = true;
      if (size > maxBytes) reject(new HttpError(413, { error: `request body of ${size} bytes exceeds the limit of ${maxBytes}` }));
      else resolve(Buffer.concat(chunks));
    });
    request.on('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
  });
}

function parseJsonBody<S extends z.ZodType>(raw: Buffer, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new HttpError(400, { error: `malformed JSON: ${(error as Error).message}` });
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new HttpError(422, {
      error: 'invalid request body',
      issues: result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    });
  }
  return result.data;
}

function send(response: ServerResponse, status: number, body: unknown, close = false): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...(close ? { connection: 'close' } : {}),
  });
  response.end(payload);
}

/**
 * An HTTP server for the SC-GRPO rewards, for RL engines in other languages:
 * - `POST /get_reward`: OpenRLHF's remote reward protocol, `{query, prompts?, labels}` →
 *   `{rewards, scores, extra_logs}`; each response scored is the assistant reply of `query`
 *   ({@link openRlhfReply}: after its prompt, image-token runs collapsed, else after the last
 *   assistant-turn marker), without the end-of-turn tokens.
 * - `POST /score`: `{completions, solutions, extras?}` → `{rewards, components}` (components by column).
 * - `GET /health`: `{status: 'ok', preset, gridSize, components: [{name, weight, …}], …}`.
 * The component columns are the registry's reward names (default: the four SC-GRPO rewards).
 * Malformed JSON → 400, wrong shapes → 422 with field paths, oversize bodies → 413.
 * Call `listen` yourself, or use {@link startRewardServer}.
 *
 * @example
 * const server = createRewardServer({ preset: 'paper' });
 * server.listen(8000, '127.0.0.1');
 */
export function createRewardServer(options: RewardServerOptions = {}): Server {
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxFieldChars = options.maxFieldChars ?? DEFAULT_MAX_FIELD_CHARS;
  for (const [name, value] of [['maxBodyBytes', maxBodyBytes], ['maxFieldChars', maxFieldChars]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number ≥ 1, got ${value}`);
  }
  const registry = options.registry ?? createRewardRegistry();
  const scorer = registry.scorer({
    preset: options.preset ?? 'paper',
    gridSize: options.gridSize ?? 3,
    ...(options.weights ? { weights: options.weights } : {}),
  });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/health') {
      if (request.method !== 'GET' && request.method !== 'HEAD') throw new HttpError(405, { error: 'use GET /health' });
      send(response, 200, { status: 'ok', preset: scorer.preset, gridSize: scorer.gridSize, components: scorer.components, presets: registry.presetNames(), maxBodyBytes, maxFieldChars });
      return;
    }
    if (path !== '/get_reward' && path !== '/score') {
      throw new HttpError(404, { error: `no route ${request.method} ${path}; try POST /get_reward, POST /score or GET /health` });
    }
    if (request.method !== 'POST') throw new HttpError(405, { error: `use POST ${path}` });
    const raw = await readBody(request, maxBodyBytes);

    if (path === '/get_reward') {
      const body = parseJsonBody(raw, getRewardRequestSchema);
      const responses = body.query.map((query, i) => openRlhfReply(query, body.prompts?.[i]).reply);
      checkFieldLengths([...responses.map((value, i) => ({ path: `query.${i}`, value })), ...body.labels.map((value, i) => ({ path: `labels.${i}`, value }))], maxFieldChars);
      checkLabelTypes(body.labels, 'labels');
      const scored = await scoreInSlices(scorer, responses, body.labels);
      send(response, 200, { rewards: scored.totals, scores: scored.totals, extra_logs: scored.components });
      return;
    }

    const body = parseJsonBody(raw, scoreRequestSchema);
    checkFieldLengths([...body.completions.map((value, i) => ({ path: `completions.${i}`, value: value as CompletionInput })), ...body.solutions.map((value, i) => ({ path: `solutions.${i}`, value }))], maxFieldChars);
    checkLabelTypes(body.solutions, 'solutions');
    const scored = await scoreInSlices(scorer, body.completions as CompletionInput[], body.solutions, body.extras);
    send(response, 200, { rewards: scored.totals, components: scored.components });
  };

  return createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A client that went away mid-request (a killed trainer, a timeout) is not a server fault.
      if (request.socket.destroyed || ['ECONNRESET', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE'].includes((error as NodeJS.ErrnoException).code ?? '') || (error as Error).message === 'aborted') {
        options.log?.(`reward server: ${request.method} ${request.url}: the client closed the connection before the answer`);
        return;
      }
      if (error instanceof HttpError) {
        send(response, error.status, error.body, error.closeConnection);
        if (error.closeConnection) request.resume();
        return;
      }
      options.log?.(`reward server: ${(error as Error).stack ?? String(error)}`);
      // A reward of the registry that misbehaves (wrong count, NaN) is named to the trainer too.
      send(response, 500, { error: RewardValueError.isInstance(error) ? error.message : 'internal error' });
    });
  });
}

/** A started server: its URL and a graceful `close`. */
export interface RunningRewardServer {
  server: Server;
  url: string;
  /** Stops accepting connections and resolves once in-flight requests are answered. */
  close(): Promise<void>;
}

/**
 * Creates and starts a reward server (default 127.0.0.1, port 8000; port 0 picks a free one).
 *
 * @example
 * const { url, close } = await startRewardServer({ port: 0 });
 * // … POST `${url}/score` …
 * await close();
 */
export async function startRewardServer(options: RewardServerOptions & { host?: string; port?: number } = {}): Promise<RunningRewardServer> {
  const server = createRewardServer(options);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
