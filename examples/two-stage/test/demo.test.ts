import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../run.mjs', import.meta.url));
const run = promisify(execFile);

describe('examples/two-stage --quick', () => {
  it('runs the whole pipeline and writes the table, results.json, curves and reports', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'iad-r1-demo-')), 'out');
    const { stdout } = await run('node', [script, '--quick', '--out', out], { maxBuffer: 16 * 1024 * 1024 });
    // The final table is @iad-r1/eval's comparison: datasets at each k, then the average.
    const columns = (k: number) => ['syn-dagm', 'syn-dtd', 'syn-mpdd', 'syn-mvtec', 'syn-sdd', 'syn-visa'].map((d) => `${d} (${k}-shot)`).concat(`Average (${k}-shot)`);
    expect(stdout).toContain(`| Model | ${[...columns(0), ...columns(1)].join(' | ')} |`);
    expect(stdout).toMatch(/\| \+ PA-SFT \+ SC-GRPO \| [+−]\d+\.\d \(p [<\d.]+\)/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    // The vision pretraining diagnostic: its head scored on labelled images of both kinds.
    expect(Object.keys(results.visionPretraining).sort()).toEqual(['heldOutBenchmarks', 'trainingCategories']);
    for (const value of Object.values(results.visionPretraining) as number[]) expect(value).toBeGreaterThanOrEqual(0);
    // The paper's two training sets: every Expert-AD record in exactly one, each label cut at the
    // paper's 2.9/5.9 share (quick: 3 records per category and label → 24 per label → 12 to PA-SFT).
    const expertAd = readFileSync(join(out, 'data', 'expert-ad.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const split = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8'));
    expect([...split.paSft, ...split.scGrpo].sort()).toEqual(expertAd.map((r) => r.id).sort());
    expect(new Set([...split.paSft, ...split.scGrpo]).size).toBe(expertAd.length);
    const labelOf = new Map(expertAd.map((r) => [r.id, r.label]));
    for (const label of ['normal', 'anomalous']) expect(split.paSft.filter((id: string) => labelOf.get(id) === label), label).toHaveLength(12);
    expect(results.records).toEqual({ paSft: 24, scGrpo: 24 });
    expect(Object.keys(results.rows)).toEqual(['base', 'paSft', 'scGrpo']);
    for (const row of Object.values(results.rows) as Array<Record<string, Record<string, number>>>) {
      for (const setting of ['zeroShot', 'oneShot']) {
        expect(Object.keys(row[setting] ?? {}).sort()).toEqual(['average', 'syn-dagm', 'syn-dtd', 'syn-mpdd', 'syn-mvtec', 'syn-sdd', 'syn-visa']);
        for (const value of Object.values(row[setting] ?? {})) expect(value).toBeGreaterThanOrEqual(0);
      }
    }
    // Interpretation and consistency per stage, as compare computed them from the answers on disk.
    for (const stage of ['paSft', 'scGrpo']) {
      const answers = readFileSync(join(out, 'eval', `${stage}-0shot`, 'answers.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
      const { interpretation, consistency } = results.interpretation[stage].zeroShot;
      expect(interpretation.located, stage).toBe(answers.filter((a) => a.label === 'anomalous' && a.answer === 'yes' && a.truth?.cell).length);
      expect(consistency.tagged, stage).toBe(answers.filter((a) => a.answer !== null && a.response.includes('<answer>')).length);
    }
    const comparison = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8'));
    expect(comparison.rows.map((r: { label: string }) => r.label)).toEqual(['TinyVLM base (vision pretraining + instruction tuning)', '+ PA-SFT', '+ PA-SFT + SC-GRPO']);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('SC-GRPO reward components per step');
    for (const file of ['results.md', 'index.html', 'comparison.md', 'comparison.html', 'curves.html', 'eval/scGrpo-1shot/report.html', 'pa-sft/metrics.jsonl', 'sc-grpo/metrics.jsonl']) expect(existsSync(join(out, file)), file).toBe(true);
    expect(existsSync(join(out, 'instruction-tuning', 'metrics.jsonl'))).toBe(true);
    // Each stage's weights, saved for its evaluation (run in a worker thread): all 72 images answered,
    // the base model with the paper's base-model prompts, the trained ones with IAD-R1's.
    for (const stage of ['base', 'paSft', 'scGrpo']) {
      expect(existsSync(join(out, 'models', stage, 'model.safetensors')), stage).toBe(true);
      for (const shots of [0, 1]) {
        const evalDir = join(out, 'eval', `${stage}-${shots}shot`);
        const answers = readFileSync(join(evalDir, 'answers.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
        expect(answers, `${stage} ${shots}-shot`).toHaveLength(72);
        expect(JSON.parse(readFileSync(join(evalDir, 'run.json'), 'utf8')).prompt, `${stage} ${shots}-shot`).toBe(stage === 'base' ? 'base' : 'iad-r1');
        // The counts in results.json agree with the answers on disk.
        const key = shots === 0 ? 'zeroShot' : 'oneShot';
        expect(results.answerCounts[stage][key], `${stage} ${key}`).toEqual({
          defectsFlagged: answers.filter((a) => a.label === 'anomalous' && a.answer === 'yes').length,
          anomalous: 36,
          normalCleared: answers.filter((a) => a.label === 'normal' && a.answer === 'no').length,
          normal: 36,
          unparsed: answers.filter((a) => a.answer === null).length,
        });
      }
    }
    // The PA-SFT diagnostic starts from this run's base model and data.
    const diagnostic = await run('node', [fileURLToPath(new URL('../diagnostics/pa-sft-targets.mjs', import.meta.url)), '--demo-out', out, '--target', 'answer-only', '--steps', '2']);
    const report = JSON.parse(diagnostic.stdout);
    expect(report).toMatchObject({ target: 'answer-only', steps: 2, batchSize: 8, strata: true });
    expect(report.heldOutBenchmarks.defectsFlagged).toMatch(/^\d+\/36$/);
    expect(report.trainingCategories.falseAlarms).toMatch(/^\d+\/\d+$/);
    // The SC-GRPO check starts from this run's PA-SFT model.
    const single = JSON.parse((await run('node', [fileURLToPath(new URL('../diagnostics/grpo-single-label.mjs', import.meta.url)), '--demo-out', out, '--label', 'normal', '--steps', '1'])).stdout);
    expect(single).toMatchObject({ label: 'normal', steps: 1, aggregation: 'dr-grpo' });
    for (const share of Object.values(single.rightAnswerShare) as number[]) expect(share >= 0 && share <= 1).toBe(true);
  });
});
