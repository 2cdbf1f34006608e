import { AssistError, ExitCode } from '../errors.js';
import type { ToolCall } from '../llm/types.js';
import { checkArgs, type ObjectSchema } from './args.js';
import { capHead } from './cap.js';
import { failure } from './common.js';
import type { Tool, ToolContext, ToolOutcome } from './types.js';

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new AssistError('tools.interrupted', 'interrupted: the tool call was stopped', { exitCode: ExitCode.interrupted });
}

function shortName(name: string): string {
  const printable = JSON.stringify(name.length > 60 ? `${name.slice(0, 59)}…` : name);
  return printable.slice(1, -1);
}

function example(schema: ObjectSchema): string {
  const sample: Record<string, unknown> = {};
  for (const name of schema.required ?? []) {
    const prop = schema.properties[name];
    sample[name] = prop?.type === 'integer' ? 1 : prop?.type === 'boolean' ? true : prop?.type === 'array' ? ['…'] : '…';
  }
  return JSON.stringify(sample);
}

/**
 * Runs one tool call of the model: finds the tool, parses `call.arguments` (empty text counts as
 * `{}`), checks them against the tool's schema and runs it. Whatever goes wrong on the model's
 * side (unknown tool, invalid JSON, wrong types, a denied path, a failed command) comes back as an
 * error result with one sentence on what to fix; a result's text is capped at
 * `tools.max_result_tokens`. Throws only when `ctx.signal` is aborted (its reason, or an
 * `AssistError` `tools.interrupted` with exit 130). Run the calls of one step one after another:
 * edits compose through `ctx.pending`, and `write_file` checks `ctx.readFiles`.
 */
export async function executeToolCall(call: ToolCall, tools: readonly Tool[], ctx: ToolContext): Promise<ToolOutcome> {
  if (ctx.signal?.aborted) throw abortError(ctx.signal);
  const tool = tools.find((t) => t.spec.name === call.name);
  const name = shortName(call.name);
  if (tool === undefined) {
    return failure(`There is no tool named "${name}". The tools are: ${tools.map((t) => t.spec.name).join(', ')}.`, `${name}: unknown tool`);
  }
  const schema = tool.spec.parameters as unknown as ObjectSchema;
  let parsed: unknown = {};
  if (call.arguments.trim() !== '') {
    try {
      parsed = JSON.parse(call.arguments);
    } catch (error) {
      return failure(
        `The arguments of ${name} are not valid JSON (${(error as Error).message}); send one JSON object, e.g. ${example(schema)}.`,
        `${name}: invalid JSON arguments`,
      );
    }
  }
  // An MCP server's schema can be anything JSON Schema allows: the server checks its own arguments.
  const checked =
    tool.kind === 'mcp'
      ? typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? { ok: true as const, args: parsed as Record<string, unknown> }
        : { ok: false as const, message: `The arguments of ${name} must be a JSON object.` }
      : checkArgs(name, schema, parsed);
  if (!checked.ok) return failure(checked.message, `${name}: invalid arguments`);

  let outcome: ToolOutcome;
  try {
    outcome = await tool.run(checked.args, ctx);
  } catch (error) {
    if (ctx.signal?.aborted) throw abortError(ctx.signal);
    const message = error instanceof AssistError ? error.message : error instanceof Error ? `${error.message}` : String(error);
    outcome = failure(`${name} failed: ${message}`, `${name}: failed`);
  }
  if (ctx.signal?.aborted) throw abortError(ctx.signal);
  if (outcome.kind === 'result') outcome = { ...outcome, text: capHead(outcome.text, ctx.config.tools.maxResultTokens, 'narrow the request') };
  return outcome;
}
