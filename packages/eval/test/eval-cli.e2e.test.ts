import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type AnomalySample, generateSyntheticSet, readSyntheticSet } from '@iad-r1/datasets';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);
const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

// The fake model's behaviour, a pure function of the query image: some answers unreadable,
// about a quarter wrong, the rest right. The test computes the expected metrics from it.
type Reply = 'right' | 'wrong' | 'unreadable';
function policy(hash: string): Reply {
  const h = Number.parseInt(hash.slice(0, 8), 16);
  if (h % 7 === 0) return 'unreadable';
  return h % 4 === 0 ? 'wrong' : 'right';
}

let root: string;
let server: Server;
let baseUrl: string;
const labelByHash = new Map<string, { sample: AnomalySample; hash: string }>();
const normalTrainByCategory = new Map<string, Set<string>>();
const served = new Map<string, number>(); // query hash → successful answers
const failedOnce = new Set<string>();
const requests: Array<{ images: string[]; body: Record<string, unknown> }> = [];
const judgeQuestions: string[] = [];
let testSamples: AnomalySample[] = [];

beforeAll(async () => {
  root = join(mkdtempSync(join(tmpdir(), 'iad-r1-eval-e2e-')), 'synthetic');
  await generateSyntheticSet({ out: root, seed: 5, size: 32, perCategory: 2 });
  const set = await readSyntheticSet(root);
  for (const dataset of Object.values(set.benchmarks)) {
    for (const s of dataset.samples) {
      const hash = sha(readFileSync(s.imagePath));
      if (s.split === 'test') {
        labelByHash.set(hash, { sample: s, hash });
        testSamples.push(s);
      } else {
        normalTrainByCategory.set(s.category, (normalTrainByCategory.get(s.category) ?? new Set()).add(hash));
      }
    }
  }
  testSamples = testSamples.sort((a, b) => a.id.localeCompare(b.id));

  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as { model: string; messages: Array<{ role: string; content: Array<{ type: string; text?: string; image_url?: { url: string } }> }> };
      // The consistency judge (text only): it says a final "Yes" is unsupported and a "No" supported.
      if (body.model === 'fake-judge') {
        const question = body.messages.flatMap((m) => m.content).map((p) => p.text ?? '').join('');
        judgeQuestions.push(question);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: question.includes('Final answer: Yes') ? 'No.' : 'Yes.' }, finish_reason: 'stop' }] }));
        return;
      }
      const images = body.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : [])).filter((p) => p.type === 'image_url').map((p) => sha(Buffer.from((p.image_url?.url as string).split(',')[1] as string, 'base64')));
      requests.push({ images, body: body as unknown as Record<string, unknown> });
      const query = images[images.length - 1] as string;
      const known = labelByHash.get(query);
      const send = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (!known) return send(400, { error: 'unknown image' });
      // A transient failure the first time for some images: the client must retry.
      if (Number.parseInt(query.slice(8, 16), 16) % 5 === 0 && !failedOnce.has(query)) {
        failedOnce.add(query);
        return send(503, { error: 'warming up' });
      }
      const reply = policy(query);
      const truth = known.sample.label === 'anomalous';
      const sayYes = reply === 'right' ? truth : !truth;
      const text = reply === 'unreadable' ? 'I cannot tell from this picture.' : `<think>Comparing regions.</think>${sayYes ? '<location>center</location><type>scratch</type><answer>Yes</answer>' : '<answer>No</answer>'}`;
      setTimeout(() => {
        served.set(query, (served.get(query) ?? 0) + 1);
        send(200, { choices: [{ message: { role: 'assistant', content: text }, finish_reason: 'stop' }] });
      }, 15);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

// Expected metrics, computed here from the policy and the labels on disk.
function expectedBalancedAccuracy(samples: AnomalySample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const dataset of new Set(samples.map((s) => s.dataset))) {
    const rows = samples.filter((s) => s.dataset === dataset);
    const rate = (label: string): number => {
      const of = rows.filter((s) => s.label === label);
      return (of.filter((s) => policy(sha(readFileSync(s.imagePath))) === 'right').length / of.length) * 100;
    };
    out[dataset] = (rate('normal') + rate('anomalous')) / 2;
  }
  return out;
}

// The 3×3 cells a mask covers, counted here pixel by pixel (a pixel belongs to the cell its centre falls in).
async function coveredCells(maskPath: string): Promise<Set<number>> {
  const { data, info } = await sharp(maskPath).greyscale().raw().toBuffer({ resolveWithObject: true });
  const cells = new Set<number>();
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      if ((data[y * info.width + x] as number) > 127) cells.add(Math.floor(((y + 0.5) * 3) / info.height) * 3 + Math.floor(((x + 0.5) * 3) / info.width) + 1);
    }
  }
  return cells;
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '') : [];
}

const baseArgs = (out: string, extra: string[] = []): string[] => [cli, 'run', '--dataset', 'synthetic', '--root', root, '--model', 'openai:fake-vlm', '--base-url', baseUrl, '--out', out, '--concurrency', '2', ...extra];

describe('iad-r1-eval run against an OpenAI-compatible server', () => {
  it('0-shot on the six synthetic benchmarks: killed midway, resumed, no duplicates, metrics as computed independently', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'iad-r1-eval-run-')), 'zero');
    const answers = join(out, 'answers.jsonl');
    const child: ChildProcess = spawn('node', baseArgs(out), { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (lines(answers).length >= 12) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.once('exit', () => {
        clearInterval(timer);
        reject(new Error('run finished before it could be killed'));
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const before = lines(answers).length;
    expect(before).toBeGreaterThanOrEqual(12);
    expect(before).toBeLessThan(testSamples.length);

    const resumed = await run('node', baseArgs(out));
    expect(resumed.stdout).toContain('| openai:fake-vlm | 0-shot |');
    const all = lines(answers).map((l) => JSON.parse(l) as { key: string; answer: string | null });
    expect(all).toHaveLength(testSamples.length);
    expect(new Set(all.map((a) => a.key)).size).toBe(testSamples.length);
    // Each image answered once, except those in flight when the run was killed (at most the concurrency).
    const repeated = [...served.values()].filter((n) => n > 1).length;
    expect(repeated).toBeLessThanOrEqual(2);
    expect(failedOnce.size).toBeGreaterThan(0);

    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { datasets: Record<string, { balancedAccuracy: number; unparsed: number; n: number }>; average: { balancedAccuracy: number } };
    const expected = expectedBalancedAccuracy(testSamples);
    expect(Object.keys(summary.datasets).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, value] of Object.entries(expected)) expect(summary.datasets[name]?.balancedAccuracy, name).toBeCloseTo(value, 9);
    const mean = Object.values(expected).reduce((a, b) => a + b, 0) / Object.values(expected).length;
    expect(summary.average.balancedAccuracy).toBeCloseTo(mean, 9);
    const unreadable = testSamples.filter((s) => policy(sha(readFileSync(s.imagePath))) === 'unreadable').length;
    expect(Object.values(summary.datasets).reduce((n, d) => n + d.unparsed, 0)).toBe(unreadable);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/\| Model \| Setting \| syn-dagm \| syn-dtd \| syn-mpdd \| syn-mvtec \| syn-sdd \| syn-visa \| Average \|/);
    // Interpretation: the fake model says "center" and "scratch" whenever it answers yes. Over the
    // anomalies it answered yes to, a location hit is a mask covering the centre cell (5), and a
    // type hit is a scratch (same coarse type, score 1; every other synthetic defect scores < 0.85).
    const interpretation = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).datasets as Record<string, { interpretation: { located: number; anyHits: number; dominantHits: number; typed: number; typeHits: number } }>;
    for (const name of Object.keys(expected)) {
      const saidYes = testSamples.filter((s) => s.dataset === name && s.label === 'anomalous' && policy(sha(readFileSync(s.imagePath))) === 'right');
      const centre = (await Promise.all(saidYes.map(async (s) => (await coveredCells(s.maskPath as string)).has(5)))).filter(Boolean).length;
      const got = interpretation[name]?.interpretation;
      expect(got, name).toMatchObject({ located: saidYes.length, anyHits: centre, typed: saidYes.length, typeHits: saidYes.filter((s) => s.defect === 'scratch').length });
      expect(got?.dominantHits ?? -1).toBeLessThanOrEqual(centre);
    }
    // Every request asked greedily with the paper's budget.
    expect(requests.every((r) => r.body.temperature === 0 && r.body.max_tokens === 512 && r.body.model === 'fake-vlm')).toBe(true);
  });

  it('1-shot sends a normal image of the same category first, never the query', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'iad-r1-eval-run-')), 'one');
    requests.length = 0;
    await run('node', baseArgs(out, ['--shots', '1', '--prompt', 'base']));
    expect(requests.length).toBeGreaterThanOrEqual(testSamples.length);
    for (const r of requests) {
      expect(r.images).toHaveLength(2);
      const query = labelByHash.get(r.images[1] as string);
      expect(normalTrainByCategory.get(query?.sample.category as string)?.has(r.images[0] as string)).toBe(true);
      const text = JSON.stringify(r.body.messages);
      expect(text).toContain('Following is 1 image of normal sample');
      expect(text).toContain('Please answer by yes or no.');
    }
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.shots).toBe(1);
    expect(summary.prompt).toBe('base');
  });

  it("k-shot sends k normal images of the category, then the query, in the authors' wording; another k cannot resume", async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'iad-r1-eval-run-')), 'two');
    requests.length = 0;
    await run('node', baseArgs(out, ['--shots', '2', '--limit', '2']));
    expect(lines(join(out, 'answers.jsonl'))).toHaveLength(12);
    for (const r of requests) {
      expect(r.images).toHaveLength(3);
      const query = labelByHash.get(r.images[2] as string);
      expect(query).toBeDefined();
      const pool = normalTrainByCategory.get(query?.sample.category as string);
      expect(pool?.has(r.images[0] as string) && pool?.has(r.images[1] as string)).toBe(true);
      expect(r.images[0]).not.toBe(r.images[1]);
      const parts = (r.body.messages as Array<{ content: Array<{ type: string; text?: string }> }>).flatMap((m) => m.content).map((p) => (p.type === 'text' ? (p.text as string).trim() : p.type));
      expect(parts).toEqual(['Following is 2 image of normal sample, which can be used as a template to compare the image being queried.', 'image_url', 'image_url', 'Following is image of test sample:', 'image_url', 'Are there any defects in the test image?']);
    }
    const clash = await run('node', baseArgs(out, ['--shots', '1', '--limit', '2'])).catch((e: { code: number; stderr: string }) => e);
    expect((clash as { stderr: string }).stderr).toMatch(/run\.json: this run was made with shots = 2, not 1/);
  });

  it('asks a judge about each tagged answer and reports its verdicts as their own column', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'iad-r1-eval-run-')), 'judged');
    judgeQuestions.length = 0;
    await run('node', baseArgs(out, ['--limit', '2', '--judge', 'openai:fake-judge']));
    const answers = lines(join(out, 'answers.jsonl')).map((l) => JSON.parse(l) as { answer: string | null; judge?: string | null });
    const readable = answers.filter((a) => a.answer !== null);
    expect(judgeQuestions).toHaveLength(readable.length);
    expect(judgeQuestions.every((q) => q.includes('Reasoning:\nComparing regions.') && q.includes('Does the reasoning support the final answer?'))).toBe(true);
    expect(answers.map((a) => a.judge)).toEqual(answers.map((a) => (a.answer === null ? undefined : a.answer === 'no' ? 'yes' : 'no')));
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { datasets: Record<string, { consistency: { judged: number; judgeAgrees: number } }> };
    const totals = Object.values(summary.datasets).reduce((t, d) => ({ judged: t.judged + d.consistency.judged, agrees: t.agrees + d.consistency.judgeAgrees }), { judged: 0, agrees: 0 });
    expect(totals).toEqual({ judged: readable.length, agrees: readable.filter((a) => a.answer === 'no').length });
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).judge).toBe('openai:fake-judge');
  });

  it('reads MMAD-style manifests, and stops 1-shot clearly when their template lists are empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-eval-mmad-'));
    const picked = testSamples.filter((s) => s.dataset === 'syn-mvtec');
    const reference = [...(await readSyntheticSet(root)).benchmarks['syn-mvtec']?.normalReferences.washer ?? []][0] as string;
    const manifest = (templates: boolean) =>
      Object.fromEntries(
        picked.map((s) => [
          relative(root, s.imagePath),
          {
            conversation: [{ Question: 'Is there any defect in the object?', Answer: s.label === 'anomalous' ? 'A' : 'B', Options: { A: 'Yes.', B: 'No.' }, type: 'Anomaly Detection' }],
            similar_templates: templates ? [relative(root, reference)] : [],
            random_templates: [],
          },
        ]),
      );
    writeFileSync(join(dir, 'with.json'), JSON.stringify(manifest(true)));
    writeFileSync(join(dir, 'without.json'), JSON.stringify(manifest(false)));
    const args = (file: string, out: string, shots: string) => [cli, 'run', '--dataset', 'mmad', '--root', root, '--manifest', join(dir, file), '--model', 'openai:fake-vlm', '--base-url', baseUrl, '--shots', shots, '--out', join(dir, out)];

    await run('node', args('without.json', 'zero', '0'));
    const zero = JSON.parse(readFileSync(join(dir, 'zero', 'summary.json'), 'utf8'));
    // MMAD groups by the first path segment.
    expect(Object.keys(zero.datasets)).toEqual(['benchmarks']);
    expect(zero.datasets.benchmarks.n).toBe(picked.length);
    const relabelled = picked.map((s) => ({ ...s, dataset: 'benchmarks' }));
    expect(zero.datasets.benchmarks.balancedAccuracy).toBeCloseTo(expectedBalancedAccuracy(relabelled).benchmarks as number, 9);

    await run('node', args('with.json', 'one', '1'));
    expect(JSON.parse(readFileSync(join(dir, 'one', 'summary.json'), 'utf8')).datasets.benchmarks.n).toBe(picked.length);

    const failed = await run('node', args('without.json', 'bad', '1')).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toMatch(/1-shot needs a reference image, but this entry's template list is empty/);
  });

  it('rescores from answers.jsonl, and refuses to mix settings in one folder', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'iad-r1-eval-run-')), 'r');
    await run('node', baseArgs(out, ['--limit', '3']));
    expect(lines(join(out, 'answers.jsonl'))).toHaveLength(18);
    const scored = await run('node', [cli, 'score', '--answers', join(out, 'answers.jsonl'), '--out', join(out, 'again')]);
    const original = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(JSON.parse(scored.stdout).balancedAccuracy).toBeCloseTo(original.average.balancedAccuracy, 9);
    const clash = await run('node', baseArgs(out, ['--limit', '3', '--shots', '1'])).catch((e: { code: number; stderr: string }) => e);
    expect((clash as { stderr: string }).stderr).toMatch(/run\.json: this run was made with shots = 0, not 1/);
    // A corrupt answers file is one line naming file and line, not a stack trace.
    writeFileSync(join(out, 'broken.jsonl'), `${lines(join(out, 'answers.jsonl'))[0]}\n{oops\n${lines(join(out, 'answers.jsonl'))[1]}\n`);
    const broken = await run('node', [cli, 'score', '--answers', join(out, 'broken.jsonl'), '--out', join(out, 'b')]).catch((e: { code: number; stderr: string }) => e);
    expect(broken).toMatchObject({ code: 1 });
    expect((broken as { stderr: string }).stderr).toBe(`iad-r1-eval: ${join(out, 'broken.jsonl')}:2: not valid JSON\n`);
  });

  it('refuses a resume onto other data, or answers without their run.json unless --force', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'iad-r1-eval-run-')), 'r');
    await run('node', baseArgs(out, ['--limit', '2']));
    // The same images under another root are other questions: their answers must not be counted for these.
    const copy = join(mkdtempSync(join(tmpdir(), 'iad-r1-eval-copy-')), 'synthetic');
    cpSync(root, copy, { recursive: true });
    const otherRoot = await run('node', [...baseArgs(out, ['--limit', '2']).map((a) => (a === root ? copy : a))]).catch((e: { code: number; stderr: string }) => e);
    expect(otherRoot).toMatchObject({ code: 1 });
    expect((otherRoot as { stderr: string }).stderr).toMatch(/run\.json: this run was made with datasets = \[\{"name":"syn-mvtec","root":"[^"]*\/synthetic\/benchmarks\/syn-mvtec"/);
    // Without run.json nothing vouches for how the answers were asked.
    rmSync(join(out, 'run.json'));
    const orphan = await run('node', baseArgs(out, ['--limit', '2', '--shots', '1'])).catch((e: { code: number; stderr: string }) => e);
    expect(orphan).toMatchObject({ code: 1 });
    expect((orphan as { stderr: string }).stderr).toMatch(/answers\.jsonl: these answers have no run\.json beside them.*--force/);
    const asked = requests.length;
    const forced = await run('node', baseArgs(out, ['--limit', '2', '--force']));
    expect(forced.stderr).toMatch(/resuming: 12 of 12 images already answered/);
    expect(requests.length).toBe(asked);
    // An empty run.json (a crash while it was written) is named, not a bare SyntaxError.
    writeFileSync(join(out, 'run.json'), '');
    const empty = await run('node', baseArgs(out, ['--limit', '2'])).catch((e: { code: number; stderr: string }) => e);
    expect(empty).toMatchObject({ code: 1 });
    expect((empty as { stderr: string }).stderr).toMatch(/^iad-r1-eval: .*run\.json: the settings file is empty/m);
    expect((empty as { stderr: string }).stderr).not.toMatch(/SyntaxError|at /);
  });

  it('sends no empty image and no file a link leads to outside the data root', async () => {
    const copy = join(mkdtempSync(join(tmpdir(), 'iad-r1-eval-bad-')), 'synthetic');
    cpSync(root, copy, { recursive: true });
    const set = await readSyntheticSet(copy);
    const [empty, linked] = Object.values(set.benchmarks)[0]?.samples.filter((s) => s.split === 'test') as [AnomalySample, AnomalySample];
    writeFileSync(empty.imagePath, '');
    const asked = requests.length;
    const out = join(mkdtempSync(join(tmpdir(), 'iad-r1-eval-run-')), 'r');
    const args = baseArgs(out, ['--limit', '2']).map((a) => (a === root ? copy : a));
    const result = await run('node', args).catch((e: { code: number; stderr: string; stdout: string }) => e);
    expect(result).toMatchObject({ code: 3 });
    expect((result as { stderr: string }).stderr).toContain(`${empty.imagePath}: the image file is empty (0 bytes); not asked`);
    expect(requests.slice(asked).every((r) => !r.images.includes(sha(Buffer.alloc(0))))).toBe(true);
    // A link to a file outside the root stops the read of the data, naming it, before anything is asked.
    const secret = join(mkdtempSync(join(tmpdir(), 'iad-r1-secret-')), 'secret.png');
    writeFileSync(secret, readFileSync(linked.imagePath));
    rmSync(linked.imagePath);
    symlinkSync(secret, linked.imagePath);
    const before = requests.length;
    const refused = await run('node', baseArgs(join(out, 'again')).map((a) => (a === root ? copy : a))).catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 1 });
    expect((refused as { stderr: string }).stderr).toContain(`${linked.imagePath}: is a link to ${secret}, outside the data root`);
    expect(requests.length).toBe(before);
  });

  it('says "no answers" when every request failed, instead of an average of 0', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'iad-r1-eval-run-')), 'r');
    const dead = await run('node', [cli, 'run', '--dataset', 'synthetic', '--root', root, '--model', 'openai:fake-vlm', '--base-url', 'http://127.0.0.1:9/v1', '--out', out, '--limit', '1']).catch((e: { code: number; stdout: string }) => e);
    expect(dead).toMatchObject({ code: 3 });
    expect((dead as { stdout: string }).stdout).toMatch(/^no answers: all 6 request\(s\) failed/);
    expect((dead as { stdout: string }).stdout).not.toMatch(/0\.0/);
  });
});

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(chromiumPath);
if (!haveBrowser && process.env.IAD_R1_REQUIRE_BROWSER === '1') throw new Error(`IAD_R1_REQUIRE_BROWSER=1 but no Chromium at ${chromiumPath}`);

describe.skipIf(!haveBrowser)('report.html in headless Chromium', () => {
  it('renders without console errors, with charts, tables and the gallery', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'iad-r1-eval-html-')), 'run');
    await run('node', baseArgs(out));
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      await page.goto(`file://${join(out, 'report.html')}`);
      expect(problems).toEqual([]);
      expect(await page.locator('svg').count()).toBe(7);
      // Per benchmark: the detection table and the interpretation-and-consistency table.
      expect(await page.locator('section table').count()).toBe(12);
      expect(await page.locator('h2', { hasText: 'Reasoning–answer disagreements' }).count()).toBe(1);
      const cards = await page.locator('article.card img').count();
      expect(cards).toBeGreaterThan(0);
      expect(await page.locator('article.card img').first().evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(128);
      const shot = join(out, 'report.png');
      await page.screenshot({ path: shot, fullPage: false });
      expect(readFileSync(shot).length).toBeGreaterThan(10_000);
      // Maintainers refresh the README screenshot with IAD_R1_REPORT_SCREENSHOT=packages/eval/docs/report.png.
      if (process.env.IAD_R1_REPORT_SCREENSHOT) await page.screenshot({ path: process.env.IAD_R1_REPORT_SCREENSHOT, fullPage: false });
    } finally {
      await browser.close();
    }
  });
});
