import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { toolContext } from '../../test/helpers/tool-context.js';
import { probeBwrap } from '../sandbox/index.js';
import { runCommandTool } from './run-command.js';

// A machine where bubblewrap is installed but cannot work (user namespaces turned off): the
// probe finds this `bwrap` first on PATH. This file runs in its own process, so the probe's
// per-process cache holds the failure for these tests only.
const fakeBin = mkdtempSync(join(tmpdir(), 'assist-fake-bwrap-'));
writeFileSync(join(fakeBin, 'bwrap'), '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n');
chmodSync(join(fakeBin, 'bwrap'), 0o755);
const savedPath = process.env.PATH;
process.env.PATH = `${fakeBin}:${savedPath ?? ''}`;
const probe = await probeBwrap();
afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(fakeBin, { recursive: true, force: true });
});

describe('run_command when bubblewrap does not work (sandbox.commands = "auto")', () => {
  it('the probe fails', () => {
    expect(probe).toMatchObject({ ok: false, reason: 'bwrap: setting up uid map: Permission denied' });
  });

  it('ask + --yes refuses and says why', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const ctx = await toolContext(repo, { yes: true });
    const out = await runCommandTool.run({ command: 'touch ran.txt' }, ctx);
    expect(out).toMatchObject({ ok: false, status: 'run touch ran.txt: refused, no sandbox' });
    expect(out.kind === 'result' && out.text).toBe(
      'Not run: --yes runs only bubblewrap-confined commands, and commands cannot be confined here (bubblewrap does not work here: bwrap: setting up uid map: Permission denied).',
    );
    expect(existsSync(join(repo.dir, 'ran.txt'))).toBe(false);
    expect(ctx.auditRecords()).toEqual([expect.objectContaining({ op: 'deny', code: 'approval.command-unconfined' })]);
  });

  it('"sandboxed" refuses', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const ctx = await toolContext(repo, { configure: (c) => void (c.approval.commands = 'sandboxed') });
    expect(await runCommandTool.run({ command: 'touch ran.txt' }, ctx)).toMatchObject({ ok: false, text: expect.stringContaining('approval.commands is "sandboxed"') });
    expect(existsSync(join(repo.dir, 'ran.txt'))).toBe(false);
  });

  it('"bwrap" refuses with the reason', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const ctx = await toolContext(repo, { yes: true, configure: (c) => void (c.sandbox.commands = 'bwrap') });
    expect(await runCommandTool.run({ command: 'touch ran.txt' }, ctx)).toMatchObject({ ok: false, status: 'run touch ran.txt: no sandbox', text: expect.stringContaining('bubblewrap does not work here') });
  });

  it('ask in a terminal warns, and runs unconfined after a yes', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const warnings: Array<string | null> = [];
    const ctx = await toolContext(repo, {
      interactive: true,
      confirmCommand: (_command, warning) => {
        warnings.push(warning);
        return Promise.resolve(true);
      },
    });
    const out = await runCommandTool.run({ command: 'touch ran.txt' }, ctx);
    expect(out).toMatchObject({ ok: true, changedFiles: ['ran.txt'], text: expect.stringMatching(/^exit 0 \(unconfined, /) });
    expect(warnings).toEqual([expect.stringContaining('No sandbox is available')]);
  });
});
