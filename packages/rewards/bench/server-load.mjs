// Load test of the reward server on loopback: the CLI in its own process, autocannon as the
// client. Bounded in count (and each run in time). Run directly for the README numbers:
//   node bench/server-load.mjs        (after `pnpm build`)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

const NO = '<answer>No</answer>';
const YES = '<location>top left</location><type>scratch</type><answer>Yes</answer>';
const validBody = JSON.stringify({
  completions: [
    '<think>Uniform weave.</think><answer>no</answer>',
    '<think>A thin line.</think><location>upper left corner</location><type>scratch mark</type><answer>yes</answer>',
    '<think>A dark patch.</think><location>center</location><type>stain</type><answer>yes</answer>',
    'no tags at all',
  ],
  solutions: [NO, YES, YES, NO],
});

async function startServer(maxBodyBytes) {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--max-body-bytes', String(maxBodyBytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(JSON.parse(d.toString()).url));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url, child };
}

// autocannon reports duration in whole-second ticks; time each phase ourselves.
async function fire(url, options) {
  const start = performance.now();
  const result = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 10, ...options });
  return { ...result, wallSeconds: (performance.now() - start) / 1000 };
}

function summary(name, result) {
  return {
    bench: `server-${name}`,
    sent: result.requests.sent,
    answered: result.requests.total,
    connections: result.connections,
    seconds: +result.wallSeconds.toFixed(3),
    requestsPerSecond: Math.round(result.requests.total / result.wallSeconds),
    latencyP50ms: result.latency.p50,
    latencyP99ms: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    status: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
  };
}

/** Runs the whole scenario and returns one summary per phase. */
export async function runServerLoad({ requests = 10_000, connections = 64, malformedEach = 500 } = {}) {
  const maxBodyBytes = 64 * 1024;
  const { url, child } = await startServer(maxBodyBytes);
  try {
    const phases = [];
    phases.push(summary('valid', await fire(`${url}/score`, { connections, amount: requests, body: validBody })));
    phases.push(summary('malformed-json', await fire(`${url}/score`, { connections, amount: malformedEach, body: '{"completions": [' })));
    phases.push(summary('wrong-shape', await fire(`${url}/score`, { connections, amount: malformedEach, body: '{"completions": [1], "solutions": []}' })));
    phases.push(
      summary('oversized', await fire(`${url}/score`, { connections, amount: malformedEach, body: JSON.stringify({ completions: ['x'.repeat(maxBodyBytes)], solutions: [NO] }) })),
    );
    const health = await (await fetch(`${url}/health`)).json();
    phases.push(summary('valid-after-burst', await fire(`${url}/score`, { connections, amount: Math.min(requests, 2000), body: validBody })));
    return { phases, health, agreement: await agreementWithCli(url, connections) };
  } finally {
    child.kill('SIGTERM');
  }
}

// The rewards the CLI writes for the body's completions, one process, no server.
async function cliRewards() {
  const { completions, solutions } = JSON.parse(validBody);
  const child = spawn(process.execPath, [cli, 'score', '-'], { stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdin.end(completions.map((completion, i) => JSON.stringify({ completion, solution: solutions[i] })).join('\n'));
  let out = '';
  for await (const chunk of child.stdout) out += chunk;
  return out.trim().split('\n').map((line) => JSON.parse(line));
}

/** `connections` × 8 concurrent /score requests, each answer compared with the CLI's rewards. */
async function agreementWithCli(url, connections) {
  const expected = await cliRewards();
  let mismatches = 0;
  const asked = connections * 8;
  await Promise.all(
    Array.from({ length: asked }, async () => {
      const body = await (await fetch(`${url}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: validBody })).json();
      const same = body.rewards.every((total, i) => total === expected[i].total && Object.entries(expected[i].components).every(([name, value]) => body.components[name][i] === value));
      if (!same) mismatches++;
    }),
  );
  return { bench: 'server-matches-cli', requests: asked, mismatches };
}

/**
 * /health latency while one large body (distinct long <type> texts, each under the field cap) is
 * scored: the server scores in slices and answers in between.
 */
export async function runHealthUnderLargeBody({ completions = 1500, typeChars = 1500 } = {}) {
  const { url, child } = await startServer(16 * 1024 * 1024);
  try {
    const body = JSON.stringify({
      completions: Array.from({ length: completions }, (_, i) => `<think>t</think><location>top</location><type>${`defect ${i} `.repeat(Math.ceil(typeChars / 10)).slice(0, typeChars)}</type><answer>yes</answer>`),
      solutions: Array.from({ length: completions }, () => YES),
    });
    const start = performance.now();
    let done = false;
    const large = fetch(`${url}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => {
      await r.json();
      done = true;
      return (performance.now() - start) / 1000;
    });
    const latencies = [];
    while (!done) {
      const asked = performance.now();
      await fetch(`${url}/health`).then((r) => r.json());
      if (!done) latencies.push(performance.now() - asked);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = await large;
    latencies.sort((a, b) => a - b);
    return {
      bench: 'server-health-under-large-body',
      bodyBytes: Buffer.byteLength(body),
      largeRequestSeconds: +seconds.toFixed(2),
      healthProbes: latencies.length,
      healthP50ms: +(latencies[Math.floor(latencies.length / 2)] ?? 0).toFixed(1),
      healthMaxMs: +(latencies.at(-1) ?? 0).toFixed(1),
    };
  } finally {
    child.kill('SIGTERM');
  }
}

/** Sustained throughput: enough requests that autocannon's 1-second ticks do not dominate. */
export async function runThroughput({ requests = 50_000, connections = 64 } = {}) {
  const { url, child } = await startServer(64 * 1024);
  try {
    return summary('valid-throughput', await fire(`${url}/score`, { connections, amount: requests, body: validBody }));
  } finally {
    child.kill('SIGTERM');
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { phases, health, agreement } = await runServerLoad();
  phases.push(agreement);
  phases.push(await runThroughput());
  phases.push(await runHealthUnderLargeBody());
  for (const phase of phases) console.log(JSON.stringify(phase));
  console.log(JSON.stringify({ bench: 'server-health-after-burst', ...health }));
}
