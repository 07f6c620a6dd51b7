import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelRequestError, ModelResponseError } from '../src/index';
import { OpenAICompatibleModel } from '../src/openai/index';

// A fake OpenAI-compatible server: the counterpart of our client. Each test scripts its replies.
type Handler = (body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
let server: Server | undefined;
const received: Array<{ body: Record<string, unknown>; headers: IncomingMessage['headers'] }> = [];

async function fakeServer(handler: Handler): Promise<string> {
  received.length = 0;
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      received.push({ body, headers: req.headers });
      void handler(body, req, res);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}
const choice = (text: string) => ({ message: { role: 'assistant', content: text }, finish_reason: 'stop' });

// A real 1×1 PNG, written to disk, so the test can compare decoded bytes with the file.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

describe('OpenAICompatibleModel', () => {
  it('sends chat messages with images as data URLs and reads the answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-models-'));
    writeFileSync(join(dir, 'ref.png'), PNG);
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const baseUrl = await fakeServer((_, __, res) => reply(res, 200, { choices: [choice('<answer>No</answer>')] }));
    process.env.IAD_R1_TEST_KEY = 'sk-test-secret';
    const model = new OpenAICompatibleModel({ model: 'tiny-vlm', baseUrl, apiKeyEnv: 'IAD_R1_TEST_KEY' });
    const [result] = await model.generate(
      [[{ role: 'system', content: 'S' }, { role: 'user', content: [{ type: 'image', image: join(dir, 'ref.png') }, { type: 'image', image: { data: jpeg } }, { type: 'text', text: 'Any defect?' }] }]],
      { maxNewTokens: 64, temperature: 0, seed: 3 },
    );
    expect(result?.completions).toEqual([{ text: '<answer>No</answer>', finishReason: 'stop' }]);
    const { body, headers } = received[0] as (typeof received)[number];
    expect(headers.authorization).toBe('Bearer sk-test-secret');
    expect(body).toMatchObject({ model: 'tiny-vlm', max_tokens: 64, temperature: 0, seed: 3 });
    const messages = body.messages as Array<{ role: string; content: unknown }>;
    expect(messages[0]).toEqual({ role: 'system', content: 'S' });
    const parts = messages[1]?.content as Array<{ type: string; image_url?: { url: string }; text?: string }>;
    expect(parts.map((p) => p.type)).toEqual(['image_url', 'image_url', 'text']);
    const [pngHeader, pngData] = (parts[0]?.image_url?.url as string).split(',');
    expect(pngHeader).toBe('data:image/png;base64');
    expect(Buffer.from(pngData as string, 'base64').equals(readFileSync(join(dir, 'ref.png')))).toBe(true);
    const [jpegHeader, jpegData] = (parts[1]?.image_url?.url as string).split(',');
    expect(jpegHeader).toBe('data:image/jpeg;base64');
    expect(Buffer.from(jpegData as string, 'base64').equals(jpeg)).toBe(true);
  });

  it('collects n completions from servers that ignore n', async () => {
    let count = 0;
    const baseUrl = await fakeServer((_, __, res) => reply(res, 200, { choices: [choice(`c${count++}`)] }));
    const model = new OpenAICompatibleModel({ model: 'm', baseUrl });
    const [result] = await model.generate([[{ role: 'user', content: 'hi' }]], { n: 3, temperature: 1 });
    expect(result?.completions.map((c) => c.text)).toEqual(['c0', 'c1', 'c2']);
    expect(received.map((r) => r.body.n)).toEqual([3, 2, undefined]);
  });

  it('retries 429 and 5xx with backoff, honouring Retry-After', async () => {
    const statuses = [429, 503, 200];
    const baseUrl = await fakeServer((_, __, res) => {
      const status = statuses.shift() as number;
      if (status === 200) reply(res, 200, { choices: [choice('ok')] });
      else reply(res, status, { error: 'busy' }, status === 429 ? { 'retry-after': '0' } : {});
    });
    const log: string[] = [];
    const model = new OpenAICompatibleModel({ model: 'm', baseUrl, initialBackoffMs: 5, log: (l) => log.push(l) });
    const [result] = await model.generate([[{ role: 'user', content: 'hi' }]]);
    expect(result?.completions[0]?.text).toBe('ok');
    expect(received).toHaveLength(3);
    expect(log[0]).toMatch(/answered 429 .*retry 1\/5/);
    expect(log[1]).toMatch(/answered 503 .*retry 2\/5/);
  });

  it('gives up after maxRetries, and never retries a 4xx other than 429', async () => {
    const baseUrl = await fakeServer((_, __, res) => reply(res, 500, 'boom'));
    const model = new OpenAICompatibleModel({ model: 'm', baseUrl, maxRetries: 2, initialBackoffMs: 1 });
    const error = await model.generate([[{ role: 'user', content: 'hi' }]]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelRequestError);
    expect((error as ModelRequestError).status).toBe(500);
    expect(received).toHaveLength(3);
  });

  it('does not retry 401 and never puts the key in the error', async () => {
    process.env.IAD_R1_TEST_KEY = 'sk-very-secret';
    const baseUrl = await fakeServer((_, __, res) => reply(res, 401, { error: 'bad key' }));
    const model = new OpenAICompatibleModel({ model: 'm', baseUrl, apiKeyEnv: 'IAD_R1_TEST_KEY', initialBackoffMs: 1 });
    const error = (await model.generate([[{ role: 'user', content: 'hi' }]]).catch((e: unknown) => e)) as ModelRequestError;
    expect(error.status).toBe(401);
    expect(error.retryable).toBe(false);
    expect(received).toHaveLength(1);
    expect(JSON.stringify({ message: error.message, body: error.body, stack: error.stack })).not.toContain('sk-very-secret');
  });

  it('times out slow requests and retries them', async () => {
    let calls = 0;
    const baseUrl = await fakeServer((_, __, res) => {
      calls++;
      if (calls === 1) setTimeout(() => reply(res, 200, { choices: [choice('late')] }), 400);
      else reply(res, 200, { choices: [choice('fast')] });
    });
    const model = new OpenAICompatibleModel({ model: 'm', baseUrl, timeoutMs: 100, initialBackoffMs: 1 });
    const [result] = await model.generate([[{ role: 'user', content: 'hi' }]]);
    expect(result?.completions[0]?.text).toBe('fast');
    expect(calls).toBe(2);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const baseUrl = await fakeServer((_, __, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        reply(res, 200, { choices: [choice('x')] });
      }, 20);
    });
    const model = new OpenAICompatibleModel({ model: 'm', baseUrl, concurrency: 3 });
    const results = await model.generate(Array.from({ length: 10 }, () => [{ role: 'user' as const, content: 'hi' }]));
    expect(results).toHaveLength(10);
    expect(peak).toBe(3);
  });

  it('reports malformed responses', async () => {
    const baseUrl = await fakeServer((_, __, res) => reply(res, 200, '{"choices": "nope"}'));
    const model = new OpenAICompatibleModel({ model: 'm', baseUrl });
    await expect(model.generate([[{ role: 'user', content: 'hi' }]])).rejects.toThrow(ModelResponseError);
    await expect(model.generate([[{ role: 'user', content: 'hi' }]])).rejects.toThrow(/unexpected shape: choices/);
  });
});
