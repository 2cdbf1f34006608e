import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  auth,
  discoverOAuthServerInfo,
  extractWWWAuthenticateParams,
  IssuerMismatchError,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import { AssistError, ExitCode } from '../../errors.js';
import { readOAuthRecord, removeOAuthRecord, writeOAuthRecord, type OAuthRecord } from './oauth-store.js';

/** Raised where a server needs a person at a browser: outside `assist mcp login` nobody is. */
export class NeedsLoginError extends AssistError {
  constructor(server: string) {
    super('mcp.needs-login', `MCP server "${server}" needs authorization: run \`assist mcp login ${server}\``, { exitCode: ExitCode.refused, data: { server } });
  }
}

/**
 * The SDK's `OAuthClientProvider` over the token file of one server. In `login` mode it sends
 * the person to the authorization URL (printed); at run time (`runtime`) a flow that would need
 * the person ends in {@link NeedsLoginError}, while refreshing with the stored refresh token is left
 * to the SDK (the transport refreshes on a 401 and retries).
 */
export class FileOAuthProvider implements OAuthClientProvider {
  private verifier: string | undefined;
  private readonly stateValue = randomBytes(16).toString('base64url');
  private record: OAuthRecord;

  constructor(
    private readonly stateDir: string,
    record: OAuthRecord,
    private readonly options: { mode: 'login' | 'runtime'; redirectUrl: string; onAuthorizationUrl?: (url: URL) => void },
  ) {
    this.record = record;
  }

  get redirectUrl(): string {
    return this.options.redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'assist',
      redirect_uris: [this.options.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  /** The `state` sent with the authorization request; the callback must bring it back. */
  state(): string {
    return this.stateValue;
  }

  clientInformation(): StoredOAuthClientInformation | undefined {
    return this.record.client as StoredOAuthClientInformation | undefined;
  }

  async saveClientInformation(info: StoredOAuthClientInformation): Promise<void> {
    this.record = { ...this.record, client: info as OAuthRecord['client'] };
    await writeOAuthRecord(this.stateDir, this.record);
  }

  tokens(): StoredOAuthTokens | undefined {
    return this.record.tokens as StoredOAuthTokens | undefined;
  }

  async saveTokens(tokens: StoredOAuthTokens): Promise<void> {
    this.record = { ...this.record, tokens: tokens as OAuthRecord['tokens'], savedAt: new Date().toISOString() };
    await writeOAuthRecord(this.stateDir, this.record);
  }

  redirectToAuthorization(url: URL): void {
    if (this.options.mode === 'runtime') throw new NeedsLoginError(this.record.server);
    this.options.onAuthorizationUrl?.(url);
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    if (this.verifier === undefined) throw new AssistError('mcp.oauth-no-verifier', 'the authorization was not started by this login');
    return this.verifier;
  }

  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    this.record = { ...this.record, discovery: state as unknown as Record<string, unknown> };
    await writeOAuthRecord(this.stateDir, this.record);
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.record.discovery as OAuthDiscoveryState | undefined;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    const next: OAuthRecord = { ...this.record };
    if (scope === 'all' || scope === 'client') delete next.client;
    if (scope === 'all' || scope === 'tokens') delete next.tokens;
    if (scope === 'all' || scope === 'discovery') delete next.discovery;
    if (scope === 'verifier') this.verifier = undefined;
    this.record = next;
    await writeOAuthRecord(this.stateDir, this.record);
  }
}

/**
 * The provider for a server's calls at run time: only when `assist mcp login` left tokens for
 * this URL (otherwise a 401 is answered with "run `assist mcp login NAME`", never with a client
 * registration nobody asked for).
 */
export async function runtimeProvider(stateDir: string, server: string, url: string): Promise<FileOAuthProvider | null> {
  const record = await readOAuthRecord(stateDir, server, url);
  if (!record?.tokens || !record.client) return null;
  const redirectUrl = record.client.redirect_uris?.[0] ?? 'http://127.0.0.1/callback';
  return new FileOAuthProvider(stateDir, record, { mode: 'runtime', redirectUrl });
}

/** What `assist mcp login` needs from its command. */
export interface LoginOptions {
  stateDir: string;
  server: string;
  url: string;
  /** Shows the authorization URL to the person (the command prints it). */
  onAuthorizationUrl(url: URL): void;
  signal?: AbortSignal;
  /** How long to wait for the browser to come back (default 5 minutes). */
  timeoutMs?: number;
}

interface Callback {
  code: string;
  iss: string | undefined;
}

/** Listens on 127.0.0.1 for the authorization server's redirect (RFC 8252 loopback redirect). */
async function listenLoopback(preferredPort: number): Promise<Server> {
  const server = createServer();
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(preferredPort);
  } catch {
    await listen(0);
  }
  return server;
}

function waitForCallback(server: Server, expectedState: string, options: { signal?: AbortSignal; timeoutMs: number }): Promise<Callback> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new AssistError('mcp.login-timeout', 'no answer from the browser in time: the login was abandoned', { hint: 'run the login again and open the URL it prints' })), options.timeoutMs);
    const onAbort = (): void => finish(new AssistError('mcp.login-interrupted', 'login interrupted', { exitCode: ExitCode.interrupted }));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (outcome: Error | Callback): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      server.off('request', onRequest);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/callback') {
        res.writeHead(404).end();
        return;
      }
      const page = (status: number, text: string): void => {
        res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', connection: 'close' }).end(`<!doctype html><title>assist</title><p>${text}</p>`);
      };
      // A redirect that does not carry our state is not the answer to our request (CSRF).
      if (url.searchParams.get('state') !== expectedState) {
        page(400, 'This authorization answer does not belong to the running login.');
        return;
      }
      const error = url.searchParams.get('error');
      if (error !== null) {
        page(400, 'Authorization was not granted. You can close this tab.');
        // Only the error code: the description is the authorization server's text (RFC 9207 mix-up risk).
        finish(new AssistError('mcp.login-denied', `authorization was not granted (${error.replace(/[^\w.-]/g, '').slice(0, 60)})`, { exitCode: ExitCode.refused }));
        return;
      }
      const code = url.searchParams.get('code');
      if (!code) {
        page(400, 'The authorization answer has no code.');
        return;
      }
      page(200, 'assist is authorized. You can close this tab.');
      finish({ code, iss: url.searchParams.get('iss') ?? undefined });
    };
    server.on('request', onRequest);
  });
}

/**
 * `assist mcp login NAME`: the authorization code flow with PKCE against the server's
 * authorization server (found through its protected resource metadata), a loopback redirect on
 * 127.0.0.1 and dynamic client registration where the server offers it (all by the SDK's `auth`).
 * The callback's `iss` is checked by the SDK (RFC 9207) before the code is redeemed.
 */
export async function login(options: LoginOptions): Promise<{ scope?: string; expiresIn?: number }> {
  const stored = await readOAuthRecord(options.stateDir, options.server, options.url);
  const registeredRedirect = stored?.client?.redirect_uris?.[0];
  const preferredPort = registeredRedirect ? Number(new URL(registeredRedirect).port) || 0 : 0;
  const loopback = await listenLoopback(preferredPort);
  try {
    const port = (loopback.address() as AddressInfo).port;
    const redirectUrl = `http://127.0.0.1:${port}/callback`;
    const record: OAuthRecord = { server: options.server, url: options.url, ...(stored?.discovery ? { discovery: stored.discovery } : {}) };
    // A client registered for another redirect port cannot use this one: register again.
    if (stored?.client && stored.client.redirect_uris?.includes(redirectUrl)) record.client = stored.client;
    const provider = new FileOAuthProvider(options.stateDir, record, { mode: 'login', redirectUrl, onAuthorizationUrl: options.onAuthorizationUrl });
    const challenge = await challengeOf(options.url);
    const hints = { ...(challenge.scope ? { scope: challenge.scope } : {}), ...(challenge.resourceMetadataUrl ? { resourceMetadataUrl: challenge.resourceMetadataUrl } : {}) };
    const first = await auth(provider, { serverUrl: options.url, forceReauthorization: true, ...hints });
    if (first !== 'AUTHORIZED') {
      const callback = await waitForCallback(loopback, provider.state(), { ...(options.signal ? { signal: options.signal } : {}), timeoutMs: options.timeoutMs ?? 5 * 60_000 });
      let second;
      try {
        second = await auth(provider, { serverUrl: options.url, authorizationCode: callback.code, ...(callback.iss !== undefined ? { iss: callback.iss } : {}), ...hints });
      } catch (error) {
        // The received issuer is the attacker's text in a mix-up: never shown (the SDK's advice).
        if (error instanceof IssuerMismatchError) {
          throw new AssistError('mcp.login-issuer-mismatch', `login to "${options.server}" refused: the authorization answer names another issuer than the authorization server (a possible mix-up attack); no tokens were stored`);
        }
        throw error;
      }
      if (second !== 'AUTHORIZED') throw new AssistError('mcp.login-failed', 'the authorization server did not issue tokens');
    }
    const tokens = provider.tokens();
    return { ...(typeof tokens?.scope === 'string' ? { scope: tokens.scope } : {}), ...(typeof tokens?.expires_in === 'number' ? { expiresIn: tokens.expires_in } : {}) };
  } finally {
    loopback.closeAllConnections();
    loopback.close();
  }
}

/**
 * The server's own 401 challenge: where its protected resource metadata is (it need not be at the
 * well-known address) and the scope it wants. Asked with a request that changes nothing.
 */
async function challengeOf(url: string): Promise<{ scope?: string; resourceMetadataUrl?: URL }> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'assist-login', method: 'ping' }),
      signal: AbortSignal.timeout(15_000),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status !== 401 && response.status !== 403) return {};
    const { scope, resourceMetadataUrl } = extractWWWAuthenticateParams(response);
    return { ...(scope ? { scope } : {}), ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}) };
  } catch {
    return {};
  }
}

/** What `assist mcp logout NAME` did. */
export interface LogoutResult {
  /** Whether there were tokens to forget. */
  hadTokens: boolean;
  /** The revocation endpoint the tokens were revoked at; null when the server offers none. */
  revokedAt: string | null;
  /** Why revocation failed, when it did (the tokens are deleted here anyway). */
  revokeError?: string;
}

/**
 * `assist mcp logout NAME`: revokes the refresh and access tokens at the authorization server's
 * revocation endpoint (RFC 7009; the SDK has no helper for it), then deletes the token file.
 */
export async function logout(options: { stateDir: string; server: string; url: string }): Promise<LogoutResult> {
  const record = await readOAuthRecord(options.stateDir, options.server, options.url);
  if (!record?.tokens) {
    await removeOAuthRecord(options.stateDir, options.server, options.url);
    return { hadTokens: false, revokedAt: null };
  }
  let endpoint: string | undefined;
  let revokeError: string | undefined;
  try {
    const metadata = ((record.discovery as OAuthDiscoveryState | undefined)?.authorizationServerMetadata ?? (await discoverOAuthServerInfo(options.url)).authorizationServerMetadata) as
      | { revocation_endpoint?: string; revocation_endpoint_auth_methods_supported?: string[] }
      | undefined;
    endpoint = metadata?.revocation_endpoint;
    if (endpoint) {
      const client = record.client ?? { client_id: '' };
      for (const [hint, token] of [
        ['refresh_token', record.tokens.refresh_token],
        ['access_token', record.tokens.access_token],
      ] as const) {
        if (typeof token !== 'string' || token === '') continue;
        const body = new URLSearchParams({ token, token_type_hint: hint });
        const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
        const secret = typeof client.client_secret === 'string' ? client.client_secret : undefined;
        if (secret) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
        else body.set('client_id', client.client_id);
        const response = await fetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
        // RFC 7009 §2.2: 200 for a revoked or an unknown token alike.
        if (!response.ok) revokeError = `${hint} revocation answered HTTP ${response.status}`;
      }
    }
  } catch (error) {
    revokeError = (error as Error).message.split('\n')[0] ?? 'revocation failed';
  }
  await removeOAuthRecord(options.stateDir, options.server, options.url);
  return { hadTokens: true, revokedAt: endpoint ?? null, ...(revokeError ? { revokeError } : {}) };
}
