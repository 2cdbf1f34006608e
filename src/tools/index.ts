export type { Tool, ToolContext, ToolName, ToolOutcome } from './types.js';
export { executeToolCall } from './execute.js';
export { allTools, readOnlyTools, toolSpecs } from './registry.js';
export { checkArgs, objectSchema, type ArgsCheck, type ObjectSchema, type ParamSchema } from './args.js';
export { capHead, capTail } from './cap.js';
export { decideCommand, type CommandDecision } from './command.js';
