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
 * The exit codes of every `iad-r1-*` CLI: 0 done; 1 an input error (a file, record, field or model
 * the user can fix from the one-line message); 2 a usage error (an unknown option, a missing or
 * malformed argument: commander has printed what and the help); 70 an internal error (a bug: the
 * stack is printed; 70 is sysexits' EX_SOFTWARE).
 */
export const CLI_EXIT_CODES = { done: 0, inputError: 1, usageError: 2, internalError: 70 } as const;

// Node's errors for a path that cannot be used, in words a user acts on.
const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files',
};

function systemErrorLine(error: unknown): string | undefined {
  const { code, path, syscall } = (error ?? {}) as { code?: unknown; path?: unknown; syscall?: unknown };
  if (typeof code !== 'string' || typeof path !== 'string' || !(code in SYSTEM_ERRORS)) return undefined;
  return `${path}: ${SYSTEM_ERRORS[code]}${typeof syscall === 'string' ? ` (${syscall})` : ''}`;
}

/**
 * Prepares a commander program the way every `iad-r1-*` CLI is: `-V, --version` prints `version`,
 * and usage errors are thrown to {@link exitWithCliError} (which exits 2) instead of ending the
 * process with commander's own code 1. Call it before adding subcommands, which inherit it.
 *
 * @example
 * const program = setUpCli(new Command().name('iad-r1-sft'), version);
 */
export function setUpCli<P extends { version(version: string, flags?: string, description?: string): unknown; exitOverride(): unknown }>(program: P, version: string): P {
  program.version(version, '-V, --version', 'print the version');
  program.exitOverride();
  return program;
}

/**
 * A CLI's last word, by {@link CLI_EXIT_CODES}: commander's help and version end with 0 and its
 * usage errors (already printed) with 2; an error the user can fix (`known`, by default
 * {@link isUserFacingError}, or a file Node cannot use: missing, a folder, no permission) is one
 * line `CLI: message` and 1; anything else is a bug: its stack and 70.
 *
 * @example
 * program.parseAsync().catch((error) => exitWithCliError('iad-r1-sft', error));
 */
export function exitWithCliError(cli: string, error: unknown, known: boolean = isUserFacingError(error)): never {
  const { code, exitCode } = (error ?? {}) as { code?: unknown; exitCode?: unknown };
  if (typeof code === 'string' && code.startsWith('commander.')) {
    // A CommanderError comes from commander's own exit, after it printed the error (help and
    // --version end the same way, with code 0).
    if ((error as Error).name === 'CommanderError') process.exit(exitCode === 0 ? CLI_EXIT_CODES.done : CLI_EXIT_CODES.usageError);
    // An argument error raised by an action (two options that do not go together, say).
    process.stderr.write(`${cli}: ${(error as Error).message}\n`);
    process.exit(CLI_EXIT_CODES.usageError);
  }
  const system = systemErrorLine(error);
  if (known || system !== undefined) {
    process.stderr.write(`${cli}: ${known ? (error as Error).message : system}\n`);
    process.exit(CLI_EXIT_CODES.inputError);
  }
  process.stderr.write(`${cli}: ${(error as Error | undefined)?.stack ?? String(error)}\n`);
  process.exit(CLI_EXIT_CODES.internalError);
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
 * error, so commander prints `error: option '--x <n>' argument 'abc' is invalid. …`, and the CLI
 * exits with the usage-error code 2.
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
