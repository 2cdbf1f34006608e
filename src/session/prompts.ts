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
  before editing it, say so and stop; the person can add it.
- Do not wrap the whole answer in a fence. Explain the change briefly before the blocks.`;
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
