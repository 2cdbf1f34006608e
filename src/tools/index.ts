export type { BuiltinToolName, McpCallInfo, Tool, ToolContext, ToolName, ToolOutcome } from './types.js';
export { executeToolCall } from './execute.js';
export { allTools, readOnlyTools, toolSpecs } from './registry.js';
export { checkArgs, objectSchema, type ArgsCheck, type ObjectSchema, type ParamSchema } from './args.js';
export { capHead, capTail } from './cap.js';
export { closeGitShell } from './launcher.js';
export { decideCommand, type CommandDecision } from './command.js';
export type { McpManager, McpServerReport, McpServerState } from './mcp/index.js';
import type * as McpModule from './mcp/index.js';

/** The MCP client (DESIGN.md §4 "MCP"), loaded only when a session or command needs it. */
export function loadMcp(): Promise<typeof McpModule> {
  return import('./mcp/index.js');
}
