export { runCommand, needsApproval } from './run.js';
export type { ApprovalRequired, CommandMode, CommandResult, RunCommandOptions } from './run.js';
export { commandEnv, secretEnvReason } from './env.js';
export type { CommandEnv } from './env.js';
export { bwrapArgs, probeBwrap, sandboxEnv } from './bwrap.js';
export type { BwrapProbe, SandboxLayout } from './bwrap.js';
