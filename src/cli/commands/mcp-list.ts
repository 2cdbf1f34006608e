import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

export class McpListCommand extends AssistCommand {
  static override paths = [['mcp', 'list']];
  static override usage = Command.Usage({
    category: 'MCP',
    description: 'list the configured MCP servers, their state and their tools',
    details: `
      Starts every enabled server of \`mcp.servers\` (and stops it again) to show its state: \`ok\`, \`failed\` (with why), \`disabled\`, \`untrusted\` (defined in an \`.assist.toml\` you have not trusted: it is never started) or \`needs-login\` (run \`assist mcp login NAME\`); its protocol era: \`modern\` (the stateless 2026-07-28 revision) or \`legacy\` (the initialize handshake, 2025-11-25 and older), found once per server and remembered; and its tools, with the names the model sees (\`mcp__<server>__<tool>\`).

      See docs/mcp.md for how to configure servers.
    `,
    examples: [
      ['The servers and their tools', '$0 mcp list'],
      ['As JSON, for scripts', '$0 mcp list --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print one JSON object' });

  async run(): Promise<number> {
    const repo = await this.repo(true);
    const loaded = await this.config({}, repo);
    const { mcpReports } = await import('../mcp-report.js');
    const reports = await mcpReports(this, loaded, repo?.root ?? this.context.cwd);
    if (this.json) {
      this.reporter.json({
        servers: reports.map((s) => ({
          name: s.name,
          transport: s.transport,
          state: s.state,
          ...(s.reason ? { reason: s.reason } : {}),
          ...(s.era ? { era: s.era } : {}),
          ...(s.version ? { protocol_version: s.version } : {}),
          tools: s.tools.map((t) => ({ name: t.name, model_name: t.modelName, description: t.description })),
        })),
      });
      return 0;
    }
    if (reports.length === 0) {
      this.reporter.print('no MCP servers configured (see docs/mcp.md)');
      return 0;
    }
    const r = this.reporter;
    for (const s of reports) {
      const state = s.state === 'ok' ? r.out.green(s.state) : s.state === 'disabled' ? r.out.dim(s.state) : r.out.yellow(s.state);
      const era = s.era ? `  ${s.era}${s.version ? ` ${s.version}` : ''}` : '';
      r.print(`${s.name}  ${state}  ${s.transport}${era}${s.state === 'ok' ? `  ${s.tools.length} tool${s.tools.length === 1 ? '' : 's'}` : ''}`);
      if (s.reason) r.print(`  ${s.reason}`);
      for (const t of s.tools) r.print(`  ${t.modelName}${t.description ? `  ${r.out.dim(t.description.split('\n')[0]!.slice(0, 100))}` : ''}`);
    }
    return 0;
  }
}
