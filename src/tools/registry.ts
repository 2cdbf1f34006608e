import type { ToolSpec } from '../llm/types.js';
import { editFileTool } from './edit-file.js';
import { listFilesTool } from './list-files.js';
import { readFileTool } from './read-file.js';
import { repoMapTool } from './repo-map.js';
import { runCommandTool } from './run-command.js';
import { runTestsTool } from './run-tests.js';
import { searchTool } from './search.js';
import { semanticSearchTool } from './semantic-search.js';
import type { Tool } from './types.js';
import { writeFileTool } from './write-file.js';

// A fixed order: the tool list is part of the request prefix that provider prompt caches key on.
// semantic_search came later: appended, so the prefix of earlier tools stays as it was.
const ALL: readonly Tool[] = [readFileTool, listFilesTool, searchTool, repoMapTool, editFileTool, writeFileTool, runCommandTool, runTestsTool, semanticSearchTool];
const READ_ONLY: readonly Tool[] = ALL.filter((tool) => tool.kind === 'read');

/** Every built-in tool of DESIGN.md §4, in a stable order. */
export function allTools(): readonly Tool[] {
  return ALL;
}

/** The tools that neither change files nor run anything: read_file, list_files, search, repo_map, semantic_search (plan mode, `--dry-run`). */
export function readOnlyTools(): readonly Tool[] {
  return READ_ONLY;
}

/** The declarations sent to the model, in the order given. */
export function toolSpecs(tools: readonly Tool[]): ToolSpec[] {
  return tools.map((tool) => ({ name: tool.spec.name, description: tool.spec.description, parameters: tool.spec.parameters }));
}
