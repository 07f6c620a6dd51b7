export { IadR1Error } from './iad-r1-error';
export { SettingMismatchError, assertSameSettings } from './setting-mismatch-error';
export { InvalidCliArgumentError, endQuietlyOnClosedStdout, exitWithCliError, isUserFacingError, wholeNumberArgument } from './cli-errors';
