import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Usage } from '../llm/types.js';
import { timePhase } from '../obs/phases.js';
import type { AuditLog } from '../sandbox/index.js';
import { execText } from '../util/exec.js';
import { fireHooks } from './agent-hooks.js';
import type { Approvals } from './approval.js';
import { commitSummary, COMMIT_MESSAGE_TIMEOUT_MS, diffOfChanges, draftCommitMessage, firstLine, type DraftedMessage } from './commit-message.js';
import type { SessionCore } from './core.js';
import { turnGitOf } from './turn-git.js';
import { usageRecord } from './request.js';
import { reviewForApproval } from './review-batch.js';
import { renderFileDiff } from '../edits/index.js';
import type { StepChange, StepReply } from './tool-loop.js';
import type { FileChangePreview, TurnResult } from './types.js';

/** What a commit is made of besides its files: the request, the exchange, and the message to start from. */
export interface CommitMeta {
  request: string;
  prompt: string;
  originalMessage: string;
  reply: string;
  usage: Usage;
  model: string;
}

/**
 * Asks for approval of `changes` (while the weak model, when set, writes the commit message), then
 * commits what was approved plus `alreadyWritten` (files a command changed) as one commit.
 * Returns the approved changes.
 */
export async function approveAndCommit(
  core: SessionCore,
  approvals: Approvals,
  changes: FileChangePreview[],
  alreadyWritten: FileChangePreview[],
  meta: CommitMeta,
  result: TurnResult,
  audit: AuditLog,
): Promise<FileChangePreview[]> {
  const { request } = meta;
  const { options, store, ui } = core;
  const refusedBefore = result.refused.length;
  // A git-ignored file can be written only when the person added it by name; it is never committed (issue 24 item 2).
  const named = changes.filter((c) => core.chatFiles.has(c.path)).map((c) => c.path);
  if (named.length > 0) {
    const ignored = await store.ignoredPaths(named);
    for (const c of changes) if (ignored.has(c.path)) c.ignored = true;
  }
  // The batch's review (impact, breaking changes, risks) orders the approval and goes in the note.
  const reviewed = await timePhase('edits.review', () => reviewForApproval({ root: core.root, sharedAssistDir: store.repo.paths.sharedAssistDir, maxFileBytes: core.config.context.maxFileBytes, env: options.env }, changes, alreadyWritten));
  if (reviewed.error) core.log?.warn('review.failed', { error: reviewed.error });
  if (reviewed.review) {
    changes = reviewed.ordered;
    (result.review ??= []).push(...reviewed.review.files);
    ui.review?.(reviewed.review);
  }
  const draft = startCommitMessage(core, meta.originalMessage, [...changes, ...alreadyWritten]);
  let approved: FileChangePreview[];
  let drafted: DraftedMessage | null = null;
  try {
    approved = await approvals.approve(changes, result, request, audit);
    approved = await approvals.dropChangedSinceShown(approved, result, request, audit);
    // A message about files that were turned down would be wrong: then the request's summary.
    if (draft !== undefined && approved.length === changes.length) {
      if (!draft.settled()) ui.status?.(`${core.config.weakModel ?? ''} is writing the commit message`);
      drafted = await draft.message;
    }
  } finally {
    // Also when the approval is interrupted: nothing may keep the request (or its timer) alive.
    draft?.cancel();
  }
  if (drafted) core.addUsage(result, drafted.usage, drafted.model);
  const toCommit = [...approved, ...alreadyWritten];
  if (toCommit.length === 0 || options.dryRun) {
    emitEdits(core, request, changes, alreadyWritten, new Set(options.dryRun ? [] : approved), result.refused.slice(refusedBefore));
    return approved;
  }
  const pre = await fireHooks(core, { event: 'pre_commit', files: toCommit.map((c) => c.path), request });
  if (pre.blocked !== null) {
    // Not committed, and the proposals not written; what a command already wrote stays in the work tree.
    const reason = `a pre_commit hook blocked the commit: ${pre.blocked}`;
    for (const c of approved) result.refused.push({ file: c.path, reason });
    ui.status?.(`not committed: ${reason.split('\n')[0] ?? ''}${alreadyWritten.length > 0 ? ` (left in the work tree as the command wrote them: ${alreadyWritten.map((c) => c.path).join(', ')})` : ''}`);
    emitEdits(core, request, changes, alreadyWritten, new Set(), result.refused.slice(refusedBefore));
    return [];
  }
  const session = await core.ensureBranch();
  const summary = drafted?.summary ?? commitSummary(meta.originalMessage, toCommit.map((c) => c.path));
  const asked = `Asked: ${firstLine(meta.originalMessage, 200)}`;
  const batch = await timePhase('edits.apply-batch', () => store.applyBatch(session.id, {
    summary,
    body: drafted?.body ? `${drafted.body}\n\n${asked}` : asked,
    model: core.lastModel ?? core.model,
    request,
    exchange: { message: meta.prompt, reply: meta.reply, usage: usageRecord(meta.usage), ...(reviewed.note ? { review: reviewed.note } : {}) },
    files: toCommit.map((c) => ({ path: c.path, content: c.after, ...(alreadyWritten.includes(c) ? { writtenByAssist: true } : {}) })),
  })).finally(() => turnGitOf(core).invalidate());
  for (const c of toCommit) audit.append({ op: 'write', path: c.path, result: 'ok', requestId: request });
  emitEdits(core, request, changes, alreadyWritten, new Set(approved), result.refused.slice(refusedBefore));
  if (batch.commit) ui.event?.({ type: 'commit', request, commit: batch.commit, summary, files: batch.files.map((f) => f.path), snapshot: batch.snapshot ?? null });
  options.metrics?.edits.inc({ outcome: 'applied' }, toCommit.length);
  if (batch.snapshot) options.metrics?.commits.inc({ kind: 'snapshot' });
  if (batch.commit) {
    options.metrics?.commits.inc({ kind: 'edit' });
    core.log?.child({ request }).info('git.commit', { commit: batch.commit, snapshot: batch.snapshot, files: batch.files.map((f) => f.path) });
    result.commits.push(batch.commit);
    for (const f of batch.files) if (!result.files.includes(f.path)) result.files.push(f.path);
    ui.status?.(`committed ${batch.commit.slice(0, 10)} ${summary}`);
    const post = await fireHooks(core, { event: 'post_commit', commit: batch.commit, files: batch.files.map((f) => f.path), request });
    // The commit is made: a block can only be reported.
    if (post.blocked !== null) ui.status?.(`a post_commit hook objected to ${batch.commit.slice(0, 10)}: ${post.blocked.split('\n')[0] ?? ''}`);
  }
  if (batch.ignored?.length) ui.status?.(`written, not committed (git ignores ${batch.ignored.length === 1 ? 'it' : 'them'}): ${batch.ignored.join(', ')}`);
  return approved;
}

/** One `edit` event per change decided (`--json-stream`): applied, or not and why; what commands wrote counts as applied. */
function emitEdits(
  core: SessionCore,
  request: string,
  changes: readonly FileChangePreview[],
  alreadyWritten: readonly FileChangePreview[],
  applied: ReadonlySet<FileChangePreview>,
  refused: TurnResult['refused'],
): void {
  const emit = core.ui.event;
  if (!emit) return;
  for (const c of [...changes, ...alreadyWritten]) {
    const byCommand = alreadyWritten.includes(c);
    const ok = byCommand || applied.has(c);
    const reason = ok ? undefined : core.options.dryRun ? 'dry run' : (refused.findLast((r) => r.file === c.path)?.reason ?? 'not approved');
    emit({
      type: 'edit',
      request,
      path: c.path,
      change: c.before === null ? 'A' : c.after === null ? 'D' : 'M',
      applied: ok,
      ...(reason === undefined ? {} : { reason }),
      ...(byCommand ? { by_command: true as const } : {}),
      diff: renderFileDiff(c, { color: false }),
    });
  }
}

/** The edits of one step of the loop: approved together, one commit (DESIGN §4 "Tools"). */
export async function commitStep(
  core: SessionCore,
  approvals: Approvals,
  changes: readonly StepChange[],
  meta: { request: string; turnMessage: string; reply: StepReply },
  result: TurnResult,
): Promise<Map<string, string | null>> {
  result.noChange = false;
  const audit = core.audit();
  const verdicts = new Map<string, string | null>();
  const proposals: FileChangePreview[] = [];
  const written: FileChangePreview[] = [];
  for (const change of changes) {
    if (!change.fromCommand) {
      proposals.push({ path: change.path, before: change.before, after: change.after });
      continue;
    }
    // A command already wrote these: shown, and committed with the step.
    const after = await readFile(join(core.root, change.path), 'utf8').catch(() => null);
    const before = await headContent(core, change.path);
    if (before === after) continue;
    const shown = { path: change.path, before, after };
    core.ui.preview?.(shown);
    written.push(shown);
    verdicts.set(change.path, null);
  }
  const refusedBefore = result.refused.length;
  const approved = await approveAndCommit(
    core,
    approvals,
    proposals,
    written,
    { request: meta.request, prompt: meta.turnMessage, originalMessage: core.currentAsk ?? meta.turnMessage, reply: meta.reply.text, usage: meta.reply.usage, model: meta.reply.model },
    result,
    audit,
  );
  const approvedPaths = new Set(approved.map((c) => c.path));
  const refusedNow = result.refused.slice(refusedBefore);
  for (const proposal of proposals) {
    if (approvedPaths.has(proposal.path) || core.options.dryRun) verdicts.set(proposal.path, null);
    else verdicts.set(proposal.path, refusedNow.find((r) => r.file === proposal.path)?.reason ?? 'not approved');
  }
  return verdicts;
}

async function headContent(core: SessionCore, path: string): Promise<string | null> {
  const r = await execText('git', ['show', `HEAD:${path}`], { cwd: core.root, env: core.options.env }).catch(() => null);
  return r && r.code === 0 ? r.stdout : null;
}

/**
 * Starts the weak model (`weak_model`, when set) writing a commit message for `changes`, for at
 * most {@link COMMIT_MESSAGE_TIMEOUT_MS}; its message resolves null on any failure. None without
 * a weak model, without changes, or in a dry run.
 */
function startCommitMessage(
  core: SessionCore,
  request: string,
  changes: readonly FileChangePreview[],
): { message: Promise<DraftedMessage | null>; settled: () => boolean; cancel: () => void } | undefined {
  const model = core.config.weakModel;
  if (!model || changes.length === 0 || core.options.dryRun) return undefined;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), COMMIT_MESSAGE_TIMEOUT_MS);
  timer.unref();
  let settled = false;
  const message = draftCommitMessage(core.provider, model, request, diffOfChanges(changes), controller.signal)
    .catch(() => null)
    .finally(() => {
      settled = true;
      clearTimeout(timer);
    });
  return {
    message,
    settled: () => settled,
    cancel: () => {
      clearTimeout(timer);
      controller.abort();
    },
  };
}
