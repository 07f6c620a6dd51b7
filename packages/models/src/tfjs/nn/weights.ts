import type { LoraSettings } from '../lora/lora-settings';
import { type Variable, tf } from '../tf';

/** How a weight starts before training or loading. */
export type Initializer = { kind: 'normal'; std: number; seed: number } | { kind: 'uniform'; limit: number; seed: number } | { kind: 'zeros' } | { kind: 'ones' };

/**
 * One weight of a model, declared once: its checkpoint name, its shape as TensorFlow.js holds it,
 * how it starts, and whether the checkpoint stores its transpose — PyTorch's `nn.Linear` keeps
 * [out, in], while products here want [in, out], so such weights are transposed on load and save.
 */
export interface WeightSpec {
  name: string;
  shape: number[];
  init: Initializer;
  transposedInFile?: boolean;
  /**
   * The tensor's shape in the file when it is not `shape` (or its transpose): a 3-D convolution
   * kernel [out, C, T, P, P] held as a linear [C·T·P·P, out] (with `transposedInFile`).
   */
  fileShape?: number[];
}

/** A linear layer's weight names: `<module>.weight` [in, out] and, when it has one, `<module>.bias`. */
export interface LinearModule {
  module: string;
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
}

/**
 * The specs of a linear layer `module` (x [.., in] → [.., out]): a weight [in, out] and an
 * optional bias. `transposedInFile` for checkpoints in PyTorch's layout.
 */
export function linearSpecs(module: string, inFeatures: number, outFeatures: number, options: { bias: boolean; std: number; seed: number; transposedInFile?: boolean }): WeightSpec[] {
  const transposed = options.transposedInFile ? { transposedInFile: true } : {};
  const specs: WeightSpec[] = [{ name: `${module}.weight`, shape: [inFeatures, outFeatures], init: { kind: 'normal', std: options.std, seed: options.seed }, ...transposed }];
  if (options.bias) specs.push({ name: `${module}.bias`, shape: [outFeatures], init: { kind: 'zeros' } });
  return specs;
}

// tfjs reads a seed of 0 as "no seed" (Math.random), so 0 maps to another fixed value.
const nonZeroSeed = (seed: number): number => (seed === 0 ? 0x9e3779b9 : seed);

/** A fresh tensor for a spec. */
export function initialTensor(spec: WeightSpec): tf.Tensor {
  const { init, shape } = spec;
  switch (init.kind) {
    case 'normal':
      return tf.randomNormal(shape, 0, init.std, 'float32', nonZeroSeed(init.seed));
    case 'uniform':
      return tf.randomUniform(shape, -init.limit, init.limit, 'float32', nonZeroSeed(init.seed));
    case 'zeros':
      return tf.zeros(shape);
    case 'ones':
      return tf.ones(shape);
  }
}

/** A trainable low-rank update of one linear layer (LoRA): y += scale · dropout(x) · A · B. */
export interface LoraModule {
  /** [in, rank]. */
  a: Variable;
  /** [rank, out]. */
  b: Variable;
  scale: number;
  dropout: number;
}

// tfjs variable names are global to the engine: every weight set gets its own prefix.
let weightSets = 0;

/**
 * The weights of one model, by checkpoint name, in declaration order — the one list that saving,
 * loading, optimisers and freezing all read. LoRA adapters attach to its linear modules.
 *
 * @example
 * const weights = WeightSet.initialise([{ name: 'head.weight', shape: [8, 4], init: { kind: 'normal', std: 0.02, seed: 1 } }]);
 * weights.get('head.weight').shape; // [8, 4]
 */
export class WeightSet {
  readonly specs: readonly WeightSpec[];
  private readonly byName: Map<string, Variable>;
  private readonly specByName = new Map<string, WeightSpec>();
  /** LoRA modules by linear module name (empty without adapters). */
  readonly lora = new Map<string, LoraModule>();
  /** The settings the adapters were made with, while there are any. */
  loraSettings: LoraSettings | undefined;
  readonly prefix: string;

  private constructor(specs: readonly WeightSpec[], prefix: string, variables: Map<string, Variable>) {
    this.specs = specs;
    this.prefix = prefix;
    this.byName = variables;
    for (const spec of specs) this.specByName.set(spec.name, spec);
  }

  private static checkUnique(specs: readonly WeightSpec[]): void {
    const seen = new Set<string>();
    for (const spec of specs) {
      if (seen.has(spec.name)) throw new RangeError(`weight ${spec.name} is declared twice`);
      seen.add(spec.name);
    }
  }

  /** Every weight freshly initialised from its spec (seeded). */
  static initialise(specs: readonly WeightSpec[]): WeightSet {
    return WeightSet.fromTensors(specs, initialTensor);
  }

  /** Every weight from `tensorOf(spec)` (a tensor in the spec's shape, which this set takes over). */
  static fromTensors(specs: readonly WeightSpec[], tensorOf: (spec: WeightSpec) => tf.Tensor): WeightSet {
    WeightSet.checkUnique(specs);
    const prefix = `w${++weightSets}/`;
    const variables = new Map<string, Variable>();
    for (const spec of specs) {
      const given = tensorOf(spec);
      variables.set(spec.name, tf.variable(given, true, prefix + spec.name));
      given.dispose();
    }
    return new WeightSet(specs, prefix, variables);
  }

  /**
   * Every weight from `tensorOf(spec)`, one at a time (a loaded tensor in the spec's shape, which
   * this set takes over), so a large checkpoint never holds two copies of all its weights.
   */
  static async load(specs: readonly WeightSpec[], tensorOf: (spec: WeightSpec) => Promise<tf.Tensor>): Promise<WeightSet> {
    WeightSet.checkUnique(specs);
    const prefix = `w${++weightSets}/`;
    const variables = new Map<string, Variable>();
    try {
      for (const spec of specs) {
        const loaded = await tensorOf(spec);
        variables.set(spec.name, tf.variable(loaded, true, prefix + spec.name));
        loaded.dispose();
      }
    } catch (error) {
      for (const v of variables.values()) v.dispose();
      throw error;
    }
    return new WeightSet(specs, prefix, variables);
  }

  /** The weight named `name`. */
  get(name: string): Variable {
    const variable = this.byName.get(name);
    if (!variable) throw new RangeError(`no weight named ${name}`);
    return variable;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  spec(name: string): WeightSpec {
    const spec = this.specByName.get(name);
    if (!spec) throw new RangeError(`no weight named ${name}`);
    return spec;
  }

  /** The base weights with their names, in declaration order. */
  entries(): Array<[string, Variable]> {
    return this.specs.map((s) => [s.name, this.byName.get(s.name) as Variable]);
  }

  /** The LoRA weights with their PEFT names (`<module>.lora_A.weight`, `<module>.lora_B.weight`). */
  loraEntries(): Array<[string, Variable]> {
    return [...this.lora].flatMap(([module, m]): Array<[string, Variable]> => [
      [`${module}.lora_A.weight`, m.a],
      [`${module}.lora_B.weight`, m.b],
    ]);
  }

  /** Base weights, then adapters, with their names. */
  named(): Array<[string, Variable]> {
    return [...this.entries(), ...this.loraEntries()];
  }

  /** What an optimiser updates: the adapters once there are any (the base is then frozen), else the base weights. */
  trainable(): Array<[string, Variable]> {
    return this.lora.size > 0 ? this.loraEntries() : this.entries();
  }

  /** An independent copy of every weight and adapter (shares memory until either is assigned). */
  copy(): WeightSet {
    const copy = WeightSet.fromTensors(this.specs, (spec) => tf.clone(this.get(spec.name)));
    for (const [module, m] of this.lora) copy.lora.set(module, { ...m, a: tf.variable(m.a, true, `${copy.prefix}${module}.lora_A`), b: tf.variable(m.b, true, `${copy.prefix}${module}.lora_B`) });
    copy.loraSettings = this.loraSettings;
    return copy;
  }

  /** Number of base parameters. */
  parameterCount(): number {
    return this.specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Frees every weight and adapter. */
  dispose(): void {
    for (const v of this.byName.values()) v.dispose();
    for (const m of this.lora.values()) tf.dispose([m.a, m.b]);
    this.lora.clear();
    this.loraSettings = undefined;
  }
}
