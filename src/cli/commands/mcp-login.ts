import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import { AssistError, usageError } from '../../errors.js';
import type { LoadedConfig, McpServerConfig } from '../../config/index.js';

/** The HTTP server entry `NAME` of the config, or a usage error that says what is wrong. */
export function httpServer(loaded: LoadedConfig, name: string): McpServerConfig & { url: string } {
  const entry = loaded.config.mcp.servers[name];
  if (!entry) {
    const ignored = loaded.ignoredUntrusted.some((k) => k.startsWith(`mcp.servers.${name}.`));
    throw usageError('mcp.no-server', `no MCP server named "${name}"`, ignored ? 'it is defined in .assist.toml, which is not trusted: review it, then run `assist trust`' : 'see `assist mcp list` for the configured servers');
  }
  if (!entry.url) throw usageError('mcp.not-http', `MCP server "${name}" runs over stdio: only HTTP servers (url) use OAuth`);
  return { ...entry, url: entry.url };
}

/**
 * What `mcp login` and `mcp logout` both start from: the HTTP server `name` of the config (or a
 * usage error), the folder its tokens live in, and the OAuth module, loaded only now.
 */
export async function oauthServer(command: AssistCommand, name: string) {
  const loaded = await command.config({}, await command.repo(true));
  const { url } = httpServer(loaded, name);
  const { loadMcp } = await import('../../tools/index.js');
  const mcp = await loadMcp();
  return { url, stateDir: mcp.mcpStateDir(command.context.env), oauth: await mcp.loadOAuth() };
}

export class McpLoginCommand extends AssistCommand {
  static override paths = [['mcp', 'login']];
  static override usage = Command.Usage({
    category: 'MCP',
    description: 'authorize assist at a remote MCP server that requires OAuth',
    details: `
      Runs the OAuth authorization code flow with PKCE for the HTTP server NAME of \`mcp.servers\`: finds its authorization server, registers assist as a client when the server offers dynamic client registration, prints a URL to open in a browser, and waits for the browser to come back to a one-time address on 127.0.0.1. The tokens are stored 0600 under \`$XDG_STATE_HOME/assist/mcp/\` (else \`~/.local/state/assist/mcp/\`), refreshed when they expire, and never printed or logged. \`assist mcp logout NAME\` revokes them.
    `,
    examples: [['Authorize assist at the server "linear"', '$0 mcp login linear']],
  });

  name = Option.String({ name: 'NAME' });

  async run(): Promise<number> {
    const { url: serverUrl, stateDir, oauth } = await oauthServer(this, this.name);
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once('SIGINT', onSigint);
    try {
      await oauth.login({
        stateDir,
        server: this.name,
        url: serverUrl,
        signal: controller.signal,
        onAuthorizationUrl: (url) => {
          this.reporter.info(`Open this address in a browser to authorize assist at "${this.name}":\n\n  ${url.href}\n\nWaiting for the browser to come back (Ctrl-C to stop)…`);
        },
      });
    } catch (error) {
      if (error instanceof AssistError) throw error;
      // The SDK's errors name the failing step; their text never carries tokens.
      throw new AssistError('mcp.login-failed', `login to "${this.name}" failed: ${(error as Error).message.split('\n')[0] ?? ''}`, { cause: error });
    } finally {
      process.off('SIGINT', onSigint);
    }
    this.reporter.info(`assist is authorized at "${this.name}"; its tokens are stored under ${stateDir}`);
    return 0;
  }
}
