export { Session, newRequestId, commitSummary, accumulateUsage, COMMIT_MESSAGE_TIMEOUT_MS } from './session.js';
export { draftCommitMessage, type DraftedMessage } from './commit-message.js';
export { rebuildHistory, type Exchange } from './history.js';
export { systemPrompt } from './prompts.js';
export { explain, explainQuestion, citationsIn, type ExplainOptions, type ExplainResult, type Citation } from './explain.js';
export { generateTests, type GenerateTestsOptions, type GenerateTestsResult, type MutantOutcome, type TestTarget } from './test-writer.js';
export { GO_MESSAGE, PLAN_TOOL_NAMES, planModeTools } from './plan-mode.js';
export { detectTestCommand, trimTestOutput, type TestCommand } from './test-command.js';
export type { SessionOptions, SessionUI, TurnResult, TurnEvent, TokenReport, FileChangePreview, ApprovalRequest, ApprovalGroup, ToolCallApproval, ToolActivity } from './types.js';

import { Session } from './session.js';
import type { SessionOptions } from './types.js';

/** Opens a session on the repository around `options.cwd` (the programmatic API; see docs/api.md). */
export function createSession(options: SessionOptions): Promise<Session> {
  return Session.create(options);
}
