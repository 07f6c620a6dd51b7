import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expertAdRecordSchema, paSftRecordSchema, paSftToExpertAd, parseRecords, scGrpoRecordSchema, scGrpoToExpertAd } from '@iad-r1/cot-schema';
import { generateSyntheticSet } from '@iad-r1/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

// The counterpart of our OpenAI client: a chat-completions server that answers like a VLM would,
// records what it was asked, and misbehaves on purpose for some categories.
interface Asked {
  kind: 'describe' | 'think';
  images: number;
  text: string;
}
let server: Server;
let baseUrl: string;
const asked: Asked[] = [];
const thinkCalls = new Map<string, number>();

beforeAll(async () => {
  server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages: Array<{ content: Array<{ type: string; text?: string; image_url?: { url: string } }> }> };
    const parts = body.messages.at(-1)?.content ?? [];
    const images = parts.filter((p) => p.type === 'image_url');
    for (const image of images) expect(image.image_url?.url).toMatch(/^data:image\/png;base64,iVBOR/);
    const text = parts.filter((p) => p.type === 'text').map((p) => p.text).join('\n');
    let reply: string;
    if (images.length > 0) {
      asked.push({ kind: 'describe', images: images.length, text });
      reply = `Compared to the reference image, there is ${/defect is of the type/.test(text) ? 'a visible flaw' : 'no difference'} (${asked.length}).`;
    } else {
      asked.push({ kind: 'think', images: 0, text });
      const calls = (thinkCalls.get(text) ?? 0) + 1;
      thinkCalls.set(text, calls);
      const defective = /The query is defective/.test(text);
      if (/query image of a capsule/.test(text) && calls === 1) reply = 'I cannot see the image.'; // invalid once, then fine
      else if (/query image of a gear/.test(text) && defective) reply = '<think>too short</think><type>dent</type>'; // never valid
      else reply = defective ? '<think>I notice an irregular mark on the part that breaks its surface finish, so it is defective.</think><type>surface mark</type>' : '<think>The part looks intact, clean and regular everywhere, so there is no defect.</think>';
    }
    await new Promise((r) => setTimeout(r, 15));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function runCli(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += String(d)));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  return { child, done };
}

const lines = (file: string): Array<{ id: string; ok?: boolean; attempts?: number }> => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l)) : []);

describe('iad-r1-expert-ad all with an OpenAI-compatible VLM', () => {
  it('describes with the outlined copy and hints, retries and flags invalid CoT, and resumes after SIGKILL without duplicates', async () => {
    const root = mkdtempSync(join(tmpdir(), 'iad-r1-expert-ad-vlm-'));
    const data = join(root, 'data');
    const out = join(root, 'out');
    await generateSyntheticSet({ out: data, seed: 1, size: 32, perCategory: 3 });
    const args = ['all', '--source', 'synthetic', '--root', data, '--out', out, '--describer', 'openai:fake-vl', '--base-url', baseUrl, '--auto-accept', '--concurrency', '2'];

    // First run: killed hard once a few descriptions are on disk.
    const first = runCli(args);
    const descriptions = join(out, 'descriptions.jsonl');
    const deadline = Date.now() + 60_000;
    while (lines(descriptions).length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGKILL');
    await first.done;
    const describedBefore = lines(descriptions).length;
    const askedBefore = asked.filter((a) => a.kind === 'describe').length;
    expect(describedBefore).toBeGreaterThanOrEqual(6);
    expect(describedBefore).toBeLessThan(48);

    // Second run finishes the job.
    const second = runCli(args);
    const { code, stderr } = await second.done;
    expect(stderr).not.toMatch(/iad-r1-expert-ad: /);
    expect(code).toBe(0);

    const pairs = lines(join(out, 'pairs.jsonl'));
    expect(pairs).toHaveLength(48); // 8 categories × (3 anomalous + 3 normal)
    const describedIds = lines(descriptions).map((d) => d.id);
    expect(new Set(describedIds).size).toBe(describedIds.length);
    expect(describedIds.sort()).toEqual(pairs.map((p) => p.id).sort());
    // Only pairs not yet on disk were asked again (at most the two in flight at the kill twice).
    const describeRequests = asked.filter((a) => a.kind === 'describe');
    expect(describeRequests.length - askedBefore).toBe(48 - describedBefore);
    expect(describeRequests.length).toBeLessThanOrEqual(48 + 2);

    // Anomalous queries came with the outlined copy and the coarse type and location as hints.
    const pairsById = new Map(lines(join(out, 'pairs.jsonl')).map((p) => [p.id, p as unknown as { label: string; coarseType?: string; location?: { text: string } }]));
    const anomalousAsks = describeRequests.filter((a) => a.images === 3);
    const normalAsks = describeRequests.filter((a) => a.images === 2);
    expect(anomalousAsks.length).toBeGreaterThanOrEqual(24);
    expect(normalAsks.length).toBeGreaterThanOrEqual(24);
    for (const ask of anomalousAsks) expect(ask.text).toMatch(/defect is of the type "[a-z ]+" and lies at the [a-z ]+ of the image/);
    for (const ask of normalAsks) expect(ask.text).not.toMatch(/defect is of the type/);
    const types = new Set(anomalousAsks.map((a) => /type "([a-z ]+)"/.exec(a.text)?.[1]));
    const expectedTypes = new Set([...pairsById.values()].filter((p) => p.label === 'anomalous').map((p) => p.coarseType?.toLowerCase()));
    expect(types).toEqual(expectedTypes);

    // Think: capsule replies were invalid once and retried; anomalous gear replies never validated → flagged.
    const thoughts = lines(join(out, 'thoughts.jsonl'));
    expect(new Set(thoughts.map((t) => t.id)).size).toBe(48);
    const flagged = thoughts.filter((t) => !t.ok).map((t) => t.id).sort();
    expect(flagged).toEqual([...pairsById.entries()].filter(([id, p]) => id.startsWith('gear/') && p.label === 'anomalous').map(([id]) => id).sort());
    const capsule = thoughts.filter((t) => t.id.startsWith('capsule/'));
    expect(capsule).toHaveLength(6);
    expect(capsule.every((t) => t.attempts === 2)).toBe(true);

    // Exports: 45 records, all valid and round-tripping.
    const records = parseRecords(readFileSync(join(out, 'expert-ad.jsonl'), 'utf8'), expertAdRecordSchema);
    expect(records).toHaveLength(45);
    expect(records.every((r) => r.think && r.review.status === 'accepted')).toBe(true);
    for (const raw of JSON.parse(readFileSync(join(out, 'pa-sft.json'), 'utf8')) as unknown[]) {
      const back = paSftToExpertAd(paSftRecordSchema.parse(raw));
      expect(records.some((r) => r.queryImage === back.queryImage && r.think === back.think && r.label === back.label && r.coarseType === back.coarseType)).toBe(true);
    }
    for (const raw of JSON.parse(readFileSync(join(out, 'sc-grpo.json'), 'utf8')) as unknown[]) {
      const record = scGrpoRecordSchema.parse(raw);
      const back = scGrpoToExpertAd(record);
      const original = records.find((r) => r.id === record.id);
      expect(back.label).toBe(original?.label);
      expect(back.location?.text).toBe(original?.location?.text);
    }
    const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8'));
    expect(stats).toMatchObject({ records: 45, flagged: 3, unfinished: 0 });
    expect(stderr).toMatch(/45 records \(21 anomalous, 24 normal\)/);
  });
});
