import { readFile } from 'node:fs/promises';
import type { Usage } from '../llm/types.js';
import { addPhase, phasesEnabled } from '../obs/phases.js';
import type { Approvals } from './approval.js';
import { approveAndCommit } from './commit-step.js';
import type { SessionCore } from './core.js';
import { reflectionPrompt } from './prompts.js';
import { outsideSparseCone, trackedFiles, turnGitOf } from './turn-git.js';
import type { TextEditOutcome } from './tool-loop.js';
import type { FileChangePreview, TurnResult } from './types.js';

/**
 * Applies the SEARCH/REPLACE blocks of a reply: path policy, matching, approval, one commit.
 * Returns the reflection to send when blocks failed in a way the model can fix.
 */
export async function applyReplyText(
  core: SessionCore,
  approvals: Approvals,
  text: string,
  meta: { request: string; prompt: string; originalMessage: string; usage: Usage; model: string },
  result: TurnResult,
): Promise<TextEditOutcome> {
  // `explain` changes nothing (DESIGN §3): blocks in its answer are text, never edits.
  if (core.options.mode === 'explain') return { retryWith: null, failedCount: 0, proposedEdits: false };
  const checkStarted = phasesEnabled ? performance.now() : 0;
  const { request } = meta;
  const { options, config, ui, root, chatFiles } = core;
  const log = core.log?.child({ request });
  const edits = await import('../edits/index.js');
  // A path line naming an existing file, spaces, quotes and all, is that file (issue 24 item 4).
  const tracked = /search/i.test(text) ? await trackedFiles(core) : [];
  const parsed = edits.parseEditBlocks(text, { knownPaths: new Set([...tracked, ...chatFiles]) });
  if (parsed.blocks.length === 0 && parsed.errors.length === 0) return { retryWith: null, failedCount: 0, proposedEdits: false };
  result.noChange = false;

  const resolved = edits.resolveBlocks(parsed.blocks, { chatFiles: [...chatFiles], trackedFiles: tracked });
  const sandbox = await import('../sandbox/index.js');
  const audit = core.audit();

  // Every target goes through the sandbox before anything is read or written.
  const allowed = new Map<string, { abs: string; rel: string }>();
  const denied: Array<{ file: string; reason: string }> = [];
  for (const block of resolved.blocks) {
    if (allowed.has(block.file) || denied.some((d) => d.file === block.file)) continue;
    // Whether git ignores the target is asked below for the whole reply at once, not per file.
    const check = await sandbox.resolveInside(root, block.file, {
      mode: 'write',
      writePaths: config.sandbox.writePaths,
      addedByName: chatFiles,
      env: options.env,
      checkIgnored: false,
    });
    if (check.ok) allowed.set(block.file, { abs: check.abs, rel: check.rel });
    else {
      denied.push({ file: block.file, reason: check.reason });
      audit.append({ op: 'deny', path: check.path, result: 'denied', reason: check.reason, code: check.code, requestId: request });
    }
  }
  const sensitive = await sandbox.checkSensitive(root, [...allowed.values()].map((t) => t.rel), { addedByName: chatFiles, env: options.env, knownNotIgnored: turnGitOf(core).knownNotIgnored });
  // Outside a sparse checkout a file is absent from disk, not deleted: never read it as absent (issue 24 item 5).
  const sparse = await outsideSparseCone(turnGitOf(core), core.store, [...allowed.values()].map((t) => t.rel));
  for (const [file, target] of [...allowed]) {
    const hit = sensitive.get(target.rel) ?? sparse.get(target.rel);
    if (!hit) continue;
    allowed.delete(file);
    denied.push({ file, reason: hit.reason });
    audit.append({ op: 'deny', path: target.rel, result: 'denied', reason: hit.reason, code: hit.code, requestId: request });
  }
  const deniedFiles = new Set(denied.map((d) => d.file));
  const applicable = resolved.blocks.filter((b) => !deniedFiles.has(b.file));
  const contents = new Map<string, string | Uint8Array | null>();
  for (const [file, target] of allowed) contents.set(file, await readFile(target.abs).catch(() => null));
  const applied = edits.applyEdits(applicable, contents, { maxFileBytes: config.context.maxFileBytes });
  const failed = [...resolved.failed, ...applied.failed];
  log?.info('edits.parsed', { blocks: parsed.blocks.length, errors: parsed.errors.length });
  // Every block that was turned down leaves a trace, not only the sandbox's denials.
  for (const f of failed) audit.append({ op: 'deny', path: f.file, result: 'failed', reason: f.message, code: `edits.${f.reason}`, requestId: request });
  for (const e of parsed.errors) audit.append({ op: 'deny', path: '', result: 'failed', reason: e.message, code: `edits.${e.code}`, requestId: request });
  if (failed.length + parsed.errors.length > 0) {
    options.metrics?.edits.inc({ outcome: 'failed' }, failed.length + parsed.errors.length);
    log?.warn('edits.failed', { blocks: failed.length + parsed.errors.length, files: [...new Set(failed.map((f) => f.file))] });
  }
  if (denied.length > 0) {
    options.metrics?.edits.inc({ outcome: 'refused' }, denied.length);
    log?.warn('sandbox.denied', { files: denied.map((d) => d.file) });
  }
  for (const d of denied) {
    result.refused.push(d);
    ui.status?.(`refused ${d.file}: ${d.reason}`);
  }

  // Approval, file by file, in the order the model wrote them.
  const changes: FileChangePreview[] = [];
  for (const [file, after] of applied.files) {
    const before = contents.get(file);
    const beforeText = before === null || before === undefined ? null : typeof before === 'string' ? before : Buffer.from(before).toString('utf8');
    if (beforeText === after) continue;
    changes.push({ path: allowed.get(file)?.rel ?? file, before: beforeText, after });
  }
  if (phasesEnabled) addPhase('edits.check', performance.now() - checkStarted);
  await approveAndCommit(core, approvals, changes, [], { request, prompt: meta.prompt, originalMessage: meta.originalMessage, reply: text, usage: meta.usage, model: meta.model }, result, audit);

  if (failed.length === 0 && parsed.errors.length === 0 && denied.length === 0) return { retryWith: null, failedCount: 0, proposedEdits: true };
  const newContents = new Map<string, string>();
  for (const [file, value] of contents) {
    const after = applied.files.get(file);
    if (after !== undefined) newContents.set(file, after);
    else if (value !== null) newContents.set(file, typeof value === 'string' ? value : Buffer.from(value).toString('utf8'));
  }
  const feedbackParts = [
    edits.renderEditFeedback({ failed, parseErrors: parsed.errors, appliedCount: applied.applied.length, files: newContents }),
    ...denied.map((d) => `The edit to ${d.file} was refused: ${d.reason}. Do not try to write that path.`),
  ].filter((p) => p !== '');
  // Binary, undecodable and oversized files cannot be fixed by the model: the person hears why at
  // once, and only blocks the model can fix are retried (each retry is a paid request).
  const unfixable = failed.filter((f) => f.reason === 'binary' || f.reason === 'too-large');
  for (const f of unfixable) {
    if (result.refused.some((r) => r.file === f.file)) continue;
    result.refused.push({ file: f.file, reason: f.message });
    ui.status?.(`not editable: ${f.file}: ${f.message}`);
  }
  const failedCount = failed.length - unfixable.length + parsed.errors.length;
  // Denied paths are not retried: the model is told, and the loop only repeats for blocks it can fix.
  if (failedCount === 0) {
    core.history.push({ request: `${request}-note`, user: feedbackParts.join('\n\n'), assistant: 'Understood.', person: false });
    return { retryWith: null, failedCount: 0, proposedEdits: true };
  }
  return { retryWith: reflectionPrompt(feedbackParts.join('\n\n')), failedCount, proposedEdits: true, failedBlocks: edits.failedBlockNames(failed, parsed.errors) };
}
