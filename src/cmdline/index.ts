// The boot configuration: kernel command line grammar, parsed once, read by every stage.
export { parseBootConfig, defaultBootConfig, deriveInitArgs, ACCEPTED, PARAM_NAMES } from "./parse";
export type { BootConfigInput, ParamName } from "./parse";
export { CmdlineError, CmdlineErrors, DEFAULTS_FILE, showParam } from "./errors";
export type { CmdlineErrorDetails, ParamSource } from "./errors";
export { tokenizeCmdline, tokenizeDefaults, isKernelSpace } from "./tokenize";
export type { CmdlineParam, TokenizedCmdline } from "./tokenize";
export { expandTemplate, templateProblems, templateNamesIn, TEMPLATE_NAMES } from "./template";
export type { TemplateName } from "./template";
export * from "./types";
