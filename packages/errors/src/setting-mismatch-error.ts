import { IadR1Error } from './iad-r1-error';

/**
 * A resumable run (a training checkpoint, an evaluation folder, a pipeline step) asked to go on
 * with a setting other than the one it was made with. Going on would mix two runs, so it is
 * refused, naming the setting, both values and where the saved one lives.
 *
 * @example
 * throw new SettingMismatchError('runs/a/run.json', 'shots', 0, 1);
 * // runs/a/run.json: this run was made with shots = 0, not 1; use another output folder, or start it afresh
 */
export class SettingMismatchError extends IadR1Error {
  override readonly name = 'SettingMismatchError';
  constructor(
    /** The file or folder that records the saved setting. */
    readonly where: string,
    readonly setting: string,
    readonly saved: unknown,
    readonly requested: unknown,
    hint = 'use another output folder, or start it afresh',
  ) {
    super(`${where}: this run was made with ${setting} = ${JSON.stringify(saved) ?? 'nothing'}, not ${JSON.stringify(requested) ?? 'nothing'}; ${hint}`);
  }
}

/**
 * Throws a {@link SettingMismatchError} for the first setting of `requested` whose value differs
 * from the one in `saved` (compared as JSON, so arrays and objects compare by content). A setting
 * absent from `saved` counts as a difference: a run that did not record it cannot vouch for it.
 *
 * @example
 * assertSameSettings('runs/a/run.json', { shots: 0, seed: 1 }, { shots: 0, seed: 1 }); // passes
 */
export function assertSameSettings(where: string, saved: Readonly<Record<string, unknown>>, requested: Readonly<Record<string, unknown>>, hint?: string): void {
  for (const [setting, value] of Object.entries(requested)) {
    if (JSON.stringify(saved[setting]) !== JSON.stringify(value)) throw new SettingMismatchError(where, setting, saved[setting], value, hint);
  }
}
