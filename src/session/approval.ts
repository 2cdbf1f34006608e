import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApprovalState, AuditLog } from '../sandbox/index.js';
import type { McpCallInfo } from '../tools/types.js';
import type { SessionCore } from './core.js';
import { approvalGroup } from './review-batch.js';
import type { FileChangePreview, TurnResult } from './types.js';

/**
 * Approval of a session's edits and MCP calls (DESIGN §7): what the person answered (`a` for a
 * file, `always` for an MCP tool) holds for the rest of the session.
 */
export class Approvals {
  /** MCP calls the person approved with `a`: they run without asking for the rest of the session. */
  private readonly mcpAlways = new Set<string>();

  constructor(
    private readonly core: SessionCore,
    private state: ApprovalState,
  ) {}

  async approveMcpCall(info: McpCallInfo): Promise<boolean> {
    const key = `${info.server}/${info.tool}`;
    if (this.mcpAlways.has(key)) return true;
    const answer = await this.core.ui.approveToolCall!(info);
    if (answer === 'always') this.mcpAlways.add(key);
    return answer !== 'no';
  }

  async approve(changes: FileChangePreview[], result: TurnResult, request: string, audit: AuditLog): Promise<FileChangePreview[]> {
    const core = this.core;
    const { options, ui } = core;
    const sandbox = await import('../sandbox/index.js');
    const approved: FileChangePreview[] = [];
    const flags = {
      yes: options.yes ?? false,
      dryRun: options.dryRun ?? false,
      isTTY: (options.interactive ?? false) && ui.approve !== undefined,
      mode: options.mode === 'explain' ? 'run' : (options.mode ?? 'chat'),
      ...(options.allowProtected ? { allowProtected: true } : {}),
    };
    let stopped = false;
    for (const change of changes) {
      if (stopped) {
        result.refused.push({ file: change.path, reason: 'not asked: you quit the approvals of this reply' });
        continue;
      }
      const decision = sandbox.decideApproval(change.path, this.state, core.config.approval, flags);
      switch (decision) {
        case 'auto':
          ui.preview?.(change);
          approved.push(change);
          break;
        case 'dry-run':
          ui.preview?.(change);
          result.proposed.push(change);
          break;
        case 'ask':
        case 'protected-ask': {
          const protectedFile = sandbox.classifyProtected(change.path);
          const asks = (path: string): boolean => ['ask', 'protected-ask'].includes(sandbox.decideApproval(path, this.state, core.config.approval, flags));
          const answer = await ui.approve!({ ...change, ...(protectedFile ? { protected: protectedFile } : {}), ...approvalGroup(change, changes, asks) });
          const outcome = sandbox.applyAnswer(this.state, change.path, answer);
          this.state = outcome.state;
          if (outcome.write) approved.push(change);
          else {
            result.refused.push({ file: change.path, reason: answer === 'quit' ? 'you quit' : 'you declined' });
            audit.append({ op: 'deny', path: change.path, result: 'declined', reason: 'declined by the person', requestId: request });
          }
          stopped = outcome.stop;
          break;
        }
        case 'refuse-non-tty':
          ui.preview?.(change);
          result.proposed.push(change);
          result.refused.push({ file: change.path, reason: 'needs approval' });
          audit.append({ op: 'deny', path: change.path, result: 'denied', reason: 'no approval: no terminal and no --yes', requestId: request });
          break;
        case 'refuse-protected':
          result.refused.push({ file: change.path, reason: 'protected file (CI config, hooks, lockfile or assist config)' });
          audit.append({ op: 'deny', path: change.path, result: 'denied', reason: 'protected file', requestId: request });
          break;
      }
    }
    if (result.refused.length > 0 && !options.dryRun && core.info) {
      await core.store.appendEvent(core.info.id, {
        type: 'refused',
        request,
        reason: result.refused.map((r) => `${r.file}: ${r.reason}`).join('; '),
        files: result.refused.map((r) => r.file),
      });
    }
    return approved;
  }

  /**
   * A file the person (or another process) changed while its diff was on screen is not written:
   * approving must never put content the person did not see over theirs. It is refused and named.
   */
  async dropChangedSinceShown(approved: FileChangePreview[], result: TurnResult, request: string, audit: AuditLog): Promise<FileChangePreview[]> {
    if (this.core.options.dryRun || approved.length === 0) return approved;
    const kept: FileChangePreview[] = [];
    for (const change of approved) {
      const now = await readFile(join(this.core.root, change.path), 'utf8').catch(() => null);
      if (now === change.before) {
        kept.push(change);
        continue;
      }
      const reason = 'the file changed on disk after its diff was shown; not applied (ask again to get a fresh diff)';
      result.refused.push({ file: change.path, reason });
      this.core.ui.status?.(`not applied: ${change.path} changed while the approval was open`);
      audit.append({ op: 'deny', path: change.path, result: 'denied', reason, code: 'session.changed-under-approval', requestId: request });
    }
    return kept;
  }
}
