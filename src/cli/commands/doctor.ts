import { Command } from 'clipanion';
import { AssistCommand } from '../base.js';
import { execText } from '../../util/exec.js';
import { AssistError } from '../../errors.js';
import type { LoadedConfig } from '../../config/index.js';

type Level = 'ok' | 'warn' | 'fail';
interface Check {
  level: Level;
  what: string;
  fix?: string;
}

/** A model to suggest for each provider whose key is set. */
const GRAMMARS: Array<[string, string]> = [
  ['tree-sitter-typescript', 'tree-sitter-typescript.wasm'],
  ['tree-sitter-typescript', 'tree-sitter-tsx.wasm'],
  ['tree-sitter-javascript', 'tree-sitter-javascript.wasm'],
  ['tree-sitter-python', 'tree-sitter-python.wasm'],
  ['tree-sitter-go', 'tree-sitter-go.wasm'],
  ['tree-sitter-rust', 'tree-sitter-rust.wasm'],
  ['tree-sitter-java', 'tree-sitter-java.wasm'],
  ['tree-sitter-c', 'tree-sitter-c.wasm'],
  ['tree-sitter-cpp', 'tree-sitter-cpp.wasm'],
  ['tree-sitter-ruby', 'tree-sitter-ruby.wasm'],
  ['tree-sitter-elixir', 'tree-sitter-elixir.wasm'],
  ['tree-sitter-c-sharp', 'tree-sitter-c_sharp.wasm'],
  ['tree-sitter-php', 'tree-sitter-php.wasm'],
];

export class DoctorCommand extends AssistCommand {
  static override paths = [['doctor']];
  static override usage = Command.Usage({
    description: 'check that assist can work here, and say how to fix what is missing',
    details: `
      Checks git and its version, whether this is a repository (a linked worktree, a submodule), the config files, which provider keys are present (names only, never values), the model setting, the git hooks, the MCP servers (each started and stopped again), and whether the tree-sitter grammars load. Exits 1 when a check fails. Works with no model configured.
    `,
    examples: [['Check this repository', '$0 doctor']],
  });

  async run(): Promise<number> {
    const checks: Check[] = [];
    const env = this.context.env;
    const cwd = this.context.cwd;

    const gitVersion = await execText('git', ['--version'], { cwd, env });
    const version = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(gitVersion.stdout);
    if (gitVersion.code !== 0 || !version) {
      checks.push({ level: 'fail', what: 'git not found', fix: 'install git 2.36 or newer and put it on PATH' });
    } else {
      const major = Number(version[1]);
      const minor = Number(version[2]);
      const ok = major > 2 || (major === 2 && minor >= 36);
      checks.push(
        ok
          ? { level: 'ok', what: `git ${version[0]}` }
          : { level: 'fail', what: `git ${version[0]} is too old (needs \`git hook run\`, git 2.36+)`, fix: 'upgrade git' },
      );
    }

    let repo = null;
    try {
      repo = await this.repo(true);
    } catch (error) {
      checks.push({ level: 'fail', what: error instanceof AssistError ? error.message : String(error), fix: 'run `git status` to see what git says' });
    }
    if (repo) {
      const linked = repo.gitDir !== repo.commonDir;
      const superproject = (await execText('git', ['rev-parse', '--show-superproject-working-tree'], { cwd, env })).stdout.trim();
      const head = await execText('git', ['symbolic-ref', '-q', '--short', 'HEAD'], { cwd, env });
      const where = [`repository ${repo.root}`, linked ? '(linked worktree)' : '', superproject ? `(submodule of ${superproject})` : ''].filter(Boolean).join(' ');
      checks.push({ level: 'ok', what: where });
      checks.push(head.code === 0 ? { level: 'ok', what: `on branch ${head.stdout.trim()}` } : { level: 'warn', what: 'HEAD is detached', fix: 'a session branch will start from this commit; `git switch <branch>` if you meant to be on one' });
    } else if (checks.every((c) => c.level !== 'fail' || !c.what.startsWith('not a git'))) {
      checks.push({ level: 'warn', what: `not in a git repository (${cwd})`, fix: 'run assist inside a repository, or `git init` one' });
    }

    let loaded: LoadedConfig | undefined;
    let fallback: string[] = [];
    let apiKeyEnvs: Record<string, string | undefined> = {};
    try {
      loaded = await this.config({}, repo);
      fallback = loaded.config.fallback;
      apiKeyEnvs = Object.fromEntries(Object.entries(loaded.config.llm).map(([p, c]) => [p, c.api_key_env]));
      const files = [loaded.userFileExists ? loaded.userFile : null, loaded.projectFile].filter(Boolean);
      checks.push({ level: 'ok', what: files.length > 0 ? `config valid (${files.join(', ')})` : 'no config files (defaults apply)' });
      if (loaded.ignoredUntrusted.length > 0) {
        checks.push({ level: 'warn', what: `.assist.toml is not trusted: ${loaded.ignoredUntrusted.join(', ')} ignored`, fix: 'review it, then `assist trust`' });
      }
    } catch (error) {
      const e = error instanceof AssistError ? error : undefined;
      checks.push({ level: 'fail', what: e ? e.message : String(error), fix: e?.hint ?? 'fix the config file' });
    }

    const keyNames: Record<string, string> = {
      anthropic: apiKeyEnvs.anthropic ?? 'ANTHROPIC_API_KEY',
      openai: apiKeyEnvs.openai ?? 'OPENAI_API_KEY',
      // The Gemini key may be under either of the two names its SDK knows; GEMINI_API_KEY is read first.
      google: apiKeyEnvs.google ?? (!env.GEMINI_API_KEY && env.GOOGLE_API_KEY ? 'GOOGLE_API_KEY' : 'GEMINI_API_KEY'),
    };
    for (const [provider, name] of Object.entries(keyNames)) {
      checks.push(
        (env[name] ?? '') !== ''
          ? { level: 'ok', what: `${provider}: ${name} is set` }
          : { level: 'warn', what: `${provider}: ${name} is not set`, fix: `export ${name}=... to use ${provider} models` },
      );
    }
    const gemini = ['GEMINI_API_KEY', 'GOOGLE_API_KEY'].find((name) => (env[name] ?? '') !== '');
    checks.push(gemini ? { level: 'ok', what: `google: ${gemini} is set` } : { level: 'warn', what: 'google: GEMINI_API_KEY (or GOOGLE_API_KEY) is not set', fix: 'export GEMINI_API_KEY=... to use google models' });
    checks.push({ level: 'ok', what: `ollama: ${env.OLLAMA_HOST ? `OLLAMA_HOST=${env.OLLAMA_HOST}` : 'OLLAMA_HOST not set (default http://127.0.0.1:11434)'}` });
    // The model chat and run would use, chosen as they choose it (an Ollama server is asked for its models).
    const { chooseModel, configModel } = await import('../../llm/choose-model.js');
    try {
      const choice = await chooseModel({ env, ...(loaded ? { config: configModel(loaded) } : {}) });
      checks.push({ level: 'ok', what: `model ${choice.model} (${choice.why})${fallback.length ? `, fallback ${fallback.join(', ')}` : ''}` });
    } catch (error) {
      if (!(error instanceof AssistError)) throw error;
      checks.push({
        level: 'warn',
        what: 'no model: chat, run and pr need one (map and doctor do not)',
        fix: 'export ANTHROPIC_API_KEY, OPENAI_API_KEY or GEMINI_API_KEY; or run Ollama with a model pulled; or set ASSIST_MODEL / `assist config set model anthropic/claude-sonnet-4-5 --global`',
      });
    }

    if (repo) {
      const hooksDir = (await execText('git', ['rev-parse', '--path-format=absolute', '--git-path', 'hooks'], { cwd, env })).stdout.trim();
      const { readFile } = await import('node:fs/promises');
      const { join } = await import('node:path');
      const hookText = await readFile(join(hooksDir, 'post-commit'), 'utf8').catch(() => '');
      checks.push(
        hookText.includes('assist')
          ? { level: 'ok', what: 'git hooks installed' }
          : { level: 'warn', what: 'git hooks not installed: tags and summaries refresh only when assist runs', fix: '`assist hooks install`' },
      );
    }

    if (loaded) checks.push(...(await checkMcp(this, loaded, repo?.root ?? cwd)));

    checks.push(await checkGrammars());

    const bwrap = await execText('bwrap', ['--ro-bind', '/', '/', 'true']);
    checks.push(
      bwrap.code === 0
        ? { level: 'ok', what: 'bubblewrap works: model-requested commands run sandboxed' }
        : { level: 'warn', what: 'bubblewrap unavailable: model-requested commands will need explicit approval', fix: 'install bubblewrap (e.g. `apt-get install bubblewrap`)' },
    );

    const r = this.reporter;
    const label: Record<Level, string> = { ok: r.out.green('ok  '), warn: r.out.yellow('warn'), fail: r.out.red('FAIL') };
    for (const check of checks) {
      r.print(`${label[check.level]}  ${check.what}`);
      if (check.fix && check.level !== 'ok') r.print(`      fix: ${check.fix}`);
    }
    const failed = checks.filter((c) => c.level === 'fail').length;
    return failed > 0 ? 1 : 0;
  }
}

/** One line per MCP server (started to find out, then stopped), as `assist mcp list` shows them. */
async function checkMcp(command: AssistCommand, loaded: LoadedConfig, root: string): Promise<Check[]> {
  const { mcpReports } = await import('../mcp-report.js');
  const reports = await mcpReports(command, loaded, root);
  if (reports.length === 0) return [{ level: 'ok', what: 'no MCP servers configured' }];
  return reports.map((s): Check => {
    switch (s.state) {
      case 'ok':
        return { level: 'ok', what: `MCP server ${s.name}: ok (${s.era ?? 'unknown era'}${s.version ? ` ${s.version}` : ''}, ${s.tools.length} tool${s.tools.length === 1 ? '' : 's'})` };
      case 'disabled':
        return { level: 'ok', what: `MCP server ${s.name}: disabled` };
      case 'needs-login':
        return { level: 'warn', what: `MCP server ${s.name}: needs authorization`, fix: `\`assist mcp login ${s.name}\`` };
      case 'untrusted':
        return { level: 'warn', what: `MCP server ${s.name}: not started (.assist.toml is not trusted)`, fix: 'review .assist.toml, then `assist trust`' };
      default:
        return { level: 'warn', what: `MCP server ${s.name}: ${s.reason ?? s.state}`, fix: `check mcp.servers.${s.name} in your config (\`assist mcp list\` shows the servers)` };
    }
  });
}

async function checkGrammars(): Promise<Check> {
  const started = Date.now();
  try {
    const { createRequire } = await import('node:module');
    const { dirname, join } = await import('node:path');
    const { Parser, Language } = await import('web-tree-sitter');
    await Parser.init();
    const require = createRequire(import.meta.url);
    const failed: string[] = [];
    for (const [pkg, wasm] of GRAMMARS) {
      try {
        await Language.load(join(dirname(require.resolve(`${pkg}/package.json`)), wasm));
      } catch {
        failed.push(wasm);
      }
    }
    if (failed.length > 0) return { level: 'fail', what: `tree-sitter grammars failed to load: ${failed.join(', ')}`, fix: 'reinstall assist (npm ci)' };
    return { level: 'ok', what: `${GRAMMARS.length} tree-sitter grammars load (${Date.now() - started} ms)` };
  } catch (error) {
    return { level: 'fail', what: `tree-sitter does not load: ${(error as Error).message}`, fix: 'reinstall assist (npm ci)' };
  }
}
