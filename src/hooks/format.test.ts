import { describe, expect, it } from 'vitest';
import { formatChangeReport, formatStatus } from './format.js';
import type { HooksStatus } from './install.js';

const location = { hooksDir: '/r/.git/hooks', ownHooksDir: '/r/.git/hooks', managedElsewhere: null, runnerPath: '/r/.git/assist/hook.sh' };

describe('formatStatus', () => {
  it('says when the recorded assist is gone and the lock is stale', () => {
    const status: HooksStatus = {
      location,
      hooks: [
        { hook: 'post-commit', file: '/r/.git/hooks/post-commit', state: 'installed' },
        { hook: 'post-checkout', file: '/r/.git/hooks/post-checkout', state: 'foreign', note: 'a python3 script', line: 'LINE' },
      ],
      recorded: { node: '/n/node', entry: '/gone/assist.js', nodeExists: true, entryExists: false },
      refresher: { dirty: true, lockPid: 999999, running: false, last: null, lastError: null, pending: 1 },
    };
    expect(formatStatus(status)).toEqual([
      'hooks folder: /r/.git/hooks',
      'post-commit    installed',
      'post-checkout  not installed: not a shell script (a python3 script)',
      '    add to /r/.git/hooks/post-checkout: LINE',
      'recorded assist /gone/assist.js no longer exists: the hooks do nothing; run `assist hooks install` again',
      'refresher: stale lock (pid 999999 is gone; the next hook takes it over), a change is waiting; 1 changed file pending for summaries',
    ]);
  });
});

describe('formatChangeReport', () => {
  it('lists what to add by hand', () => {
    const lines = formatChangeReport(
      {
        location: { ...location, managedElsewhere: { hooksPath: '/h', configured: '/h', scope: 'global', origin: 'file:/home/me/.gitconfig', insideWorkTree: false, addTo: '/h' } },
        hooks: [{ hook: 'post-merge', file: '/h/post-merge', action: 'skipped', note: 'core.hooksPath: add the line yourself', line: 'LINE' }],
      },
      'install',
    );
    expect(lines).toEqual([
      'core.hooksPath is set (global, file:/home/me/.gitconfig): git runs hooks from /h, and assist writes nothing there.',
      'post-merge  skipped  /h/post-merge (core.hooksPath: add the line yourself)',
      'Add this line to each of these hooks (with husky: to .husky/<hook>):',
      '  /h/post-merge:',
      '    LINE',
    ]);
  });
});
