import type { ErrorKind, ErrorReply, HangReply, TextReply } from './types.js';

/** One SEARCH/REPLACE edit for {@link reply.edits}. An empty `search` creates or appends. */
export interface EditBlock {
  path: string;
  search: string;
  replace: string;
  /** Fence language; default guessed from the extension. */
  lang?: string;
}

type TextOptions = Omit<TextReply, 'kind' | 'text'>;
type ErrorOptions = Omit<ErrorReply, 'kind' | 'error'>;

const FENCE_LANGS: Record<string, string> = {
  ts: 'ts', tsx: 'tsx', js: 'js', mjs: 'js', cjs: 'js', py: 'python', go: 'go', rs: 'rust',
  java: 'java', c: 'c', h: 'c', cpp: 'cpp', rb: 'ruby', ex: 'elixir', exs: 'elixir', cs: 'csharp',
  php: 'php', md: 'markdown', json: 'json', toml: 'toml', yaml: 'yaml', yml: 'yaml', sh: 'sh',
};

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** Renders edits in the SEARCH/REPLACE format of DESIGN.md §4. */
export function formatEditBlocks(blocks: readonly EditBlock[]): string {
  return blocks
    .map((block) => {
      const ext = block.path.includes('.') ? (block.path.split('.').pop() ?? '') : '';
      const lang = block.lang ?? FENCE_LANGS[ext.toLowerCase()] ?? '';
      return (
        `${block.path}\n\`\`\`${lang}\n<<<<<<< SEARCH\n${withNewline(block.search)}=======\n` +
        `${withNewline(block.replace)}>>>>>>> REPLACE\n\`\`\`\n`
      );
    })
    .join('\n');
}

/** Builders for scripted replies. */
export const reply = {
  text(text: string, options: TextOptions = {}): TextReply {
    return { kind: 'text', text, ...options };
  },
  /** A reply carrying SEARCH/REPLACE blocks, with optional prose before and after. */
  edits(blocks: readonly EditBlock[], options: TextOptions & { before?: string; after?: string } = {}): TextReply {
    const { before, after, ...rest } = options;
    const parts = [before ?? 'Here is the change.', formatEditBlocks(blocks)];
    if (after) parts.push(after);
    return { kind: 'text', text: parts.join('\n\n'), ...rest };
  },
  error(error: ErrorKind, options: ErrorOptions = {}): ErrorReply {
    return { kind: 'error', error, ...options };
  },
  rateLimited(options: ErrorOptions = {}): ErrorReply {
    return { kind: 'error', error: 'rate_limit', ...options };
  },
  serverError(options: ErrorOptions = {}): ErrorReply {
    return { kind: 'error', error: 'server', ...options };
  },
  /** Anthropic 529 `overloaded_error`; 503 with each other service's overload message. */
  overloaded(options: ErrorOptions = {}): ErrorReply {
    return { kind: 'error', error: 'overloaded', ...options };
  },
  unauthorized(options: ErrorOptions = {}): ErrorReply {
    return { kind: 'error', error: 'auth', ...options };
  },
  notFound(options: ErrorOptions = {}): ErrorReply {
    return { kind: 'error', error: 'not_found', ...options };
  },
  hang(): HangReply {
    return { kind: 'hang' };
  },
};
