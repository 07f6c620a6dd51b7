// A registered symbol rather than `instanceof`: two copies of this package (a monorepo and an
// app that both install it) still recognise each other's errors.
const MARKER = Symbol.for('@iad-r1/errors');

/**
 * The base of every error an `@iad-r1` package throws on purpose: bad input, a file that cannot be
 * read, a setting that does not fit. Its message names what was wrong (file, record, field) and
 * says what to do, so a CLI prints it as one line; anything that is not an `IadR1Error` is a bug
 * and gets its stack. Subclasses carry the details as fields.
 *
 * @example
 * class BadThingError extends IadR1Error {
 *   override readonly name = 'BadThingError';
 *   constructor(readonly thing: string) { super(`${thing} is bad`); }
 * }
 * IadR1Error.isInstance(new BadThingError('x')); // true
 * BadThingError.isInstance(new BadThingError('x')); // true
 */
export class IadR1Error extends Error {
  private readonly [MARKER] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  /**
   * True for an `IadR1Error` — also one made by another copy of this package. On a subclass,
   * true only for that subclass (matched by `name`).
   */
  static isInstance<T extends IadR1Error>(this: abstract new (...args: never[]) => T, error: unknown): error is T {
    if (typeof error !== 'object' || error === null || (error as Record<symbol, unknown>)[MARKER] !== true) return false;
    if ((this as unknown) === IadR1Error) return true;
    // A subclass: the same class, or one of the same name from another copy of its package.
    return error instanceof this || (error as Error).name === this.name;
  }
}
