import { IadR1Error } from '@iad-r1/errors';
import { type CompletionInput, completionText } from './completion';

/** What a reward sees: one step's completions (text), their solutions, and per-completion context. */
export interface RewardBatch {
  /** The completion texts (chat message lists are reduced to their last assistant turn). */
  completions: readonly string[];
  /** The SC-GRPO `solution` of each completion, e.g. `<location>…</location><type>…</type><answer>Yes</answer>`. */
  solutions: readonly string[];
  /**
   * Whatever the caller attached to each completion (GRPO passes its sample, with the image
   * path; the server passes the request's `extras`); `undefined` entries where there is none.
   */
  extras: readonly unknown[];
  /** Side of the location grid. */
  gridSize: number;
}

/**
 * One named reward: a batch in, one number per completion out, synchronously or not (a judge
 * model or a remote service answers later).
 *
 * @example
 * const brevity: RewardDefinition = {
 *   name: 'brevity',
 *   description: '1 for a completion of at most 60 words',
 *   defaultWeight: 0.5,
 *   score: ({ completions }) => completions.map((c) => (c.split(/\s+/).length <= 60 ? 1 : 0)),
 * };
 */
export interface RewardDefinition {
  /** Column name in logs, JSON and Python: lower case letters, digits and `_`, starting with a letter. */
  name: string;
  description: string;
  /** Weight in a preset that does not name this reward. */
  defaultWeight: number;
  score(batch: RewardBatch): readonly number[] | Promise<readonly number[]>;
}

/**
 * A named weighting of the registry's rewards. The total of a completion is
 * Σ weight(name) · value(name), where weight = the preset's weight (else the reward's default)
 * times the caller's multiplier, and value is the reward's score multiplied by its gate's score
 * when `gates` names one (the paper counts location and type only where the answer is right).
 */
export interface RewardPresetDefinition {
  name: string;
  description: string;
  /** Weights that differ from the rewards' defaults. */
  weights?: Readonly<Record<string, number>>;
  /** `{location: 'answer'}`: location counts (is multiplied by) the answer reward's value. */
  gates?: Readonly<Record<string, string>>;
}

/** Options of {@link RewardRegistry.scorer}. */
export interface RewardScorerOptions {
  /** A preset of the registry; default `paper`. */
  preset?: string;
  /** Multipliers per reward name, on top of the preset's weights; each defaults to 1. Unknown names are refused. */
  weights?: Readonly<Record<string, number>>;
  /** Side of the location grid; default 3. */
  gridSize?: number;
}

/** One scored batch: the weighted total of each completion and each component's (gated) values. */
export interface ScoredBatch {
  totals: number[];
  /** Raw values per reward name, before weights, after gates; in registry order. */
  components: Record<string, number[]>;
}

/** A reward and the weight it has in a scorer. */
export interface ScorerComponent {
  name: string;
  description: string;
  weight: number;
  /** The reward this one is gated by, if any. */
  gate?: string;
}

/** Scores batches with a fixed preset, weights and grid. */
export interface RewardScorer {
  readonly preset: string;
  readonly gridSize: number;
  /** Every reward of the registry with its effective weight, in registry order. */
  readonly components: readonly ScorerComponent[];
  /** Scores a batch; async rewards are awaited. */
  score(completions: readonly CompletionInput[], solutions: readonly string[], extras?: readonly unknown[]): Promise<ScoredBatch>;
  /** Scores a batch where every reward is synchronous; throws {@link AsyncRewardError} otherwise. */
  scoreSync(completions: readonly CompletionInput[], solutions: readonly string[], extras?: readonly unknown[]): ScoredBatch;
}

/** A reward definition, preset or weight the registry cannot accept; names what is wrong. */
export class RewardRegistryError extends IadR1Error {
  override readonly name = 'RewardRegistryError';
}

/** A reward returned something other than one finite number per completion. */
export class RewardValueError extends IadR1Error {
  override readonly name = 'RewardValueError';
  constructor(
    readonly reward: string,
    readonly reason: string,
  ) {
    super(`reward "${reward}": ${reason}`);
  }
}

/** A synchronous call met a reward that answers with a promise. */
export class AsyncRewardError extends IadR1Error {
  override readonly name = 'AsyncRewardError';
  constructor(readonly reward: string) {
    super(`reward "${reward}" is asynchronous; use the scorer's score() (await it) instead of scoreSync()`);
  }
}

const NAME = /^[a-z][a-z0-9_]*$/;
// The adapters put the total beside the components under these keys (TRL's list, verl's
// `score`, EasyR1's `overall`), so a reward of that name would overwrite it.
const RESERVED = new Set(['total', 'score', 'overall', 'rewards']);

function checkValues(name: string, values: unknown, count: number): number[] {
  if (!Array.isArray(values)) throw new RewardValueError(name, `returned ${typeof values}, not a list of numbers`);
  if (values.length !== count) throw new RewardValueError(name, `returned ${values.length} values for ${count} completions`);
  // A copy, so a reward that reuses its output array cannot change a scored batch afterwards.
  const copy = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const v: unknown = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RewardValueError(name, `value ${i} is ${String(v)}, not a finite number`);
    copy[i] = v;
  }
  return copy;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Named rewards and named weightings of them. The four SC-GRPO rewards and the `paper` and
 * `reference` presets come from {@link createRewardRegistry}; a fifth reward is one
 * {@link RewardDefinition} and one `register` call, and the server, the CLIs, the engine
 * adapters, the Python shim and GRPO's logs pick it up by name.
 *
 * @example
 * const registry = createRewardRegistry().register(brevity);
 * const scorer = registry.scorer({ preset: 'paper', weights: { type: 0.5 } });
 * const { totals, components } = await scorer.score(completions, solutions);
 */
export class RewardRegistry {
  private readonly rewards = new Map<string, RewardDefinition>();
  private readonly presets = new Map<string, RewardPresetDefinition>();

  /** Adds a reward; refuses a bad or taken name and a weight that is not a finite number. */
  register(definition: RewardDefinition): this {
    const { name } = definition;
    if (typeof name !== 'string' || !NAME.test(name)) throw new RewardRegistryError(`reward name ${JSON.stringify(name)} must be lower case letters, digits and _, starting with a letter`);
    if (RESERVED.has(name)) throw new RewardRegistryError(`reward name "${name}" is reserved for the total`);
    if (this.rewards.has(name)) throw new RewardRegistryError(`a reward named "${name}" is already registered`);
    if (typeof definition.score !== 'function') throw new RewardRegistryError(`reward "${name}": score must be a function`);
    if (typeof definition.defaultWeight !== 'number' || !Number.isFinite(definition.defaultWeight)) throw new RewardRegistryError(`reward "${name}": defaultWeight must be a finite number, got ${String(definition.defaultWeight)}`);
    this.rewards.set(name, definition);
    return this;
  }

  /** Adds a preset; its weights and gates must name registered rewards. */
  registerPreset(preset: RewardPresetDefinition): this {
    if (this.presets.has(preset.name)) throw new RewardRegistryError(`a preset named "${preset.name}" is already registered`);
    for (const name of [...Object.keys(preset.weights ?? {}), ...Object.entries(preset.gates ?? {}).flat()]) this.reward(name, `preset "${preset.name}"`);
    this.checkWeights(preset.weights ?? {}, `preset "${preset.name}"`);
    for (const [name, gate] of Object.entries(preset.gates ?? {})) {
      if (preset.gates?.[gate]) throw new RewardRegistryError(`preset "${preset.name}": "${name}" is gated by "${gate}", which is gated itself; a gate must be an ungated reward`);
    }
    this.presets.set(preset.name, preset);
    return this;
  }

  /** The reward names, in registration order. */
  names(): string[] {
    return [...this.rewards.keys()];
  }

  /** The preset names, in registration order. */
  presetNames(): string[] {
    return [...this.presets.keys()];
  }

  /** A registered reward; throws naming the registered ones otherwise. */
  reward(name: string, context = 'weights'): RewardDefinition {
    const definition = this.rewards.get(name);
    if (!definition) throw new RewardRegistryError(`${context}: no reward named "${name}"; registered: ${this.names().join(', ')}`);
    return definition;
  }

  /** A registered preset; throws naming the registered ones otherwise. */
  preset(name: string): RewardPresetDefinition {
    const preset = this.presets.get(name);
    if (!preset) throw new RewardRegistryError(`no reward preset named "${name}"; registered: ${this.presetNames().join(', ')}`);
    return preset;
  }

  /** A copy to extend without changing this one. */
  clone(): RewardRegistry {
    const copy = new RewardRegistry();
    for (const definition of this.rewards.values()) copy.register(definition);
    for (const preset of this.presets.values()) copy.registerPreset(preset);
    return copy;
  }

  private checkWeights(weights: Readonly<Record<string, number>>, context: string): void {
    for (const [name, weight] of Object.entries(weights)) {
      this.reward(name, context);
      if (typeof weight !== 'number' || !Number.isFinite(weight)) throw new RewardRegistryError(`${context}: weight of "${name}" must be a finite number, got ${String(weight)}`);
    }
  }

  /**
   * A scorer for one preset, weights and grid. The rewards it uses are those registered now;
   * later registrations do not change it.
   */
  scorer(options: RewardScorerOptions = {}): RewardScorer {
    const preset = this.preset(options.preset ?? 'paper');
    const gridSize = options.gridSize ?? 3;
    if (!Number.isInteger(gridSize) || gridSize < 1) throw new RewardRegistryError(`gridSize must be a whole number ≥ 1, got ${gridSize}`);
    this.checkWeights(options.weights ?? {}, 'weights');
    const definitions = [...this.rewards.values()];
    const components: ScorerComponent[] = definitions.map((d) => ({
      name: d.name,
      description: d.description,
      weight: (preset.weights?.[d.name] ?? d.defaultWeight) * (options.weights?.[d.name] ?? 1),
      ...(preset.gates?.[d.name] ? { gate: preset.gates[d.name] } : {}),
    }));

    const batchOf = (completions: readonly CompletionInput[], solutions: readonly string[], extras?: readonly unknown[]): RewardBatch => {
      if (completions.length !== solutions.length) throw new RangeError(`got ${completions.length} completions but ${solutions.length} solutions`);
      if (extras && extras.length !== completions.length) throw new RangeError(`got ${completions.length} completions but ${extras.length} extras`);
      return { completions: completions.map(completionText), solutions, extras: extras ?? new Array<unknown>(completions.length), gridSize };
    };
    // Ungated rewards first; a gated one is then scored only on the completions its gate lets
    // through (under `paper` no type match is computed for a wrong answer), 0 elsewhere.
    const ungated = components.flatMap((c, k) => (c.gate ? [] : [k]));
    const gated = components.flatMap((c, k) => (c.gate ? [k] : []));
    const gateIndex = components.map((c) => (c.gate ? components.findIndex((g) => g.name === c.gate) : -1));

    // scGrpoReward scores one completion per call in hot loops, hence loops over flatMap here.
    const gatedInput = (batch: RewardBatch, values: number[][], k: number): { input: RewardBatch; keep: number[] } => {
      const gate = values[gateIndex[k] as number] as number[];
      const keep: number[] = [];
      for (let i = 0; i < gate.length; i++) if (gate[i] !== 0) keep.push(i);
      if (keep.length === gate.length) return { input: batch, keep };
      const input = {
        completions: keep.map((i) => batch.completions[i] as string),
        solutions: keep.map((i) => batch.solutions[i] as string),
        extras: keep.map((i) => batch.extras[i]),
        gridSize,
      };
      return { input, keep };
    };
    const spread = (k: number, raw: unknown, keep: number[], values: number[][]): number[] => {
      const gate = values[gateIndex[k] as number] as number[];
      const checked = checkValues(components[k]?.name as string, raw, keep.length);
      const full = new Array<number>(gate.length).fill(0);
      for (let j = 0; j < keep.length; j++) {
        const i = keep[j] as number;
        full[i] = (checked[j] as number) * (gate[i] as number);
      }
      return full;
    };
    const combine = (values: number[][], count: number): ScoredBatch => {
      const columns: Record<string, number[]> = {};
      const totals = new Array<number>(count).fill(0);
      components.forEach((c, k) => {
        const column = values[k] as number[];
        columns[c.name] = column;
        for (let i = 0; i < count; i++) totals[i] = (totals[i] as number) + c.weight * (column[i] as number);
      });
      return { totals, components: columns };
    };
    const scoreOf = (k: number) => definitions[k] as RewardDefinition;

    return {
      preset: preset.name,
      gridSize,
      components,
      async score(completions, solutions, extras) {
        const batch = batchOf(completions, solutions, extras);
        const n = batch.completions.length;
        const values: number[][] = [];
        // Ungated rewards run concurrently, so a judge model and a remote check overlap.
        const raws = await Promise.all(ungated.map((k) => scoreOf(k).score(batch)));
        ungated.forEach((k, j) => (values[k] = checkValues(components[k]?.name as string, raws[j], n)));
        for (const k of gated) {
          const { input, keep } = gatedInput(batch, values, k);
          values[k] = spread(k, keep.length === 0 ? [] : await scoreOf(k).score(input), keep, values);
        }
        return combine(values, n);
      },
      scoreSync(completions, solutions, extras) {
        const batch = batchOf(completions, solutions, extras);
        const n = batch.completions.length;
        const values: number[][] = [];
        const call = (k: number, input: RewardBatch): unknown => {
          const raw = scoreOf(k).score(input);
          if (isPromise(raw)) {
            raw.catch(() => undefined);
            throw new AsyncRewardError(scoreOf(k).name);
          }
          return raw;
        };
        for (const k of ungated) values[k] = checkValues(components[k]?.name as string, call(k, batch), n);
        for (const k of gated) {
          const { input, keep } = gatedInput(batch, values, k);
          values[k] = spread(k, keep.length === 0 ? [] : call(k, input), keep, values);
        }
        return combine(values, n);
      },
    };
  }
}
