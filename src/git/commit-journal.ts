import { join } from 'node:path';
import { AssistError } from '../errors.js';
import { appendEvent, liveLastEdit, writeEvent, type ChainTip } from './chain.js';
import type { FileChange, IgnoredWrite } from './events.js';
import { keepIgnored, keptIgnored } from './ignored-files.js';
import { sha256, type BatchMeta, type Journal } from './journal.js';
import { pauseAt } from './pause.js';
import type { HeadState, RefUpdate } from './repo.js';
import type { StoreCore } from './store-core.js';
import type { SessionInfo, BatchResult } from './store-types.js';
import { readWorktree, worktreeMode } from './worktree-files.js';

/**
 * Whether the person committed a pending batch themselves: HEAD, on the batch's branch, has moved
 * and holds exactly what assist wrote in every file of it. Returns that commit.
 */
export async function pendingCommittedByYou(core: StoreCore, journal: Journal): Promise<string | null> {
  const head = core.repo.head();
  if (!head.oid || head.oid === journal.parent || (head.ref ?? 'HEAD') !== journal.ref) return null;
  const files = journal.files.filter((f) => !f.ignored);
  if (files.length === 0) return null;
  const tree = (await core.repo.objects.readCommit(head.oid)).tree;
  for (const f of files) {
    const entry = await core.repo.objects.entryAt(tree, f.path);
    if (f.newSha256 === null ? entry !== null : entry === null) return null;
    if (entry && f.newSha256 !== null) {
      const body = (await core.repo.objects.read(entry.oid))?.body;
      if (!body || sha256(body) !== f.newSha256) return null;
    }
  }
  return head.oid;
}

/** Ends a pending batch the person committed: no revert of their commit, an event saying so. */
export async function settlePending(core: StoreCore, journal: Journal, commit: string): Promise<void> {
  await appendEvent(core.repo, journal.session, { type: 'pending-settled', how: 'committed-by-you', commit, files: journal.files.map((f) => f.path) });
  core.journal.remove();
}

/** What a journaled file held before the batch: a blob in the object store, or kept apart when ignored. */
export async function oldContent(core: StoreCore, f: Journal['files'][number]): Promise<Buffer | null> {
  if (!f.old) return null;
  return f.ignored ? keptIgnored(core, f.old.oid) : ((await core.repo.objects.read(f.old.oid))?.body ?? null);
}

/** Blob ids of work tree files as git would store them (filters applied); `write` puts them in the store. */
export async function hashPaths(core: StoreCore, paths: readonly string[], write: boolean): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  if (paths.length === 0) return map;
  const out = await core.repo.gitText(['hash-object', ...(write ? ['-w'] : []), '--stdin-paths'], { input: `${paths.join('\n')}\n` });
  out.split('\n').forEach((oid, i) => {
    const p = paths[i];
    if (p !== undefined && oid) map.set(p, oid);
  });
  return map;
}

/** Commits what a journal's files hold now, with snapshot, note and edit event, then fixes the index. */
export async function commitJournal(core: StoreCore, session: SessionInfo, journal: Journal, tip: ChainTip, head: HeadState): Promise<BatchResult> {
  const paths = journal.files.filter((f) => !f.ignored).map((f) => f.path);
  const ignored: IgnoredWrite[] = [];
  for (const f of journal.files) {
    if (!f.ignored) continue;
    const now = readWorktree(core.root, f.path);
    const written = now === null ? null : keepIgnored(core, now);
    if (written !== (f.old?.oid ?? null)) ignored.push({ path: f.path, old: f.old, new: written });
  }
  const present = paths.filter((p) => readWorktree(core.root, p) !== null);
  const oids = await hashPaths(core, present, true);
  const parentCommit = journal.snapshot?.commit ?? journal.parent;
  const baseTree = parentCommit ? (await core.repo.objects.readCommit(parentCommit)).tree : null;
  const changes = new Map<string, { mode: string; oid: string } | null>();
  const fileChanges: FileChange[] = [];
  for (const path of paths) {
    const before = await core.repo.objects.entryAt(baseTree, path);
    const oid = oids.get(path);
    const entry = oid ? { mode: worktreeMode(core.root, path), oid } : null;
    changes.set(path, entry);
    if (!entry && before) fileChanges.push({ path, change: 'D' });
    else if (entry && !before) fileChanges.push({ path, change: 'A' });
    else if (entry && before && (entry.oid !== before.oid || entry.mode !== before.mode)) fileChanges.push({ path, change: 'M' });
  }
  const tree = await core.repo.objects.updateTree(baseTree, changes);
  if (fileChanges.length === 0 && !journal.snapshot) {
    if (paths.length > 0) await syncIndex(core, paths);
    let event: string | null = null;
    if (ignored.length > 0 && journal.parent !== null) {
      // Only git-ignored files changed: no commit, but an edit event, so undo and redo know them.
      const prevEdit = liveLastEdit(tip);
      const written = writeEvent(
        core.repo,
        session.id,
        tip,
        { type: 'edit', request: journal.meta.request, model: journal.meta.model, summary: journal.meta.summary, commit: journal.parent, parent: journal.parent, snapshot: null, files: [], prevEdit, journal: journal.id, ignored },
        { tip: tip.event.tip, lastEdit: prevEdit, redo: null },
      );
      await core.repo.updateRefs([written.update], `assist: ${journal.meta.summary}`);
      event = written.id;
    }
    core.journal.remove();
    return { commit: null, snapshot: null, files: [], event, ignored: ignored.map((w) => w.path) };
  }
  const userIndex = journal.meta.userIndex;
  const message = commitMessage(journal.meta.summary, journal.meta.body ?? '', {
    session: session.id,
    event: userIndex ? 'snapshot' : 'edit',
    model: journal.meta.model,
    request: journal.meta.request,
  });
  const commit = session.noBranch
    ? await commitOnUserBranch(core, session, journal, tree, [parentCommit], message)
    : core.repo.writeCommit(tree, [parentCommit], message);

  const prevEdit = liveLastEdit(tip);
  const event = writeEvent(
    core.repo,
    session.id,
    tip,
    {
      type: 'edit',
      request: journal.meta.request,
      model: journal.meta.model,
      summary: journal.meta.summary,
      commit,
      parent: journal.parent,
      snapshot: userIndex ? { commit, index: userIndex } : journal.snapshot,
      files: fileChanges,
      prevEdit,
      journal: journal.id,
      ...(ignored.length > 0 ? { ignored } : {}),
    },
    { tip: commit, lastEdit: prevEdit, redo: null },
  );
  pauseAt('before-commit', core.repo.env);
  // refs/notes/assist is shared by every session and worktree: when only it moved, note again on its new tip.
  for (let attempt = 0; ; attempt++) {
    const notes = await noteUpdate(core, commit, journal.meta);
    const updates: RefUpdate[] = [branchUpdate(session, commit, head.oid), event.update, ...(notes ? [notes] : [])];
    try {
      await core.repo.updateRefs(updates, `assist: ${journal.meta.summary}`);
      break;
    } catch (error) {
      const onlyNotesMoved = notes && core.repo.readRef(NOTES_REF) !== notes.old && core.repo.readRef(event.update.ref) === event.update.old;
      if (!onlyNotesMoved || attempt >= 5) throw error;
    }
  }
  pauseAt('after-commit', core.repo.env);
  for (const note of core.deferredNotes.splice(0)) {
    await core.repo.git(['notes', `--ref=${NOTES_REF}`, 'add', '-f', '-F', '-', note.commit], { input: note.text });
  }
  pauseAt('before-index-sync', core.repo.env);
  await syncIndex(core, paths);
  pauseAt('before-journal-remove', core.repo.env);
  core.journal.remove();
  return { commit, snapshot: journal.snapshot?.commit ?? null, files: fileChanges, event: event.id, ...(ignored.length > 0 ? { ignored: ignored.map((w) => w.path) } : {}) };
}

/** Makes the real index agree with the work tree for exactly these paths (so `git status` is clean for them). */
export async function syncIndex(core: StoreCore, paths: readonly string[]): Promise<void> {
  await core.repo.git(['update-index', '--add', '--remove', '-z', '--stdin'], { input: `${paths.join('\0')}\0` });
}

/** The next commit of refs/notes/assist with the exchange noted on `commit`, flat (no fan-out) while assist writes it. */
export async function noteUpdate(core: StoreCore, commit: string, meta: BatchMeta): Promise<RefUpdate | null> {
  const text = noteText(meta);
  const old = core.repo.readRef(NOTES_REF);
  const oldTree = old ? (await core.repo.objects.readCommit(old)).tree : null;
  if (oldTree && (await core.repo.objects.readTree(oldTree)).some((e) => e.mode === '40000')) {
    // git fanned the notes tree out: let git add this one after the commit lands.
    core.deferredNotes.push({ commit, text });
    return null;
  }
  const blob = core.repo.objects.write('blob', Buffer.from(text, 'utf8'));
  const tree = await core.repo.objects.updateTree(oldTree, new Map([[commit, { mode: '100644', oid: blob }]]));
  const notesCommit = core.repo.writeCommit(tree, [old], 'Notes added by assist\n');
  return { ref: NOTES_REF, value: notesCommit, old };
}

/**
 * A commit that lands on the user's own branch: runs pre-commit (on an index holding exactly the
 * commit's tree) and commit-msg, and signs when commit.gpgsign says so. A rejection leaves the
 * batch journaled as pending.
 */
export async function commitOnUserBranch(core: StoreCore, session: SessionInfo, journal: Journal | null, tree: string, parents: (string | null)[], message: string, hooks: string[] = ['pre-commit']): Promise<string> {
  const dir = core.repo.paths.worktreeAssistDir;
  const indexFile = join(dir, 'hook-index');
  const msgFile = join(dir, 'COMMIT_EDITMSG');
  const { writeFileSync, readFileSync, rmSync } = await import('node:fs');
  writeFileSync(msgFile, message);
  const env = { GIT_INDEX_FILE: indexFile };
  try {
    await core.repo.git(['read-tree', tree], { extraEnv: env });
    for (const hook of [...hooks, 'commit-msg']) {
      const args = ['hook', 'run', '--ignore-missing', hook, ...(hook === 'commit-msg' ? ['--', msgFile] : [])];
      const result = await core.repo.git(args, { extraEnv: env, okCodes: [0, 1, 2, 126, 127, 128, 255] });
      if (result.code !== 0) {
        const output = `${result.stdout.toString('utf8')}${result.stderr}`.trim();
        if (journal) {
          journal.pending = { hook, output };
          core.journal.save(journal);
          await appendEvent(core.repo, session.id, { type: 'refused', request: journal.meta.request, reason: `${hook} hook rejected the commit`, files: journal.files.map((f) => f.path), output });
        }
        throw new AssistError('git.hook-rejected', `the ${hook} hook rejected the commit${output ? `: ${output.split('\n')[0] ?? ''}` : ''}`, {
          hint: journal ? `the files are written and the batch is pending: fix what the hook reported; ${PENDING_WAY_ON}` : 'fix what the hook reported and try again',
          data: { hook, output },
        });
      }
    }
    const finalMessage = readFileSync(msgFile, 'utf8');
    if (core.repo.configGet('commit.gpgsign') === 'true') {
      const args = ['commit-tree', '-S', tree, ...parents.filter((p): p is string => p !== null).flatMap((p) => ['-p', p]), '-F', msgFile];
      const signed = await core.repo.git(args, { okCodes: ANY_EXIT });
      if (signed.code === 0) return signed.stdout.toString('utf8').trim();
      // A key that cannot sign is rejected like a hook: the batch stays pending, with a way on.
      const output = signed.stderr.trim();
      if (journal) {
        journal.pending = { hook: 'signing', output };
        core.journal.save(journal);
        await appendEvent(core.repo, session.id, { type: 'refused', request: journal.meta.request, reason: 'signing the commit failed', files: journal.files.map((f) => f.path), output });
      }
      throw new AssistError('git.sign-failed', `signing the commit failed (commit.gpgsign is true): ${signingLine(output)}`, {
        hint: `fix the signing key, or turn signing off for this repository with \`git config commit.gpgsign false\`${journal ? `; the files are written and the batch is pending: ${PENDING_WAY_ON}` : ', and try again'}`,
        data: { hook: 'signing', output },
      });
    }
    return core.repo.writeCommit(tree, parents, finalMessage);
  } finally {
    rmSync(indexFile, { force: true });
    rmSync(msgFile, { force: true });
  }
}

export function branchUpdate(session: SessionInfo, value: string | null, old: string | null): RefUpdate {
  return { ref: session.ref, value, old, ...(session.ref === 'HEAD' ? { noDeref: true } : {}) };
}

export const NOTES_REF = 'refs/notes/assist';

/** Every exit code: the caller reads the result. */
const ANY_EXIT: readonly number[] = Array.from({ length: 256 }, (_, i) => i);

/** How a pending batch goes on, for every message that names one. */
export const PENDING_WAY_ON = 'the next `assist run` or `assist chat` retries its commit (in a chat, `/commit` does), and `assist undo` drops it';

/** The line of a failed `commit-tree -S` that says why: gpg's own, else git's. */
function signingLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const line = lines.find((l) => /^gpg:|ssh|key/i.test(l) && !/^(error|fatal):/.test(l)) ?? lines[0] ?? 'no output';
  return line.replace(/^(error|fatal):\s*/, '');
}

/** Summary line, body, then the trailers of DESIGN.md §2. */
export function commitMessage(summary: string, body: string, t: { session: string; event: string; model?: string; request?: string }): string {
  const title = summary.split('\n')[0]?.trim() || 'assist edit';
  const trailers = [`Assist-Session: ${t.session}`, `Assist-Event: ${t.event}`];
  if (t.model) trailers.push(`Assist-Model: ${t.model}`);
  if (t.request) trailers.push(`Assist-Request: ${t.request}`);
  return `${title}\n\n${body.trim() ? `${body.trim()}\n\n` : ''}${trailers.join('\n')}\n`;
}

function noteText(meta: BatchMeta): string {
  const ex = meta.exchange;
  const lines = [`Model: ${meta.model}`, `Request: ${meta.request}`];
  if (ex?.usage) lines.push(`Usage: ${ex.usage.input_tokens} input, ${ex.usage.output_tokens} output tokens${ex.usage.estimated ? ' (estimated)' : ''}`);
  if (ex) lines.push('', 'User:', ex.message, '', 'Assistant:', ex.reply);
  if (ex?.review) lines.push('', 'Review:', ex.review);
  return `${lines.join('\n')}\n`;
}
