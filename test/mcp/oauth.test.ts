import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { cliPath, runCli, type CliResult } from '../helpers/run-cli.js';
import { startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import type { RecordedRequest, Scripted } from '../fake-llm/types.js';
import { httpServer, writeUserConfig } from './helpers.js';
import { startOAuthProtectedServer } from './oauth-server.js';

const calls = (...list: Array<[string, Record<string, unknown>]>): Scripted => ({ kind: 'text', text: '', toolCalls: list.map(([name, args]) => ({ name, arguments: args })) });
const answer = (text: string): Scripted => ({ kind: 'text', text });
const resultsIn = (request: RecordedRequest | undefined): string[] => (request?.messages ?? []).flatMap((m) => (m.toolResults ?? []).map((r) => r.content));

function envFor(repo: TempRepo, llm: FakeLlmServer): NodeJS.ProcessEnv {
  return { ...repo.env, ...llm.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' };
}

/**
 * `assist mcp login NAME`, with the test as the person at the browser: it opens the URL assist
 * prints (the authorization server consents at once and redirects to assist's loopback address).
 */
async function loginThroughBrowser(repo: TempRepo, env: NodeJS.ProcessEnv, name: string): Promise<CliResult & { authorizeUrl: string }> {
  const child = spawn(process.execPath, [cliPath, 'mcp', 'login', name], { cwd: repo.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const authorizeUrl = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const found = /^ {2}(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m.exec(stderr);
      if (found) resolve(found[1]!);
    });
    child.once('exit', () => reject(new Error(`login exited before printing a URL:\n${stderr}`)));
  });
  const consent = await fetch(authorizeUrl, { redirect: 'manual' });
  const callback = consent.headers.get('location');
  if (callback) await (await fetch(callback)).text();
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  return { code, stdout, stderr, authorizeUrl };
}

describe('OAuth for a remote MCP server', () => {
  it('needs login → login (PKCE, registration, loopback, iss) → a call with the token → refresh after expiry → logout revokes', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    await using remote = await startOAuthProtectedServer();
    writeUserConfig(repo, ['[approval]', 'mcp_tools = ["remote/*"]', httpServer('remote', remote.url)].join('\n'));
    const env = envFor(repo, llm);

    // Before login: the server is not used, and the person is told what to run.
    llm.enqueue(answer('no tools'));
    const before = await runCli(['run', '--yes', '--json', '-m', 'hi'], { cwd: repo.dir, env });
    expect([0, 5], before.stderr).toContain(before.code);
    expect(before.stderr).toMatch(/^MCP server "remote" needs authorization: run `assist mcp login remote`; its tools are not offered$/m);
    expect(llm.requests[0]!.tools?.some((t) => t.name.startsWith('mcp__'))).toBe(false);
    const listed = await runCli(['mcp', 'list', '--json'], { cwd: repo.dir, env });
    expect(JSON.parse(listed.stdout)).toEqual({ servers: [expect.objectContaining({ name: 'remote', state: 'needs-login' })] });
    expect(remote.log.registrations).toEqual([]);

    const login = await loginThroughBrowser(repo, env, 'remote');
    expect(login.code, login.stderr).toBe(0);
    const authorize = new URL(login.authorizeUrl);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(authorize.searchParams.get('resource')).toBe(remote.url);
    expect(remote.log.registrations).toHaveLength(1);
    expect(remote.log.registrations[0]).toMatchObject({ client_name: 'assist', token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] });
    expect(remote.log.grants).toEqual([{ grant_type: 'authorization_code', client_id: 'client-1' }]);
    expect(login.stderr).toMatch(/assist is authorized at "remote"/);
    // Tokens: stored 0600 in a 0700 folder of the state folder, never printed.
    const dir = join(repo.home, '.local/state/assist/mcp/oauth');
    const [file] = readdirSync(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, file!)).mode & 0o777).toBe(0o600);
    const stored = readFileSync(join(dir, file!), 'utf8');
    expect(stored).toContain(remote.accessTokens[0]!);
    for (const token of [...remote.accessTokens, ...remote.refreshTokens]) expect(login.stdout + login.stderr).not.toContain(token);

    // A call with the token.
    llm.enqueue(calls(['mcp__remote__echo', { text: 'authorized' }]), answer('ok'));
    const call = await runCli(['run', '--yes', '--json', '-m', 'echo'], { cwd: repo.dir, env });
    expect([0, 5], call.stderr).toContain(call.code);
    expect(resultsIn(llm.requests[2])).toEqual(['v2-http echo: authorized']);
    const bearer = remote.requests.filter((q) => q.headers['mcp-method'] === 'tools/call').map((q) => q.headers.authorization);
    expect(bearer).toEqual([`Bearer ${remote.accessTokens[0]}`]);

    // The access token expires: the next call refreshes it and goes through.
    remote.expireAccessTokens();
    llm.enqueue(calls(['mcp__remote__echo', { text: 'refreshed' }]), answer('ok'));
    const after = await runCli(['run', '--yes', '--json', '-m', 'echo again'], { cwd: repo.dir, env });
    expect([0, 5], after.stderr).toContain(after.code);
    expect(resultsIn(llm.requests[4]).at(-1)).toBe('v2-http echo: refreshed');
    expect(remote.log.grants.map((g) => g.grant_type)).toEqual(['authorization_code', 'refresh_token']);
    expect(remote.accessTokens).toHaveLength(2);
    expect(readFileSync(join(dir, file!), 'utf8')).toContain(remote.accessTokens[1]!);
    for (const token of [...remote.accessTokens, ...remote.refreshTokens]) {
      expect(call.stderr + after.stderr + call.stdout + after.stdout).not.toContain(token);
      expect(readFileSync(join(repo.dir, '.git/assist/audit.jsonl'), 'utf8')).not.toContain(token);
    }

    // Logout revokes both tokens at the revocation endpoint and forgets them.
    const logout = await runCli(['mcp', 'logout', 'remote'], { cwd: repo.dir, env });
    expect(logout.code, logout.stderr).toBe(0);
    expect(logout.stderr).toMatch(/revoked the tokens of "remote" at http:\/\/127\.0\.0\.1:\d+\/revoke and deleted them/);
    expect(remote.log.revoked).toEqual([remote.refreshTokens[0], remote.accessTokens[1]]);
    expect(existsSync(join(dir, file!))).toBe(false);
    const again = await runCli(['mcp', 'list', '--json'], { cwd: repo.dir, env });
    expect(JSON.parse(again.stdout)).toEqual({ servers: [expect.objectContaining({ name: 'remote', state: 'needs-login' })] });
  });

  it('an authorization answer from another issuer (RFC 9207 iss) is refused and no tokens are stored', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    await using remote = await startOAuthProtectedServer();
    remote.setWrongIss(true);
    writeUserConfig(repo, httpServer('remote', remote.url));
    const login = await loginThroughBrowser(repo, envFor(repo, llm), 'remote');
    expect(login.code).toBe(1);
    expect(login.stderr).toMatch(/^error: login to "remote" refused: the authorization answer names another issuer than the authorization server \(a possible mix-up attack\); no tokens were stored$/m);
    expect(login.stderr).not.toContain('evil.example');
    expect(remote.log.grants).toEqual([]);
    const dir = join(repo.home, '.local/state/assist/mcp/oauth');
    const files = existsSync(dir) ? readdirSync(dir) : [];
    for (const f of files) expect(readFileSync(join(dir, f), 'utf8')).not.toMatch(/access_token/);
  });
});
