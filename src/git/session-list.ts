import { readEvent, replayChain } from './chain.js';
import { listCheckpoints } from './checkpoints.js';
import type { EditEvent, ReplayedEvent } from './events.js';
import type { StoreCore } from './store-core.js';
import { worktreeOf, worktreeState } from './worktree-sessions.js';
import type { SessionInfo, SessionSummary, SessionDetails } from './store-types.js';

/** Every session of the repository, newest first. */
export async function listSessions(core: StoreCore): Promise<SessionSummary[]> {
  const refs = await core.repo.listRefs('refs/assist/log/');
  const current = core.currentSession();
  const out: SessionSummary[] = [];
  for (const [ref, id] of refs) {
    const sid = ref.slice('refs/assist/log/'.length);
    const tip = await readEvent(core.repo, id);
    let info: SessionInfo | null = null;
    try {
      info = await core.session(sid);
    } catch {
      info = null;
    }
    const branchOid = info?.branch && !info.noBranch ? core.repo.readRef(`refs/heads/${info.branch}`) : null;
    let commits = 0;
    if (branchOid) {
      const range = info?.base.commit ? [`${info.base.commit}..${branchOid}`] : [branchOid];
      commits = Number((await core.repo.gitText(['rev-list', '--count', ...range])).trim());
    }
    const worktree = branchOid ? worktreeOf(core, info?.branch ?? null) : null;
    out.push({
      id: sid,
      ...(worktree ? { worktree: await worktreeState(core, worktree) } : {}),
      ...(info?.pendingBranch ? { branchPending: true } : {}),
      branch: branchOid ? (info?.branch ?? null) : null,
      base: info?.base.ref ?? info?.base.commit?.slice(0, 12) ?? null,
      commits,
      lastActivity: tip.at,
      finished: tip.type === 'finish' ? tip.mode : null,
      current: current?.id === sid,
      noBranch: info?.noBranch ?? false,
    });
  }
  return out.sort((a, b) => (a.id < b.id ? 1 : -1));
}

/** Events, edits and state of one session for `session show`. */
export async function showSession(core: StoreCore, sessionId?: string): Promise<SessionDetails> {
  const session = await core.requireSession(sessionId);
  const events = await replayChain(core.repo, session.id);
  const edits = events.filter((e): e is ReplayedEvent & EditEvent => e.type === 'edit');
  return {
    session,
    events: events.length,
    edits: edits.map((e) => ({ commit: e.commit, summary: e.summary, files: e.files, undone: e.reverted, at: e.at })),
    checkpoints: await listCheckpoints(core, session.id),
    usage: sumUsage(events),
    lastActivity: events[events.length - 1]?.at ?? null,
    finished: events.find((e) => e.type === 'finish')?.at ?? null,
  };
}

function sumUsage(events: readonly ReplayedEvent[]): { input_tokens: number; output_tokens: number } | null {
  let total: { input_tokens: number; output_tokens: number } | null = null;
  for (const e of events) {
    if (e.type !== 'reply' || !e.usage) continue;
    total ??= { input_tokens: 0, output_tokens: 0 };
    total.input_tokens += e.usage.input_tokens;
    total.output_tokens += e.usage.output_tokens;
  }
  return total;
}
