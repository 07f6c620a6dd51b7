import { describe, expect, it } from 'vitest';
// @ts-expect-error — plain ESM bench module without types
import { runServerLoad } from '../bench/server-load.mjs';

interface Phase {
  bench: string;
  sent: number;
  answered: number;
  errors: number;
  timeouts: number;
  status: Record<string, number>;
}

describe('reward server under load (loopback, bounded)', () => {
  it('answers 10,000 requests at 64 connections without errors and stays healthy after malformed bursts', async () => {
    const { phases, health, agreement } = (await runServerLoad({ requests: 10_000, connections: 64, malformedEach: 300 })) as {
      phases: Phase[];
      health: unknown;
      agreement: { requests: number; mismatches: number };
    };
    // Concurrent answers equal the CLI's rewards for the same completions.
    expect(agreement).toMatchObject({ requests: 512, mismatches: 0 });
    const byName = Object.fromEntries(phases.map((p) => [p.bench, p]));
    for (const phase of phases) {
      expect(phase.errors, phase.bench).toBe(0);
      expect(phase.timeouts, phase.bench).toBe(0);
      expect(phase.answered, phase.bench).toBe(phase.sent);
    }
    expect(byName['server-valid']?.status).toEqual({ 200: 10_000 });
    expect(byName['server-malformed-json']?.status).toEqual({ 400: 300 });
    expect(byName['server-wrong-shape']?.status).toEqual({ 422: 300 });
    expect(byName['server-oversized']?.status).toEqual({ 413: 300 });
    expect(byName['server-valid-after-burst']?.status).toEqual({ 200: 2000 });
    expect(health).toMatchObject({ status: 'ok', preset: 'paper', gridSize: 3 });
  });
});
