/**
 * Quotes a word for POSIX sh unless it is made only of characters that need none. A word already in
 * double quotes (`"$MODEL"`, `"model=$MODEL"`) is the caller's expansion and is kept as it is.
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  if (/^"[^"]*"$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** One command: the program (words kept as given, so `"$PYTHON"` stays a variable) and its arguments. */
export interface ShellCommand {
  program: string[];
  args: string[];
}

/** A command, one argument (or `--flag value` pair) per continued line. */
export function renderCommand(command: ShellCommand): string {
  const lines: string[] = [command.program.join(' ')];
  for (let i = 0; i < command.args.length; i++) {
    const arg = command.args[i] as string;
    const next = command.args[i + 1];
    if (arg.startsWith('--') && next !== undefined && !next.startsWith('--') && !arg.includes('=')) {
      lines.push(`${shellQuote(arg)} ${shellQuote(next)}`);
      i++;
    } else lines.push(shellQuote(arg));
  }
  return lines.join(' \\\n  ');
}

/** Options of {@link shellScript}. */
export interface ShellScriptOptions {
  /** Comment lines at the top: what the script does and what it needs. */
  about: string[];
  /** Lines after `cd` into the script's folder and before the command (variables, checks). */
  setup?: string[];
  command: ShellCommand;
  /** Replace the shell with the command (default true). */
  exec?: boolean;
}

/**
 * A bash script that runs from its own folder, so every relative path in it and in the files
 * beside it resolves the same wherever the folder is copied.
 */
export function shellScript(options: ShellScriptOptions): string {
  return [
    '#!/usr/bin/env bash',
    ...options.about.map((line) => (line ? `# ${line}` : '#')),
    'set -euo pipefail',
    'cd "$(dirname "$0")"',
    ...(options.setup ?? []),
    `${options.exec === false ? '' : 'exec '}${renderCommand(options.command)} "$@"`,
    '',
  ].join('\n');
}
