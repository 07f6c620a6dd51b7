import { IadR1Error } from './iad-r1-error';

/**
 * True for a failure the user can fix from its message alone: any {@link IadR1Error}, a bad
 * command-line argument (commander's errors carry a `commander.` code), or a range the caller got
 * wrong (`RangeError`, which our APIs throw for out-of-range options). Anything else is a bug.
 */
export function isUserFacingError(error: unknown): boolean {
  if (IadR1Error.isInstance(error) || error instanceof RangeError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('commander.');
}

/**
 * A CLI's last word on a failure: one line `CLI: message` and exit code 1 for an error the user
 * can fix (`known`, by default {@link isUserFacingError}); the stack and exit code 2 for anything
 * else, so a bug is reported with what is needed to find it.
 *
 * @example
 * program.parseAsync().catch((error) => exitWithCliError('iad-r1-sft', error));
 */
export function exitWithCliError(cli: string, error: unknown, known: boolean = isUserFacingError(error)): never {
  process.stderr.write(`${cli}: ${known ? (error as Error).message : ((error as Error | undefined)?.stack ?? String(error))}\n`);
  process.exit(known ? 1 : 2);
}

/**
 * Ends the process quietly when standard output's reader goes away (`cli … | head -1`): the
 * unix convention for a closed pipe, instead of an EPIPE stack trace.
 *
 * @example
 * endQuietlyOnClosedStdout();
 */
export function endQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

/**
 * An option value a CLI refuses. Its `code` is the one commander looks for in an argument parser's
 * error, so commander prints `error: option '--x <n>' argument 'abc' is invalid. …` and exits 1.
 */
export class InvalidCliArgumentError extends IadR1Error {
  override readonly name = 'InvalidCliArgumentError';
  readonly code = 'commander.invalidArgument';
  readonly exitCode = 1;
}

/**
 * A commander argument parser for whole numbers ≥ `min`.
 *
 * @example
 * program.option('--limit <n>', 'at most N', wholeNumberArgument(1));
 */
export function wholeNumberArgument(min: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidCliArgumentError(`must be a whole number ≥ ${min}`);
    return n;
  };
}
