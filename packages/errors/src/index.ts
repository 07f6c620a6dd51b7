export { IadR1Error } from './iad-r1-error';
export { SettingMismatchError, assertSameSettings } from './setting-mismatch-error';
export { CLI_EXIT_CODES, InvalidCliArgumentError, endQuietlyOnClosedStdout, exitWithCliError, isUserFacingError, setUpCli, wholeNumberArgument } from './cli-errors';
