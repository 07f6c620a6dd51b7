#!/usr/bin/env node
import { createReadStream } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CLI_EXIT_CODES, endQuietlyOnClosedStdout, exitWithCliError, setUpCli } from '@iad-r1/errors';
import { version } from '../package.json';
import type { CompletionInput } from './completion';
import { ScoreLineError, parseScoreLine } from './score-lines';
import { type RewardCliOptions, addRewardOptions, rewardScorerFromOptions } from './server/reward-cli-options';
import { DEFAULT_MAX_FIELD_CHARS, startRewardServer } from './server/reward-server';
import { utf8Lines } from './utf8-lines';

function positiveWholeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number 0..65535');
  return n;
}

// Lines are scored in batches, so a reward that works per batch (a judge model) sees many at once.
const LINES_PER_BATCH = 64;

const program = setUpCli(
  new Command()
    .name('iad-r1-rewards')
    .description('Score completions with the IAD-R1 SC-GRPO rewards, or serve them over HTTP.')
    .showHelpAfterError(),
  version,
);

addRewardOptions(
  program
    .command('score')
    .description('score a JSONL file of {"completion": …, "solution": …} lines; writes one {"total", "components"} line per input to stdout')
    .argument('<file>', 'JSONL input, or - for standard input'),
)
  .option('--skip-invalid', 'write {"error": …} for a bad line instead of stopping', false)
  .addHelpText('after', '\nExample:\n  iad-r1-rewards score --preset reference completions.jsonl > rewards.jsonl')
  .action(async (file: string, options: RewardCliOptions & { skipInvalid: boolean }) => {
    const { scorer } = await rewardScorerFromOptions(options);
    const name = file === '-' ? '<stdin>' : file;
    const input = file === '-' ? process.stdin : createReadStream(file);
    input.on('error', (error: NodeJS.ErrnoException) => {
      // Stopping at a bad line ends the read on purpose; the stream then reports an abort.
      if (error.code === 'ABORT_ERR') return;
      process.stderr.write(`iad-r1-rewards: cannot read ${name}: ${error.message}\n`);
      process.exit(CLI_EXIT_CODES.inputError);
    });
    let lineNumber = 0;
    let scored = 0;
    let invalid = 0;
    let pending: Array<{ completion: CompletionInput; solution: string } | { error: string }> = [];
    const flush = async (): Promise<void> => {
      const valid = pending.filter((p): p is { completion: CompletionInput; solution: string } => !('error' in p));
      const result = await scorer.score(valid.map((p) => p.completion), valid.map((p) => p.solution));
      let k = 0;
      const lines = pending.map((p) => {
        if ('error' in p) return JSON.stringify(p);
        const i = k++;
        return JSON.stringify({ total: result.totals[i], components: Object.fromEntries(Object.entries(result.components).map(([n, v]) => [n, v[i]])) });
      });
      scored += valid.length;
      pending = [];
      if (lines.length > 0 && !process.stdout.write(`${lines.join('\n')}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    };
    for await (const line of utf8Lines(input, name)) {
      lineNumber++;
      if (line.trim() === '') continue;
      try {
        pending.push(parseScoreLine(line, name, lineNumber));
      } catch (error) {
        if (!(error instanceof ScoreLineError)) throw error;
        if (!options.skipInvalid) {
          // What came before the bad line is still written, as it would have been line by line.
          await flush();
          process.stderr.write(`iad-r1-rewards: ${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        invalid++;
        pending.push({ error: error.message });
      }
      if (pending.length >= LINES_PER_BATCH) await flush();
    }
    await flush();
    process.stderr.write(`iad-r1-rewards: scored ${scored} line(s)${invalid ? `, ${invalid} invalid` : ''} from ${name}\n`);
  });

addRewardOptions(
  program
    .command('serve')
    .description('serve POST /get_reward (OpenRLHF), POST /score and GET /health')
    .addOption(new Option('--host <host>', 'address to bind').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'port (0 picks a free one)').argParser(parsePort).default(8000)),
)
  .addOption(new Option('--max-body-bytes <n>', 'largest request body accepted').argParser(positiveWholeNumber).default(16 * 1024 * 1024))
  .addOption(new Option('--max-field-chars <n>', 'longest scored text (response or label) in characters').argParser(positiveWholeNumber).default(DEFAULT_MAX_FIELD_CHARS))
  .addHelpText('after', '\nExample:\n  iad-r1-rewards serve --port 8000 --preset paper\n  curl -s localhost:8000/health')
  .action(async (options: RewardCliOptions & { host: string; port: number; maxBodyBytes: number; maxFieldChars: number }) => {
    const { registry } = await rewardScorerFromOptions(options);
    const running = await startRewardServer({
      registry,
      host: options.host,
      port: options.port,
      preset: options.preset,
      gridSize: options.gridSize,
      maxBodyBytes: options.maxBodyBytes,
      maxFieldChars: options.maxFieldChars,
      ...(options.weights ? { weights: options.weights } : {}),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stderr.write(`iad-r1-rewards: serving ${options.preset} rewards ${registry.names().join(', ')} (grid ${options.gridSize}×${options.gridSize}) on ${running.url}\n`);
    // Machine-readable for scripts that start us with --port 0.
    process.stdout.write(`${JSON.stringify({ url: running.url })}\n`);
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`iad-r1-rewards: ${signal}, finishing in-flight requests\n`);
      running.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
      setTimeout(() => process.exit(1), 10_000).unref();
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });

addRewardOptions(program.command('list').description('print the rewards of a preset with their weights and gates, as JSON'))
  .addHelpText('after', '\nExample:\n  iad-r1-rewards list --preset reference --reward-module ./brevity.mjs')
  .action(async (options: RewardCliOptions) => {
    const { registry, scorer } = await rewardScorerFromOptions(options);
    process.stdout.write(`${JSON.stringify({ preset: scorer.preset, presets: registry.presetNames(), gridSize: scorer.gridSize, components: scorer.components }, null, 2)}\n`);
  });

endQuietlyOnClosedStdout();
program.parseAsync().catch((error: unknown) => exitWithCliError('iad-r1-rewards', error));
