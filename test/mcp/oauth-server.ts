import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startV2Http, type HttpMcpServer } from './helpers.js';

/** What the test authorization server saw and did. */
export interface OAuthLog {
  registrations: Array<Record<string, unknown>>;
  grants: Array<{ grant_type: string; client_id?: string }>;
  revoked: string[];
}

export interface OAuthProtectedServer extends HttpMcpServer {
  /** The authorization server's issuer (this server's origin). */
  issuer: string;
  log: OAuthLog;
  /** Access tokens issued so far, oldest first (the test never prints them; assist must not either). */
  accessTokens: string[];
  refreshTokens: string[];
  /** Makes every access token issued so far invalid, as if it had expired. */
  expireAccessTokens(): void;
  /** Answers authorization requests with another issuer in `iss` (a mix-up attack). */
  setWrongIss(on: boolean): void;
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => resolve(new URLSearchParams(body)));
  });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(value));
}

/**
 * An MCP server (v2, stateless) that requires OAuth, with its own authorization server on the same
 * origin: RFC 9728 protected resource metadata, RFC 8414 metadata, dynamic client registration,
 * authorization code with PKCE S256 (the "browser" is whoever fetches the authorization URL:
 * consent is given at once), refresh tokens, RFC 7009 revocation, and RFC 9207 `iss` on the redirect.
 */
export async function startOAuthProtectedServer(): Promise<OAuthProtectedServer> {
  const log: OAuthLog = { registrations: [], grants: [], revoked: [] };
  const codes = new Map<string, { challenge: string; redirectUri: string; clientId: string }>();
  const valid = new Set<string>();
  const refresh = new Set<string>();
  const accessTokens: string[] = [];
  const refreshTokens: string[] = [];
  let origin = '';
  const state = { wrongIss: false };
  const issue = (): Record<string, unknown> => {
    const access = `at-${randomBytes(12).toString('hex')}`;
    valid.add(access);
    accessTokens.push(access);
    return { access_token: access, token_type: 'Bearer', expires_in: 3600 };
  };

  const extra = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    origin ||= `http://${req.headers.host}`;
    const path = url.pathname;
    if (path === '/.well-known/oauth-protected-resource/mcp' || path === '/.well-known/oauth-protected-resource') {
      json(res, 200, { resource: `${origin}/mcp`, authorization_servers: [origin], bearer_methods_supported: ['header'] });
      return true;
    }
    if (path === '/.well-known/oauth-authorization-server' || path === '/.well-known/openid-configuration') {
      json(res, 200, {
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        registration_endpoint: `${origin}/register`,
        revocation_endpoint: `${origin}/revoke`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none'],
        authorization_response_iss_parameter_supported: true,
      });
      return true;
    }
    if (path === '/register' && req.method === 'POST') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (body += d));
      req.on('end', () => {
        const metadata = JSON.parse(body) as Record<string, unknown>;
        log.registrations.push(metadata);
        json(res, 201, { ...metadata, client_id: `client-${log.registrations.length}`, client_id_issued_at: Math.floor(Date.now() / 1000) });
      });
      return true;
    }
    if (path === '/authorize') {
      const p = url.searchParams;
      if (p.get('response_type') !== 'code' || p.get('code_challenge_method') !== 'S256' || !p.get('code_challenge') || !p.get('redirect_uri')) {
        json(res, 400, { error: 'invalid_request' });
        return true;
      }
      const code = `code-${randomBytes(8).toString('hex')}`;
      codes.set(code, { challenge: p.get('code_challenge')!, redirectUri: p.get('redirect_uri')!, clientId: p.get('client_id') ?? '' });
      const back = new URL(p.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', p.get('state') ?? '');
      back.searchParams.set('iss', state.wrongIss ? 'http://evil.example' : origin);
      res.writeHead(302, { location: back.href }).end();
      return true;
    }
    if (path === '/token' && req.method === 'POST') {
      void readForm(req).then((form) => {
        const grant = form.get('grant_type') ?? '';
        log.grants.push({ grant_type: grant, ...(form.get('client_id') ? { client_id: form.get('client_id')! } : {}) });
        if (grant === 'authorization_code') {
          const entry = codes.get(form.get('code') ?? '');
          codes.delete(form.get('code') ?? '');
          const verifier = form.get('code_verifier') ?? '';
          const challenge = createHash('sha256').update(verifier).digest('base64url');
          if (!entry || entry.challenge !== challenge || entry.redirectUri !== form.get('redirect_uri')) {
            json(res, 400, { error: 'invalid_grant' });
            return;
          }
          const rt = `rt-${randomBytes(12).toString('hex')}`;
          refresh.add(rt);
          refreshTokens.push(rt);
          json(res, 200, { ...issue(), refresh_token: rt });
          return;
        }
        if (grant === 'refresh_token' && refresh.has(form.get('refresh_token') ?? '')) {
          json(res, 200, issue());
          return;
        }
        json(res, 400, { error: 'invalid_grant' });
      });
      return true;
    }
    if (path === '/revoke' && req.method === 'POST') {
      void readForm(req).then((form) => {
        const token = form.get('token') ?? '';
        log.revoked.push(token);
        valid.delete(token);
        refresh.delete(token);
        res.writeHead(200).end();
      });
      return true;
    }
    return false;
  };

  const server = await startV2Http({
    extra,
    guard: {
      allow: (req) => {
        const auth = req.headers.authorization ?? '';
        return auth.startsWith('Bearer ') && valid.has(auth.slice('Bearer '.length));
      },
      get resourceMetadataUrl() {
        return `${origin}/.well-known/oauth-protected-resource/mcp`;
      },
    },
  });
  origin = new URL(server.url).origin;
  return Object.assign(server, {
    issuer: origin,
    log,
    accessTokens,
    refreshTokens,
    expireAccessTokens: () => valid.clear(),
    setWrongIss: (on: boolean) => void (state.wrongIss = on),
  });
}
