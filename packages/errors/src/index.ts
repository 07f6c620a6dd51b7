export { IadR1Error } from './iad-r1-error';
export { SettingMismatchError, assertSameSettings } from './setting-mismatch-error';
export { endQuietlyOnClosedStdout, exitWithCliError, isUserFacingError } from './cli-errors';
