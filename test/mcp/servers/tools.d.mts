export interface ToolDeclaration {
  name: string;
  description: string;
  inputSchema: { type: 'object'; properties: Record<string, unknown>; required?: string[] };
}
export interface ToolResult {
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}
export const TOOLS: ToolDeclaration[];
export function markStart(label: string): void;
export function runTool(who: string, name: string, args: Record<string, unknown> | undefined): Promise<ToolResult>;
