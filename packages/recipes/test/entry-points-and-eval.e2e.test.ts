import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { generateSyntheticSet } from '@iad-r1/datasets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, expertAdFolder, python, run, startRewardServer, tempDir } from './recipe-fixtures';

let dir: string;
let recipe: string;

beforeAll(async () => {
  dir = tempDir('entry-points');
  const integration = await expertAdFolder(dir);
  recipe = join(dir, 'recipe');
  await run('node', [CLI.recipes, 'write', '--from', integration, '--backbone', 'qwen2.5-vl-3b', '--shots', '0,1', '--out', recipe]);
}, 180_000);

// Completions and solutions covering the rewards' cases: right and wrong answers, location and type
// right or wrong, broken format, a reply with text around the tags.
const SOLUTIONS = ['<answer>No</answer>', '<location>top left</location><type>scratch</type><answer>Yes</answer>', '<location>center</location><type>hole</type><answer>Yes</answer>', '<answer>No</answer>', '<location>bottom right</location><type>contamination</type><answer>Yes</answer>'];
const COMPLETIONS = [
  '<think>Uniform surface.</think><answer>No</answer>',
  '<think>A line at the upper left.</think><location>top left</location><type>scratch mark</type><answer>Yes</answer>',
  '<think>Looks fine.</think><answer>No</answer>',
  'No defects.',
  '<think>A stain.</think><location>bottom right</location><type>stain</type><answer>yes</answer>',
];

/** The totals `iad-r1-rewards score` gives, the reference every entry point must reproduce. */
async function cliTotals(preset: string): Promise<number[]> {
  const input = join(dir, 'completions.jsonl');
  writeFileSync(input, COMPLETIONS.map((completion, i) => `${JSON.stringify({ completion, solution: SOLUTIONS[i] })}\n`).join(''));
  const { stdout } = await run('node', [CLI.rewards, 'score', input, '--preset', preset]);
  return stdout.trim().split('\n').map((line) => JSON.parse(line).total as number);
}

/** Calls each written folder's iad_r1_rewards.py the way its engine calls it. */
function entryPointsScript(): string {
  return `
import asyncio, importlib.util, json, os, warnings
warnings.simplefilter("ignore")
completions = ${JSON.stringify(COMPLETIONS)}
solutions = ${JSON.stringify(SOLUTIONS)}
recipe = ${JSON.stringify(recipe)}
def load(folder):
    spec = importlib.util.spec_from_file_location("iad_r1_rewards_" + folder.replace("-", "_"), os.path.join(recipe, folder, "iad_r1_rewards.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
out = {}
# TRL (trl/trainer/grpo_trainer.py _calculate_rewards): conversational completions, every column as a keyword.
trl = load("sc-grpo-trl")
messages = [[{"role": "assistant", "content": c}] for c in completions]
kw = dict(prompts=[[{"role": "user", "content": "q"}]] * 5, completions=messages, completion_ids=[[1]] * 5, solution=solutions, images=[["a.png"]] * 5, id=list(range(5)), trainer_state=None, log_extra=None, log_metric=None)
# TRL builds its reward functions once, at start; an outage later must not end the run.
known = json.loads(os.environ.get("KNOWN_COMPONENTS", "null"))
if known is None:
    funcs, weights = trl.trl_reward_funcs(), trl.trl_reward_weights()
    out["components"] = {"names": trl.components(), "weights": weights}
else:
    funcs, weights = trl.trl_reward_funcs(names=known["names"]), known["weights"]
values = [f(**kw) for f in funcs]
out["trl"] = None if any(v is None for col in values for v in col) else [sum(w * col[i] for w, col in zip(weights, values)) for i in range(5)]
async def trl_async():
    cols = await asyncio.gather(*[f(**kw) for f in trl.async_trl_reward_funcs(names=[f.__name__[len("iad_r1_"):] for f in funcs])])
    return [sum(w * col[i] for w, col in zip(weights, cols)) for i in range(5)]
out["trl_async"] = asyncio.run(trl_async()) if out["trl"] is not None else None
# verl: naive / reward-loop call with reward_kwargs and router keywords, and the batch manager's call.
verl = load("sc-grpo-verl")
try:
    out["verl"] = [verl.compute_score(data_source="iad-r1", solution_str=c, ground_truth=s, extra_info={"index": i}, reward_router_address=None, sandbox_fusion_url=None, my_reward_kwarg=1)["score"] for i, (c, s) in enumerate(zip(completions, solutions))]
    out["verl_batch"] = [d["score"] for d in verl.compute_score(data_sources=["iad-r1"] * 5, solution_strs=completions, ground_truths=solutions, extra_infos=[{}] * 5)]
except verl.RewardServerError as error:
    out["verl"] = "RewardServerError: " + str(error)
# EasyR1 (verl/workers/reward/function.py compute_reward_batch): dicts with response, response_length, ground_truth, plus reward_function_kwargs.
easyr1 = load("sc-grpo-easyr1")
try:
    out["easyr1"] = [d["overall"] for d in easyr1.easyr1_compute_score([{"response": c, "response_length": len(c), "ground_truth": s} for c, s in zip(completions, solutions)], format_weight=0.5)]
except easyr1.RewardServerError as error:
    out["easyr1"] = "RewardServerError: " + str(error)
# OpenRLHF's .py reward (openrlhf/utils/agent.py _fetch_rewards_via_func): one query at a time, query = prompt + reply.
openrlhf = load("sc-grpo-openrlhf")
try:
    rewards = []
    for c, s in zip(completions, solutions):
        result = openrlhf.reward_func(["<|im_start|>user\\nq<|im_end|>\\n<|im_start|>assistant\\n" + c + "<|im_end|>"], ["<|im_start|>user\\nq<|im_end|>\\n<|im_start|>assistant\\n"], [s])
        r = result["rewards"]
        rewards.append(float(r[0]))
    out["openrlhf"] = rewards
except openrlhf.RewardServerError as error:
    out["openrlhf"] = "RewardServerError: " + str(error)
print(json.dumps(out))
`;
}

describe('the written reward entry points', () => {
  it('return exactly the totals of iad-r1-rewards score; with the server stopped TRL gets None and the others a clear error; back, they recover', async () => {
    const expected = await cliTotals('reference');
    let server = await startRewardServer(recipe);
    const port = Number(new URL(server.url).port);
    const env = { IAD_R1_REWARD_URL: server.url, IAD_R1_REWARD_RETRIES: '1', IAD_R1_REWARD_BACKOFF: '0.05', IAD_R1_REWARD_TIMEOUT: '5' };
    try {
      const { components, ...up } = await python<Record<string, unknown>>(entryPointsScript(), { env });
      expect(up).toEqual({ trl: expected, trl_async: expected, verl: expected, verl_batch: expected, easyr1: expected, openrlhf: expected });
      // The reference preset: R_c + R_a + (R_l + R_t)/2 for a Yes truth (the released accuracy function), so ½ on location and type.
      expect(components).toEqual({ names: ['consistency', 'answer', 'location', 'type'], weights: [1, 1, 0.5, 0.5] });

      await server.stop();
      const down = await python<Record<string, unknown>>(entryPointsScript(), { env: { ...env, KNOWN_COMPONENTS: JSON.stringify(components) } });
      expect(down.trl).toBeNull();
      for (const key of ['verl', 'easyr1', 'openrlhf']) expect(down[key]).toMatch(new RegExp(`^RewardServerError: no answer from the iad-r1 reward server at ${server.url}/\\S+ after 2 attempts`));

      server = await startRewardServer(recipe, { port });
      expect(await python<Record<string, unknown>>(entryPointsScript(), { env: { ...env, KNOWN_COMPONENTS: JSON.stringify(components) } })).toEqual(up);
    } finally {
      await server.stop();
    }
  });
});

describe('serve-and-eval/eval.sh', () => {
  const requests: Array<{ images: number }> = [];
  let baseUrl: string;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { messages: Array<{ content: string | Array<{ type: string }> }> };
      const parts = parsed.messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content));
      requests.push({ images: parts.filter((p) => p.type === 'image_url').length });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: '<think>Looks uniform.</think><answer>No</answer>' }, finish_reason: 'stop' }] }));
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => {
    server.close();
  });

  it('evaluates the benchmarks whose folders are set, 0-shot and 1-shot, against a local OpenAI-compatible server', async () => {
    // The counterpart of our client: an OpenAI-compatible server whose model answers "No" in the IAD-R1 format.
    const synthetic = join(dir, 'benchmarks-synthetic');
    await generateSyntheticSet({ out: synthetic, seed: 3, size: 32, perCategory: 2 });
    const { stdout, stderr } = await run('bash', [join(recipe, 'serve-and-eval', 'eval.sh'), '--concurrency', '2'], {
      env: { ...process.env, IAD_R1_EVAL: `node ${CLI.eval}`, BASE_URL: baseUrl, MVTEC_ROOT: join(synthetic, 'benchmarks', 'syn-mvtec') },
      maxBuffer: 1 << 24,
    });
    for (const skipped of ['visa', 'mpdd', 'dagm', 'dtd', 'sdd']) expect(stderr).toContain(`skipping ${skipped}: set ${skipped.toUpperCase()}_ROOT to its folder`);
    const runs = join(recipe, 'serve-and-eval', 'runs', 'qwen2.5-vl-3b-iad-r1');
    expect(stdout).toContain(`results: ${join(recipe, 'serve-and-eval', 'runs', 'qwen2.5-vl-3b-iad-r1')}`);
    // syn-mvtec: 2 categories × (2 normal + 2 anomalous) test images; always "No": TNR 100, TPR 0.
    for (const shots of [0, 1]) {
      const summary = JSON.parse(readFileSync(join(runs, `mvtec-${shots}shot`, 'summary.json'), 'utf8')) as { average: { balancedAccuracy: number } };
      expect(summary.average.balancedAccuracy).toBe(50);
    }
    // The Table 4 row: one benchmark, 50 at both k, averages 50.
    const table = readFileSync(join(runs, 'comparison', 'comparison.md'), 'utf8');
    expect(table).toMatch(/\| qwen2\.5-vl-3b-iad-r1 \| 50\.0 \| 50\.0 \| 50\.0 \| 50\.0 \|/);
    expect(requests.filter((r) => r.images === 1)).toHaveLength(8);
    expect(requests.filter((r) => r.images === 2)).toHaveLength(8);

    const none = await run('bash', [join(recipe, 'serve-and-eval', 'eval.sh')], { env: { ...process.env, IAD_R1_EVAL: `node ${CLI.eval}`, BASE_URL: baseUrl } }).catch((e: { code: number; stderr: string }) => e);
    expect(none).toMatchObject({ code: 1 });
    expect((none as { stderr: string }).stderr).toContain('no benchmark folder given: set MVTEC_ROOT, VISA_ROOT, MPDD_ROOT, DAGM_ROOT, DTD_ROOT, SDD_ROOT');
  });
});
