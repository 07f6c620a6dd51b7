import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IadR1Error } from '@iad-r1/errors';
import { z } from 'zod';
import type { RewardDefinition, RewardPresetDefinition, RewardRegistry } from '../reward-registry';

/** A reward module that cannot be loaded or does not export rewards; names the file and the field. */
export class RewardModuleError extends IadR1Error {
  override readonly name = 'RewardModuleError';
  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason}`, options);
  }
}

const definitionSchema = z.looseObject({
  name: z.string(),
  description: z.string().default(''),
  defaultWeight: z.number().default(1),
  score: z.custom<RewardDefinition['score']>((value) => typeof value === 'function', 'must be a function (batch) => number[]'),
});
const presetSchema = z.looseObject({
  name: z.string(),
  description: z.string().default(''),
  weights: z.record(z.string(), z.number()).optional(),
  gates: z.record(z.string(), z.string()).optional(),
});
const moduleSchema = z.object({
  rewards: z.array(definitionSchema).default([]),
  presets: z.array(presetSchema).default([]),
});

function exportsOf(module: Record<string, unknown>): unknown {
  if (module.rewards !== undefined || module.presets !== undefined) return { rewards: module.rewards, presets: module.presets };
  const value = module.default;
  if (Array.isArray(value)) return { rewards: value };
  if (value && typeof value === 'object' && ('rewards' in value || 'presets' in value)) return value;
  if (value !== undefined) return { rewards: [value] };
  return {};
}

/**
 * Registers the rewards (and presets) of JavaScript modules: each exports `rewards` (a list of
 * {@link RewardDefinition}s) and optionally `presets`, or a default export of one definition or a
 * list. Used by the CLIs' `--reward-module`; returns the names it added.
 *
 * @example
 * // brevity.mjs: export const rewards = [{ name: 'brevity', defaultWeight: 0.5, score: ({ completions }) => … }];
 * await registerRewardModules(registry, ['brevity.mjs']); // ['brevity']
 */
export async function registerRewardModules(registry: RewardRegistry, files: readonly string[]): Promise<string[]> {
  const added: string[] = [];
  for (const file of files) {
    const path = resolve(file);
    try {
      await access(path);
    } catch {
      throw new RewardModuleError(file, 'no such file');
    }
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (error) {
      throw new RewardModuleError(file, `cannot be imported: ${(error as Error).message}`, { cause: error });
    }
    const parsed = moduleSchema.safeParse(exportsOf(module));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RewardModuleError(file, `export ${issue?.path.map(String).join('.') || '(module)'}: ${issue?.message ?? 'invalid'}`);
    }
    if (parsed.data.rewards.length === 0 && parsed.data.presets.length === 0) throw new RewardModuleError(file, 'exports no `rewards` (a list of {name, description, defaultWeight, score}) and no `presets`');
    try {
      for (const definition of parsed.data.rewards) {
        registry.register(definition as RewardDefinition);
        added.push(definition.name);
      }
      for (const preset of parsed.data.presets) registry.registerPreset(preset as RewardPresetDefinition);
    } catch (error) {
      throw new RewardModuleError(file, (error as Error).message, { cause: error });
    }
  }
  return added;
}
