/** A content block of an MCP tool result, as much of it as rendering needs (both protocol eras). */
export interface McpContentBlock {
  type: string;
  text?: string;
  data?: string;
  mimeType?: string;
  uri?: string;
  name?: string;
  resource?: { uri?: string; mimeType?: string; text?: string; blob?: string };
}

/** An MCP `tools/call` result. */
export interface McpCallResult {
  content?: McpContentBlock[];
  structuredContent?: unknown;
  isError?: boolean;
}

function bytesOfBase64(data: string | undefined): number {
  if (!data) return 0;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

function renderBlock(block: McpContentBlock): string {
  switch (block.type) {
    case 'text':
      return block.text ?? '';
    case 'image':
    case 'audio':
      return `[${block.type} ${block.mimeType ?? 'of unknown type'}, ${bytesOfBase64(block.data)} bytes, not shown]`;
    case 'resource': {
      const r = block.resource ?? {};
      const head = `resource ${r.uri ?? '(no uri)'}${r.mimeType ? ` (${r.mimeType})` : ''}`;
      if (typeof r.text === 'string') return `${head}:\n${r.text}`;
      return `[${head}: ${bytesOfBase64(r.blob)} bytes of binary content, not shown]`;
    }
    case 'resource_link':
      return `[resource link: ${block.name ?? ''} ${block.uri ?? ''}${block.mimeType ? ` (${block.mimeType})` : ''}]`.replace(/ {2,}/g, ' ');
    default:
      return `[${block.type} content, not shown]`;
  }
}

/**
 * The model's text for an MCP tool result (DESIGN.md §4: results are text): text blocks as they
 * are, embedded text resources with their URI, binary content named with its size, and the
 * structured content as JSON unless a text block already carries exactly that JSON.
 */
export function renderCallResult(result: McpCallResult): string {
  const parts = (result.content ?? []).map(renderBlock);
  if (result.structuredContent !== undefined) {
    const json = JSON.stringify(result.structuredContent, null, 2);
    const compact = JSON.stringify(result.structuredContent);
    const echoed = (result.content ?? []).some((b) => b.type === 'text' && typeof b.text === 'string' && (b.text.trim() === json || b.text.trim() === compact));
    if (!echoed) parts.push(`structured content:\n${json}`);
  }
  const text = parts.filter((p) => p !== '').join('\n\n');
  return text === '' ? '(the tool returned no content)' : text;
}
