import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import { oauthServer } from './mcp-login.js';

export class McpLogoutCommand extends AssistCommand {
  static override paths = [['mcp', 'logout']];
  static override usage = Command.Usage({
    category: 'MCP',
    description: "revoke and forget assist's OAuth tokens for a remote MCP server",
    details: `
      Revokes the refresh and access tokens \`assist mcp login NAME\` obtained, at the authorization server's revocation endpoint (RFC 7009) when it has one, then deletes them from the state folder. They are deleted even when revocation fails (you are told).
    `,
    examples: [['Forget the tokens of "linear"', '$0 mcp logout linear']],
  });

  name = Option.String({ name: 'NAME' });

  async run(): Promise<number> {
    const { url, stateDir, oauth } = await oauthServer(this, this.name);
    const result = await oauth.logout({ stateDir, server: this.name, url });
    if (!result.hadTokens) this.reporter.info(`no tokens stored for "${this.name}"`);
    else if (result.revokeError) this.reporter.warn(`revocation at ${result.revokedAt ?? 'the server'} failed (${result.revokeError}); the tokens are deleted here`);
    else if (result.revokedAt) this.reporter.info(`revoked the tokens of "${this.name}" at ${result.revokedAt} and deleted them`);
    else this.reporter.info(`"${this.name}" offers no revocation endpoint: its tokens are deleted here`);
    return 0;
  }
}
