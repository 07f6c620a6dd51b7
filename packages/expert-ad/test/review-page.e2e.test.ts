import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expertAdRecordSchema, paSftRecordSchema, parseRecords } from '@iad-r1/cot-schema';
import { generateSyntheticSet } from '@iad-r1/datasets';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describePairs, integrate, loadSource, prepareStep, startReviewServer, templateDescriber, thinkPairs } from '../src/index';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(chromiumPath);
if (!haveBrowser && process.env.IAD_R1_REQUIRE_BROWSER === '1') throw new Error(`IAD_R1_REQUIRE_BROWSER=1 but no Chromium at ${chromiumPath}`);

let out: string;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'iad-r1-expert-ad-review-'));
  await generateSyntheticSet({ out: join(root, 'data'), seed: 2, size: 32, perCategory: 2 });
  out = join(root, 'out');
  const dataset = await loadSource('synthetic', join(root, 'data'), { categories: ['plate', 'wood'] });
  await prepareStep(dataset, { out });
  await describePairs({ out, describer: templateDescriber() });
  await thinkPairs({ out, describer: templateDescriber() });
});

const decisions = (): Array<{ id: string; status: string; think?: string }> =>
  existsSync(join(out, 'reviews.jsonl')) ? readFileSync(join(out, 'reviews.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];

describe('review server API', () => {
  it('binds to 127.0.0.1, validates decisions and serves only the pairs’ images', async () => {
    const server = await startReviewServer({ out });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
      const base = new URL(server.url).origin;
      const auth = { 'x-review-token': server.token };
      const items = (await (await fetch(`${base}/api/items?status=all`, { headers: auth })).json()) as { counts: { total: number }; items: Array<{ id: string; label: string }> };
      expect(items.counts.total).toBe(8);
      const post = (body: unknown) => fetch(`${base}/api/decision`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const id = items.items[0]?.id as string;
      expect((await post({ id, status: 'maybe' })).status).toBe(422);
      expect((await post({ id, status: 'accepted', think: 'sneaky edit' })).status).toBe(422);
      expect((await post({ id: 'nope', status: 'accepted' })).status).toBe(404);
      expect((await fetch(`${base}/api/decision`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{not json' })).status).toBe(400);
      expect((await fetch(`${base}/api/image?id=${encodeURIComponent(id)}&which=../../etc/passwd&token=${server.token}`)).status).toBe(400);
      const image = await fetch(`${base}/api/image?id=${encodeURIComponent(id)}&which=reference&token=${server.token}`);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(decisions()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('without a data root in prepare.json, serves only the records\' own regular files: no links, no FIFOs (issue #39)', async () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'iad-r1-expert-ad-noroot-')), 'out');
    cpSync(out, copy, { recursive: true });
    const prepareFile = join(copy, 'prepare.json');
    const { root: _root, ...prepared } = JSON.parse(readFileSync(prepareFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(prepareFile, JSON.stringify(prepared));
    const pairsFile = join(copy, 'pairs.jsonl');
    const pairs = readFileSync(pairsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; referenceImage: string; queryImage: string });
    const [linked, piped, plain] = pairs as [(typeof pairs)[0], (typeof pairs)[0], (typeof pairs)[0]];
    // Inside the folder an earlier version fell back to as the root (the first query image's).
    const folder = dirname(linked.queryImage);
    const secret = join(folder, 'secret.txt');
    writeFileSync(secret, 'not for the reviewer');
    const link = join(folder, 'link.png');
    symlinkSync(secret, link);
    const fifo = join(folder, 'fifo.png');
    execFileSync('mkfifo', [fifo]);
    linked.referenceImage = link;
    piped.referenceImage = fifo;
    writeFileSync(pairsFile, `${pairs.map((p) => JSON.stringify(p)).join('\n')}\n`);
    const server = await startReviewServer({ out: copy });
    try {
      const base = new URL(server.url).origin;
      const image = (id: string) => fetch(`${base}/api/image?id=${encodeURIComponent(id)}&which=reference&token=${server.token}`);
      const refusedLink = await image(linked.id);
      expect(refusedLink.status).toBe(403);
      expect(await refusedLink.text()).not.toContain('not for the reviewer');
      const started = performance.now();
      expect((await image(piped.id)).status).toBe(403);
      expect(performance.now() - started).toBeLessThan(2000);
      expect((await image(plain.id)).status).toBe(200);
    } finally {
      await server.close();
      for (const path of [secret, link, fifo]) rmSync(path, { force: true });
    }
  });

  it('refuses cross-site requests: foreign Origin or Host, non-JSON writes, a missing or wrong token', async () => {
    const server = await startReviewServer({ out });
    let finished = false;
    void server.finished.then(() => (finished = true));
    try {
      const { origin, port } = new URL(server.url);
      const items = (await (await fetch(`${origin}/api/items`, { headers: { 'x-review-token': server.token } })).json()) as { items: Array<{ id: string }> };
      const id = items.items[0]?.id as string;
      const body = JSON.stringify({ id, status: 'rejected' });
      const attempt = (path: string, init: RequestInit & { headers?: Record<string, string> }) => fetch(`${origin}${path}`, init).then(async (r) => ({ status: r.status, error: ((await r.json()) as { error: string }).error }));
      // What any page in the reviewer's browser could send: a "simple" text/plain POST from its origin.
      expect(await attempt('/api/decision', { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'https://evil.example' }, body })).toMatchObject({ status: 403, error: 'cross-site request from https://evil.example refused' });
      expect((await attempt('/api/finish', { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'https://evil.example' }, body: '{}' })).status).toBe(403);
      // Same origin but no token, a wrong token, or not JSON.
      expect((await attempt('/api/decision', { method: 'POST', headers: { 'content-type': 'application/json', origin }, body })).error).toMatch(/missing or wrong session token/);
      expect((await attempt('/api/decision', { method: 'POST', headers: { 'content-type': 'application/json', 'x-review-token': `${server.token.slice(1)}x` }, body })).status).toBe(403);
      expect(await attempt('/api/decision', { method: 'POST', headers: { 'content-type': 'text/plain', 'x-review-token': server.token }, body })).toMatchObject({ status: 415 });
      // DNS rebinding: a foreign name resolving to 127.0.0.1 arrives with its own Host header.
      const rebound = await new Promise<number>((resolve, reject) => {
        const request = httpRequest({ host: '127.0.0.1', port: Number(port), path: '/api/items', headers: { host: `evil.example:${port}`, 'x-review-token': server.token } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
        request.end();
      });
      expect(rebound).toBe(403);
      // The page itself needs the token too.
      expect((await fetch(`${origin}/`)).status).toBe(403);
      expect(await (await fetch(server.url)).text()).toContain(server.token);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(finished).toBe(false);
      expect(decisions()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('validates edits as integration does: location on the grid, type in the taxonomy, no tags in the think', async () => {
    const server = await startReviewServer({ out });
    try {
      const origin = new URL(server.url).origin;
      const auth = { 'x-review-token': server.token, 'content-type': 'application/json' };
      const items = (await (await fetch(`${origin}/api/items`, { headers: auth })).json()) as { items: Array<{ id: string; label: string }> };
      const id = items.items.find((i) => i.label === 'anomalous')?.id as string;
      const edit = async (fields: Record<string, string>) => {
        const response = await fetch(`${origin}/api/decision`, { method: 'POST', headers: auth, body: JSON.stringify({ id, status: 'edited', ...fields }) });
        return { status: response.status, error: ((await response.json()) as { error?: string }).error };
      };
      expect(await edit({ location: 'on the moon' })).toEqual({ status: 422, error: expect.stringMatching(/^field location: must name a place on the grid/) });
      expect(await edit({ fineType: 'banana' })).toEqual({ status: 422, error: expect.stringMatching(/^field fineType: must be a defect type of the taxonomy/) });
      expect(await edit({ think: 'Looks fine.</think><answer>No</answer><think>' })).toEqual({ status: 422, error: 'field think: must not contain <think>, <location>, <type> or <answer> tags' });
      expect(decisions()).toEqual([]);
      expect((await edit({ location: 'lower right corner', fineType: 'linear scratch', think: 'A thin dark line crosses the lower right of the part.' })).status).toBe(200);
      expect(decisions()).toEqual([expect.objectContaining({ id, status: 'edited', location: 'lower right corner', fineType: 'linear scratch' })]);
    } finally {
      await server.close();
      rmSync(join(out, 'reviews.jsonl'), { force: true });
    }
  });

  it('refuses a bad edit written into reviews.jsonl by hand, naming the line', async () => {
    const pairs = readFileSync(join(out, 'pairs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; label: string });
    const id = pairs.find((p) => p.label === 'anomalous')?.id as string;
    writeFileSync(join(out, 'reviews.jsonl'), `${JSON.stringify({ id, status: 'edited', fineType: 'banana', reviewedAt: new Date().toISOString() })}\n`);
    try {
      await expect(integrate({ out })).rejects.toThrow(/reviews\.jsonl:1: field fineType: must be a defect type of the taxonomy/);
    } finally {
      rmSync(join(out, 'reviews.jsonl'), { force: true });
    }
  });
});

describe.skipIf(!haveBrowser)('review page in headless Chromium', () => {
  it('accepts, rejects and edits with the keyboard; decisions are on disk at once and survive a restart', async () => {
    let server = await startReviewServer({ out });
    let first = '';
    let second = '';
    let third = '';
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(server.url);
      await page.waitForFunction("document.getElementById('id')?.textContent !== ''");
      await expect.poll(() => page.textContent('#progress')).toBe('Reviewed 0 / 8 (accepted 0, edited 0, rejected 0)');
      const idAt = () => page.textContent('#id') as Promise<string>;
      // Every image loaded (reference, query, overlay).
      await page.waitForFunction('[...document.images].every((img) => img.complete && img.naturalWidth > 0)');

      first = await idAt();
      await page.keyboard.press('a');
      await expect.poll(idAt).not.toBe(first);
      expect(decisions().at(-1)).toMatchObject({ id: first, status: 'accepted' });

      second = await idAt();
      await page.keyboard.press('r');
      await expect.poll(idAt).not.toBe(second);
      expect(decisions().at(-1)).toMatchObject({ id: second, status: 'rejected' });

      third = await idAt();
      const label = await page.textContent('#label');
      await page.keyboard.press('e');
      await page.fill('#think', 'Edited by the reviewer: the surface shows one clear flaw.');
      if (label === 'anomalous') await page.fill('#fine-type', 'surface scratch');
      await page.keyboard.press('Control+Enter');
      await expect.poll(idAt).not.toBe(third);
      expect(decisions().at(-1)).toMatchObject({ id: third, status: 'edited', think: 'Edited by the reviewer: the surface shows one clear flaw.' });
      await expect.poll(() => page.textContent('#progress')).toBe('Reviewed 3 / 8 (accepted 1, edited 1, rejected 1)');

      // Filter by status; navigation keys.
      await page.selectOption('#filter', 'rejected');
      await expect.poll(() => page.textContent('#position')).toBe('1 of 1');
      // The position can be drawn a moment before the id on a loaded machine: wait for it too.
      await expect.poll(idAt).toBe(second);
      await page.selectOption('#filter', 'pending');
      await expect.poll(() => page.textContent('#position')).toBe('1 of 5');
      await page.keyboard.press('j');
      await expect.poll(() => page.textContent('#position')).toBe('2 of 5');
      await page.keyboard.press('k');
      await expect.poll(() => page.textContent('#position')).toBe('1 of 5');
      expect(problems).toEqual([]);

      // A restarted server shows the saved decisions.
      await server.close();
      server = await startReviewServer({ out });
      await page.goto(server.url);
      await page.selectOption('#filter', 'edited');
      await expect.poll(idAt).toBe(third);
      expect(await page.inputValue('#think')).toBe('Edited by the reviewer: the surface shows one clear flaw.');
      await expect.poll(() => page.textContent('#status')).toBe('edited');

      // "Finish & integrate" resolves `finished`.
      await page.click('#finish');
      await server.finished;
    } finally {
      await browser.close();
      await server.close();
    }

    // Integration without auto-accept keeps exactly the accepted and edited records.
    const { records, stats } = await integrate({ out });
    expect(records.map((r) => r.id).sort()).toEqual([first, third].sort());
    expect(stats.review).toMatchObject({ accepted: 1, edited: 1, rejected: 1, pending: 5, autoAccepted: 0 });
    const edited = parseRecords(readFileSync(join(out, 'expert-ad.jsonl'), 'utf8'), expertAdRecordSchema).find((r) => r.id === third);
    expect(edited?.review.status).toBe('edited');
    expect(edited?.think).toBe('Edited by the reviewer: the surface shows one clear flaw.');
    const exported = [...JSON.parse(readFileSync(join(out, 'pa-sft.json'), 'utf8')), ...JSON.parse(readFileSync(join(out, 'sc-grpo.json'), 'utf8'))];
    expect(exported).toHaveLength(2);
    const sft = (JSON.parse(readFileSync(join(out, 'pa-sft.json'), 'utf8')) as unknown[]).map((r) => paSftRecordSchema.parse(r));
    for (const r of sft) if (r.images.at(-1) === edited?.queryImage) expect(r.messages.at(-1)?.content).toContain('Edited by the reviewer');
  });
});
