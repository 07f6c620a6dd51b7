import { execFile } from 'node:child_process';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue #39, item 6: the Python shim checks what the reward server answers. The server here is a
// counterpart that answers malformed replies on purpose; the client under test is the real shim.

const run = promisify(execFile);
const shimDir = fileURLToPath(new URL('../python/', import.meta.url));

// What each path prefix answers with status 200 (the first path segment names the case).
const REPLIES: Record<string, string> = {
  good: '{"rewards": [2], "components": {"a": [1], "b": [1]}}',
  notjson: 'Service Unavailable',
  truncated: '{"rewards": [1.5, 2',
  empty: '{}',
  count: '{"rewards": [1, 2], "components": {"a": [1, 2]}}',
  nan: '{"rewards": [NaN], "components": {"a": [1]}}',
  infinity: '{"rewards": [1], "components": {"a": [Infinity]}}',
  strings: '{"rewards": ["1"], "components": {"a": [1]}}',
  nocolumns: '{"rewards": [1]}',
  missingcolumn: '{"rewards": [1], "components": {"b": [1]}}',
  array: '[1]',
};

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    const [, name, route] = (request.url ?? '').split('/');
    request.resume();
    if (route === 'health') {
      response.end(name === 'badhealth' ? '{"status": "ok"}' : '{"status": "ok", "components": [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}]}');
      return;
    }
    response.end(route === 'get_reward' ? (name === 'good' ? '{"rewards": [2], "scores": [2], "extra_logs": {"a": [1]}}' : (REPLIES[name ?? ''] ?? '{}')) : (REPLIES[name ?? ''] ?? '{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function python(body: string): Promise<Record<string, unknown>> {
  const script = `
import json, sys, warnings
sys.path.insert(0, ${JSON.stringify(shimDir)})
import iad_r1_rewards as r
r.RETRIES = 1
r.BACKOFF = 0
warnings.simplefilter("ignore")
BASE = ${JSON.stringify(base)}
out = {}
def attempt(key, call):
    try:
        out[key] = {"ok": call()}
    except Exception as error:
        out[key] = {"error": type(error).__name__, "message": str(error)}
${body}
print(json.dumps(out))
`;
  const { stdout } = await run('python3', ['-c', script]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('Python shim: malformed replies', () => {
  it('raises RewardServerError naming the fault for every malformed /score reply, and accepts a good one', async () => {
    const cases = Object.keys(REPLIES);
    const out = await python(`
for case in ${JSON.stringify(cases)}:
    attempt(case, lambda: r.score_batch(["x"], ["y"], f"{BASE}/{case}"))
`);
    expect(out.good).toEqual({ ok: { rewards: [2], components: { a: [1], b: [1] } } });
    const expectations: Record<string, RegExp> = {
      notjson: /not JSON/,
      truncated: /not JSON/,
      empty: /no 'rewards' field/,
      count: /rewards: expected a list of 1 numbers \(one per completion\), got 2 values/,
      nan: /not JSON \(NaN is not a finite number\)/,
      infinity: /not JSON \(Infinity is not a finite number\)/,
      strings: /rewards\[0\]: expected a finite number, got '1'/,
      nocolumns: /'components' is not an object of columns/,
      array: /expected a JSON object, got list/,
    };
    for (const [name, message] of Object.entries(expectations)) {
      expect(out[name], name).toMatchObject({ error: 'RewardServerError' });
      expect((out[name] as { message: string }).message, name).toMatch(message);
    }
    // The reply is complete, but lacks the column a TRL function asks for.
    expect(out.missingcolumn).toMatchObject({ ok: { rewards: [1] } });
  });

  it("lets TRL's functions fall back to None on a malformed reply, as on an outage", async () => {
    const out = await python(`
for case in ["good", "truncated", "nan", "count", "missingcolumn"]:
    f = r.trl_reward_funcs(f"{BASE}/{case}", names=["a"])[0]
    attempt(case, lambda: f(["x"], solution=["y"]))
attempt("asyncnan", lambda: __import__("asyncio").run(r.async_trl_reward_funcs(f"{BASE}/nan", names=["a"])[0](["x"], solution=["y"])))
attempt("health", lambda: r.components(f"{BASE}/badhealth"))
`);
    expect(out.good).toEqual({ ok: [1] });
    for (const name of ['truncated', 'nan', 'count', 'missingcolumn', 'asyncnan']) expect(out[name], name).toEqual({ ok: [null] });
    expect(out.health).toMatchObject({ error: 'RewardServerError', message: expect.stringMatching(/health: expected components as a list of \{name, weight\}/) });
  });

  it("checks OpenRLHF's /get_reward reply the same way", async () => {
    // Without torch, reward_func answers lists (what json can print).
    const out = await python(`
sys.modules["torch"] = None
for case in ["good", "empty", "nan", "count"]:
    r.BASE_URL = f"{BASE}/{case}"
    attempt(case, lambda: r.reward_func(["q"], ["p"], ["l"]))
`);
    expect(out.good).toMatchObject({ ok: { rewards: [2] } });
    for (const name of ['empty', 'nan', 'count']) expect(out[name], name).toMatchObject({ error: 'RewardServerError' });
  });
});
