import { IadR1Error } from '@iad-r1/errors';
import { RE2JS } from 're2js';
import { z } from 'zod';

/**
 * LoRA settings (Hu et al. 2021), as PEFT names them: the rank r, the scale α (updates are scaled
 * by α / r, or α / √r with rsLoRA), dropout on the adapter's input, and which linear layers get an
 * adapter — a list of module names, each matching a module whose name is it or ends in `.<it>`,
 * or one regular expression that must match a whole module name (PEFT's `target_modules` rules).
 */
export const loraSettingsSchema = z.object({
  rank: z.number().int().positive(),
  alpha: z.number().positive().optional(),
  dropout: z.number().min(0).lt(1).default(0),
  targetModules: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]).optional(),
  rsLora: z.boolean().default(false),
  /** Seed of the adapters' initialisation and dropout; default 0. */
  seed: z.number().int().nonnegative().default(0),
});
export type LoraSettingsInput = z.input<typeof loraSettingsSchema>;

/** Settings of adapters attached to a model (alpha and targets resolved). */
export interface LoraSettings {
  rank: number;
  alpha: number;
  dropout: number;
  targetModules: string[] | string;
  rsLora: boolean;
  seed: number;
}

/** A `target_modules` regular expression that RE2 does not accept (lookaround, backreferences, bad syntax). */
export class TargetModulesPatternError extends IadR1Error {
  override readonly name = 'TargetModulesPatternError';
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`target_modules ${JSON.stringify(pattern)}: ${reason}`);
  }
}

// A target_modules pattern comes from adapter_config.json, a file from anywhere: it is matched by
// RE2 (re2js), whose time is linear in the module name, so no pattern can make matching hang, as
// a backtracking one such as (a+)+$ does with JavaScript's RegExp. PEFT's full match is RE2's matches().
const PATTERNS = new Map<string, RE2JS>();

/** Compiles a `target_modules` pattern (cached), or throws a {@link TargetModulesPatternError}. */
export function targetPattern(source: string): RE2JS {
  let compiled = PATTERNS.get(source);
  if (!compiled) {
    try {
      compiled = RE2JS.compile(source);
    } catch (error) {
      throw new TargetModulesPatternError(source, `not a regular expression RE2 runs (${(error as Error).message}); lookaround and backreferences are not supported`);
    }
    PATTERNS.set(source, compiled);
  }
  return compiled;
}

/** True when a linear module is one of the targets, by PEFT's rules. */
export function isLoraTarget(module: string, targets: readonly string[] | string): boolean {
  if (typeof targets === 'string') return targetPattern(targets).matches(module);
  return targets.some((t) => module === t || module.endsWith(`.${t}`));
}

/** The factor an adapter's product is multiplied by: α / r, or α / √r with rsLoRA. */
export function loraScale(settings: Pick<LoraSettings, 'alpha' | 'rank' | 'rsLora'>): number {
  return settings.rsLora ? settings.alpha / Math.sqrt(settings.rank) : settings.alpha / settings.rank;
}
