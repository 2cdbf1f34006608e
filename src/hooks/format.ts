import type { HooksChangeReport, HooksStatus } from './install.js';

const ACTION_WORDS: Record<string, string> = {
  created: 'created',
  added: 'block added',
  updated: 'block updated',
  unchanged: 'unchanged',
  skipped: 'skipped',
  removed: 'block removed',
  deleted: 'file deleted',
  absent: 'nothing to remove',
};

/** The lines `assist hooks install` / `uninstall` print: one per hook, then what the person must do. */
export function formatChangeReport(report: HooksChangeReport, verb: 'install' | 'uninstall'): string[] {
  const lines: string[] = [];
  const elsewhere = report.location.managedElsewhere;
  if (elsewhere) {
    lines.push(
      elsewhere.scope === 'symlink'
        ? `the hooks folder is a symbolic link (${elsewhere.configured}), and assist writes nothing there.`
        : `core.hooksPath is set (${elsewhere.scope || 'config'}${elsewhere.origin ? `, ${elsewhere.origin}` : ''}): git runs hooks from ${elsewhere.hooksPath}, and assist writes nothing there.`,
    );
  }
  const width = Math.max(...report.hooks.map((h) => h.hook.length));
  for (const hook of report.hooks) {
    lines.push(`${hook.hook.padEnd(width)}  ${ACTION_WORDS[hook.action] ?? hook.action}  ${hook.file}${hook.note ? ` (${hook.note})` : ''}`);
  }
  const todo = report.hooks.filter((h) => h.line !== undefined && h.action === 'skipped');
  if (todo.length > 0) {
    lines.push(verb === 'install' ? 'Add this line to each of these hooks (with husky: to .husky/<hook>):' : 'Remove this line from each of these hooks:');
    for (const hook of todo) lines.push(`  ${hook.file}:`, `    ${hook.line ?? ''}`);
  }
  if (verb === 'install' && !elsewhere && todo.length === 0 && report.hooks.every((h) => h.action !== 'skipped')) {
    lines.push('The hooks start `assist hook` in the background after commit, checkout, merge and rebase.');
  }
  return lines;
}

const STATE_WORDS: Record<string, string> = {
  installed: 'installed',
  outdated: 'installed, outdated: run `assist hooks install`',
  'not-installed': 'not installed',
  'not-executable': 'installed, but the file is not executable: git skips it',
  foreign: 'not installed: not a shell script',
  symlink: 'not installed: a symbolic link, left alone',
  broken: 'broken assist markers: fix by hand',
  'line-present': 'installed by hand (calls the runner)',
  'line-missing': 'not installed: add the line',
};

/** The lines `assist hooks status` prints. */
export function formatStatus(status: HooksStatus): string[] {
  const lines: string[] = [];
  const elsewhere = status.location.managedElsewhere;
  lines.push(`hooks folder: ${status.location.hooksDir}`);
  if (elsewhere?.scope === 'symlink') {
    lines.push(`the hooks folder is a symbolic link (${elsewhere.configured})${elsewhere.insideWorkTree ? ' into the work tree' : ''}: assist writes nothing there`);
  } else if (elsewhere) {
    lines.push(
      `core.hooksPath = ${elsewhere.configured} (${elsewhere.scope || 'config'}${elsewhere.origin ? `, ${elsewhere.origin}` : ''})${elsewhere.insideWorkTree ? ', inside the work tree' : ''}: assist writes nothing there`,
    );
  }
  const width = Math.max(...status.hooks.map((h) => h.hook.length));
  for (const hook of status.hooks) {
    lines.push(`${hook.hook.padEnd(width)}  ${STATE_WORDS[hook.state] ?? hook.state}${hook.note ? ` (${hook.note})` : ''}`);
    if (hook.state === 'line-missing' || hook.state === 'foreign' || hook.state === 'symlink') lines.push(`    add to ${hook.file}: ${hook.line ?? ''}`);
  }
  if (status.recorded) {
    const gone = [!status.recorded.nodeExists ? `node ${status.recorded.node}` : '', !status.recorded.entryExists ? `assist ${status.recorded.entry}` : ''].filter(Boolean);
    lines.push(
      gone.length === 0
        ? `runs: ${status.recorded.node} ${status.recorded.entry}`
        : `recorded ${gone.join(' and ')} no longer exist${gone.length === 1 ? 's' : ''}: the hooks do nothing; run \`assist hooks install\` again`,
    );
  }
  const r = status.refresher;
  const state = r.running ? `running (pid ${r.lockPid ?? '?'})` : r.lockPid !== null ? `stale lock (pid ${r.lockPid} is gone; the next hook takes it over)` : 'idle';
  lines.push(`refresher: ${state}${r.dirty ? ', a change is waiting' : ''}; ${r.pending} changed file${r.pending === 1 ? '' : 's'} pending for summaries`);
  if (r.last) lines.push(`last run: ${r.last.finishedAt} after ${r.last.hook}, ${r.last.changed} changed${r.last.failed.length ? `, failed: ${r.last.failed.join(', ')}` : ''}`);
  if (r.lastError) lines.push(`last logged error: ${r.lastError}`);
  return lines;
}
