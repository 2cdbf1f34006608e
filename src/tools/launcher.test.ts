import { afterEach, describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { closeGitShell, gitShellPid, launchGit, shellQuote, type LaunchEnd } from './launcher.js';

/** Runs git through the launcher and collects its standard output. */
async function git(dir: string, env: NodeJS.ProcessEnv, args: string[], onChunk?: (kill: () => void) => void): Promise<LaunchEnd & { stdout: string }> {
  const chunks: Buffer[] = [];
  // `kill` is read from the launch handle, which exists by the time any output arrives.
  let kill: () => void = () => undefined;
  const launched = launchGit(dir, env, () => ({ ...env, GIT_OPTIONAL_LOCKS: '0' }), args, (data) => {
    chunks.push(Buffer.from(data));
    onChunk?.(kill);
  });
  kill = () => launched.kill();
  const end = await launched.done;
  return { ...end, stdout: Buffer.concat(chunks).toString('utf8') };
}

afterEach(() => closeGitShell());

describe('launchGit', () => {
  it('runs one git after another through one shell, with their output, exit codes and errors', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'needle one\n', 'b.txt': 'haystack\n' } });
    const found = await git(repo.dir, repo.env, ['grep', '-n', 'needle']);
    expect(found).toEqual({ code: 0, stderr: '', stdout: 'a.txt:1:needle one\n' });
    const shell = gitShellPid();
    expect(shell).not.toBeNull();

    expect(await git(repo.dir, repo.env, ['grep', '-n', 'nothing-matches-this'])).toEqual({ code: 1, stderr: '', stdout: '' });
    const invalid = await git(repo.dir, repo.env, ['grep', '-E', '-e', '(unclosed']);
    expect(invalid.code).toBe(128);
    expect(invalid.stderr).toMatch(/fatal: .*(parenthes|\()/i);
    expect(invalid.stdout).toBe('');
    expect(gitShellPid()).toBe(shell);
  });

  it('passes every argument literally: quotes, $, backticks, backslashes and newlines', async () => {
    const tricky = `it's "$HOME" \`id\` \\n; echo x | y & z`;
    await using repo = tempRepo({ files: { 'q.txt': `${tricky}\n` } });
    const out = await git(repo.dir, repo.env, ['grep', '-F', '-n', '-e', tricky]);
    expect(out).toMatchObject({ code: 0, stdout: `q.txt:1:${tricky}\n` });
    const quoted = await git(repo.dir, repo.env, ['rev-parse', '--sq-quote', 'a\nb', "c'd", '']);
    expect(quoted.stdout.trim()).toBe(` ${shellQuote('a\nb')} ${shellQuote("c'd")} ''`.trim());
  });

  it('delivers output far larger than a pipe buffer whole, the end mark never part of it', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} match`);
    await using repo = tempRepo({ files: { 'big.txt': `${lines.join('\n')}\n` } });
    const out = await git(repo.dir, repo.env, ['grep', '-h', 'match']);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(`${lines.join('\n')}\n`);
  });

  it('hands git the environment it was given, and starts a new shell for another environment or folder', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'x\n' } });
    await using other = tempRepo({ files: { 'b.txt': 'x\n' } });
    const first = { ...repo.env, GIT_AUTHOR_NAME: 'First Person' };
    expect((await git(repo.dir, first, ['var', 'GIT_AUTHOR_IDENT'])).stdout).toMatch(/^First Person </);
    const pid = gitShellPid();
    const second = { ...repo.env, GIT_AUTHOR_NAME: 'Second Person' };
    expect((await git(repo.dir, second, ['var', 'GIT_AUTHOR_IDENT'])).stdout).toMatch(/^Second Person </);
    expect(gitShellPid()).not.toBe(pid);
    const again = gitShellPid();
    expect((await git(other.dir, second, ['ls-files'])).stdout).toBe('b.txt\n');
    expect(gitShellPid()).not.toBe(again);
  });

  it('kills git and its shell on request; the next run starts a new shell', async () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `row ${i} hit`);
    await using repo = tempRepo({ files: { 'big.txt': `${lines.join('\n')}\n` } });
    const pid = (await git(repo.dir, repo.env, ['grep', '-c', 'hit'])).code === 0 ? gitShellPid() : null;
    expect(pid).not.toBeNull();
    const killed = await git(repo.dir, repo.env, ['grep', 'hit'], (kill) => kill());
    expect(killed.code).toBeNull();
    expect(killed.stdout.length).toBeLessThan(lines.join('\n').length);
    expect(gitShellPid()).toBeNull();
    expect(await git(repo.dir, repo.env, ['grep', '-c', 'hit'])).toMatchObject({ code: 0, stdout: 'big.txt:50000\n' });
    expect(gitShellPid()).not.toBe(pid);
  });

  it('runs git the plain way when its shell was ended by someone else before the job said anything', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'needle\n' } });
    expect((await git(repo.dir, repo.env, ['grep', 'needle'])).code).toBe(0);
    const pid = gitShellPid()!;
    process.kill(pid, 'SIGKILL');
    // Whether or not this process has seen the shell's end yet, the search gives its answer.
    expect(await git(repo.dir, repo.env, ['grep', 'needle'])).toEqual({ code: 0, stderr: '', stdout: 'a.txt:needle\n' });
    expect(await git(repo.dir, repo.env, ['grep', 'needle'])).toEqual({ code: 0, stderr: '', stdout: 'a.txt:needle\n' });
    expect(gitShellPid()).not.toBe(pid);
  });

  it('refuses an argument with a NUL byte as spawn does', () => {
    expect(() => launchGit('/', process.env, () => process.env, ['grep', 'a\0b'], () => undefined)).toThrow();
  });
});
