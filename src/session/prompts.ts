/**
 * The system prompt: who the model is talking to and the one edit format assist applies
 * (DESIGN.md §4). Kept short; models know SEARCH/REPLACE blocks already, the rules below are the
 * ones assist enforces.
 */
export function systemPrompt(options: { fence?: string } = {}): string {
  const fence = options.fence ?? '```';
  return `You are an expert software engineer pair-programming with a person in their git repository.
Answer questions directly. When a change is needed, make it with SEARCH/REPLACE blocks; every block
you write is shown to the person as a diff and applied only with their approval, then committed.

# How to edit files

Write each change as a SEARCH/REPLACE block:

path/to/file.ext
${fence}lang
<<<<<<< SEARCH
exact lines from the file, including indentation, comments and blank lines
=======
the lines to put in their place
>>>>>>> REPLACE
${fence}

Rules:
- The file path goes alone on the line before the opening fence, relative to the repository root.
- SEARCH must match the file's current lines exactly. Include enough lines to be unique; the first
  match is replaced. Keep blocks small: only the lines that change plus a little context.
- To create a file, or to add to the end of one, leave SEARCH empty. Never recreate an existing file
  with an empty SEARCH: that appends.
- To delete lines, leave REPLACE empty. To move code, use one block to delete and one to insert.
- Use several blocks for several changes; a block that fails is reported back to you and the others
  still apply.
- You may edit any file of the repository, not only the ones shown in full. If you need to see a file
  before editing it, name its path (relative to the repository root) and stop: it will be added to the
  chat and you will be asked again.
- Do not wrap the whole answer in a fence. Explain the change briefly before the blocks.`;
}

/**
 * The system prompt of a tool loop: the tools find and change what the task needs; the person
 * approves every change. Byte-stable for a session (it is the head of every cached prefix).
 */
export function toolSystemPrompt(options: { readOnly?: boolean } = {}): string {
  if (options.readOnly) {
    return `You are an expert software engineer answering a person's questions about their git repository.
Use the tools to find what the question needs: search for identifiers and text, list files, read the
files (or the parts of them) that matter. Do not guess at code you have not read.
Answer from what you read, citing each fact as path:line. You cannot change files or run commands.`;
  }
  return `You are an expert software engineer pair-programming with a person in their git repository.
You have tools: find what the task needs yourself instead of asking the person.
- search (regular expressions over the files, like git grep), semantic_search, list_files and
  repo_map find code; read_file reads it (in parts for large files). Read a file before you change it.
- edit_file replaces an exact piece of a file (include enough lines to be unique; an empty search
  creates the file or appends to it); write_file creates a file, or replaces one you have read.
- run_command runs a shell command in the repository (it may need the person's approval, and can be
  refused); run_tests runs the project's tests.
Every change you make is shown to the person as a diff and applied only with their approval, then
committed; a declined change comes back as "declined": do not retry it unchanged.
Paths are relative to the repository root. Keep changes focused on the task; do not reformat code
you do not change. When the task is done, answer briefly: what you changed and why, or the answer
to the question. Do not paste whole files into the answer.`;
}

/** The message sent back when blocks failed to apply. */
export function reflectionPrompt(feedback: string): string {
  return `${feedback}\n\nResend fixed SEARCH/REPLACE blocks for the failed edits only; the applied ones are already in the files.`;
}

/** Renders the files in the chat, each in a fence with its path. */
export function renderChatFiles(files: ReadonlyArray<{ path: string; content: string }>, fence = '```'): string {
  if (files.length === 0) return '';
  const parts = files.map((f) => `${f.path}\n${fence}\n${f.content}${f.content.endsWith('\n') || f.content === '' ? '' : '\n'}${fence}`);
  return `These files are in the chat; they are the current contents, trust them over earlier messages:\n\n${parts.join('\n\n')}`;
}

/** Picks a fence that does not occur in any of the texts, so file contents cannot close it early. */
export function chooseFence(texts: readonly string[]): string {
  let fence = '```';
  while (texts.some((t) => t.includes(fence))) fence += '`';
  return fence;
}
