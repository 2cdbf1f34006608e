import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AssistCommand } from './base.js';
import { execText } from '../util/exec.js';
import { AssistError } from '../errors.js';
import type { LoadedConfig } from '../config/index.js';

export type DoctorLevel = 'ok' | 'warn' | 'fail';

/** One line of `assist doctor`; `id` is stable, for scripts reading `--json`. */
export interface DoctorCheck {
  id: string;
  level: DoctorLevel;
  what: string;
  fix?: string;
}


/**
 * The checks of `assist doctor`, in the order they print. Apart from the command class, so that
 * `--help` and every other command do not load them.
 */
export async function doctorChecks(command: AssistCommand): Promise<DoctorCheck[]> {
    const checks: DoctorCheck[] = [];
    const env = command.context.env;
    const cwd = command.context.cwd;

    const gitVersion = await execText('git', ['--version'], { cwd, env });
    const version = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(gitVersion.stdout);
    if (gitVersion.code !== 0 || !version) {
      checks.push({ id: 'git', level: 'fail', what: 'git not found', fix: 'install git 2.36 or newer and put it on PATH' });
    } else {
      const major = Number(version[1]);
      const minor = Number(version[2]);
      const ok = major > 2 || (major === 2 && minor >= 36);
      checks.push(
        ok
          ? { id: 'git', level: 'ok', what: `git ${version[0]}` }
          : { id: 'git', level: 'fail', what: `git ${version[0]} is too old (needs \`git hook run\`, git 2.36+)`, fix: 'upgrade git' },
      );
    }

    let repo = null;
    try {
      repo = await command.repo(true);
    } catch (error) {
      checks.push({ id: 'repository', level: 'fail', what: error instanceof AssistError ? error.message : String(error), fix: 'run `git status` to see what git says' });
    }
    if (repo) {
      const linked = repo.gitDir !== repo.commonDir;
      const superproject = (await execText('git', ['rev-parse', '--show-superproject-working-tree'], { cwd, env })).stdout.trim();
      const head = await execText('git', ['symbolic-ref', '-q', '--short', 'HEAD'], { cwd, env });
      const where = [`repository ${repo.root}`, linked ? '(linked worktree)' : '', superproject ? `(submodule of ${superproject})` : ''].filter(Boolean).join(' ');
      checks.push({ id: 'repository', level: 'ok', what: where });
      checks.push(head.code === 0 ? { id: 'branch', level: 'ok', what: `on branch ${head.stdout.trim()}` } : { id: 'branch', level: 'warn', what: 'HEAD is detached', fix: 'a session branch will start from this commit; `git switch <branch>` if you meant to be on one' });
    } else if (checks.every((c) => c.level !== 'fail' || !c.what.startsWith('not a git'))) {
      checks.push({ id: 'repository', level: 'warn', what: `not in a git repository (${cwd})`, fix: 'run assist inside a repository, or `git init` one' });
    }

    let loaded: LoadedConfig | undefined;
    let fallback: string[] = [];
    let apiKeyEnvs: Record<string, string | undefined> = {};
    try {
      loaded = await command.config({}, repo);
      fallback = loaded.config.fallback;
      apiKeyEnvs = Object.fromEntries(Object.entries(loaded.config.llm).map(([p, c]) => [p, c.api_key_env]));
      const files = [loaded.userFileExists ? loaded.userFile : null, loaded.projectFile].filter(Boolean);
      checks.push({ id: 'config', level: 'ok', what: files.length > 0 ? `config valid (${files.join(', ')})` : 'no config files (defaults apply)' });
      if (loaded.ignoredUntrusted.length > 0) {
        checks.push({ id: 'trust', level: 'warn', what: `.assist.toml is not trusted: ${loaded.ignoredUntrusted.join(', ')} ignored`, fix: 'review it, then `assist trust`' });
      }
    } catch (error) {
      const e = error instanceof AssistError ? error : undefined;
      checks.push({ id: 'config', level: 'fail', what: e ? e.message : String(error), fix: e?.hint ?? 'fix the config file' });
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
          ? { id: `key.${provider}`, level: 'ok', what: `${provider}: ${name} is set` }
          : { id: `key.${provider}`, level: 'warn', what: `${provider}: ${name} is not set`, fix: `export ${name}=... to use ${provider} models` },
      );
    }
    checks.push({ id: 'key.ollama', level: 'ok', what: `ollama: ${env.OLLAMA_HOST ? `OLLAMA_HOST=${env.OLLAMA_HOST}` : 'OLLAMA_HOST not set (default http://127.0.0.1:11434)'}` });
    // The model chat and run would use, chosen as they choose it (an Ollama server is asked for its models).
    const { chooseModel, configModel } = await import('../llm/choose-model.js');
    try {
      const choice = await chooseModel({ env, ...(loaded ? { config: configModel(loaded) } : {}) });
      checks.push({ id: 'model', level: 'ok', what: `model ${choice.model} (${choice.why})${fallback.length ? `, fallback ${fallback.join(', ')}` : ''}` });
    } catch (error) {
      if (!(error instanceof AssistError)) throw error;
      checks.push({
        id: 'model',
        level: 'warn',
        what: 'no model: chat, run and pr need one (map and doctor do not)',
        fix: 'export ANTHROPIC_API_KEY, OPENAI_API_KEY or GEMINI_API_KEY; or run Ollama with a model pulled; or set ASSIST_MODEL / `assist config set model anthropic/claude-sonnet-5-5 --global`',
      });
    }

    if (repo) {
      const hooksDir = (await execText('git', ['rev-parse', '--path-format=absolute', '--git-path', 'hooks'], { cwd, env })).stdout.trim();
      const hookText = await readFile(join(hooksDir, 'post-commit'), 'utf8').catch(() => '');
      checks.push(
        hookText.includes('assist')
          ? { id: 'hooks', level: 'ok', what: 'git hooks installed' }
          : { id: 'hooks', level: 'warn', what: 'git hooks not installed: tags and summaries refresh only when assist runs', fix: '`assist hooks install`' },
      );
    }

    if (repo) checks.push(await checkInstructions(repo.root, cwd, env));
    if (repo) checks.push(...(await checkTests(repo.root, env, loaded?.config.test.cmd)));
    checks.push(await checkGrammars());
    if (loaded) checks.push(...(await checkMcp(command, loaded, repo?.root ?? cwd)));
    if (loaded) checks.push(...checkAgentHooks(loaded));

    const bwrap = await execText('bwrap', ['--ro-bind', '/', '/', 'true']);
    checks.push(
      bwrap.code === 0
        ? { id: 'sandbox', level: 'ok', what: 'bubblewrap works: model-requested commands run sandboxed' }
        : { id: 'sandbox', level: 'warn', what: 'bubblewrap unavailable: model-requested commands will need explicit approval', fix: 'install bubblewrap (e.g. `apt-get install bubblewrap`)' },
    );

    return checks;
}

/** One line per agent hook (DESIGN §6b), in the order they run; a project file's that wait for `assist trust` as a warning. */
function checkAgentHooks(loaded: LoadedConfig): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  for (const [event, hooks] of Object.entries(loaded.config.agentHooks)) {
    hooks.forEach((h, i) => {
      const match = h.match && (event === 'pre_tool' || event === 'post_tool') ? ` for ${h.match}` : '';
      checks.push({ id: `agent_hooks.${event}.${i}`, level: 'ok', what: `agent hook ${event}${match}: \`${h.command}\` (timeout ${h.timeoutS} s, ${h.origin})` });
    });
  }
  const waiting = [...new Set(loaded.ignoredUntrusted.filter((k) => k.startsWith('agent_hooks.')).map((k) => k.split('.').slice(0, 3).join('.')))];
  if (waiting.length > 0) checks.push({ id: 'agent_hooks.untrusted', level: 'warn', what: `agent hooks of .assist.toml not run until trusted: ${waiting.join(', ')}`, fix: 'review them, then `assist trust`' });
  if (checks.length === 0) checks.push({ id: 'agent_hooks', level: 'ok', what: 'no agent hooks configured' });
  return checks;
}

/**
 * The tests `run_tests`, `/test`, auto-test and `pr` would run: the configured or detected
 * command, or, in a workspace, each package with its command (DESIGN §6 "Tests").
 */
async function checkTests(root: string, env: NodeJS.ProcessEnv, configured: string | undefined): Promise<DoctorCheck[]> {
  const { detectTestSetup } = await import('../session/test-command.js');
  const { isWorkspace } = await import('../testing/index.js');
  const setup = await detectTestSetup(root, env);
  const checks: DoctorCheck[] = [];
  if (configured) checks.push({ id: 'tests', level: 'ok', what: `test command: ${configured} (config test.cmd${isWorkspace(setup.workspace) ? ': it runs instead of the packages\' commands' : ''})` });
  if (!isWorkspace(setup.workspace)) {
    if (!configured) checks.push(setup.rootCommand ? { id: 'tests', level: 'ok', what: `test command: ${setup.rootCommand}` } : { id: 'tests', level: 'ok', what: 'no test command detected: run_tests, /test and auto-test need one', fix: '`assist config set test.cmd "..."`' });
    return checks;
  }
  const { kind, packages } = setup.workspace;
  if (!configured) checks.push({ id: 'tests', level: 'ok', what: `${kind} workspace, ${packages.length} package${packages.length === 1 ? '' : 's'}: a change runs the tests of the packages it touches${setup.rootCommand ? `; files outside them: ${setup.rootCommand} at the root` : ''}` });
  for (const pkg of packages) {
    checks.push({ id: 'tests.package', level: 'ok', what: `package ${pkg.dir === '' ? '.' : pkg.dir} (${pkg.name}): ${pkg.command ?? 'no test command in its manifest'}${pkg.framework && pkg.command ? ` [${pkg.framework}]` : ''}` });
  }
  return checks;
}

/** The instruction files a session started here would send (DESIGN §6 "Instructions"), with their sizes. */
async function checkInstructions(root: string, cwd: string, env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const { loadInstructions } = await import('../context/instructions.js');
  const { describeInstructions } = await import('../context/instructions-report.js');
  const found = await loadInstructions({ root, cwd, env });
  const lines = describeInstructions(found);
  if (found.files.length === 0 && found.leftOut.length === 0 && found.notes.length === 0) {
    return { id: 'instructions', level: 'ok', what: `${lines[0] ?? ''}: \`assist init\` writes a starting AGENTS.md` };
  }
  const what = `instructions: ${lines.join('; ')}`;
  if (found.leftOut.length > 0) return { id: 'instructions', level: 'warn', what, fix: 'shorten the instruction files, or move detail into files the model reads when it needs them' };
  if (found.notes.length > 0) return { id: 'instructions', level: 'warn', what, fix: 'fix or remove the @path lines named above' };
  return { id: 'instructions', level: 'ok', what };
}

/** Loads every grammar the repo map uses, from where the map would (the copies shipped in `dist/grammars/`). */
/** One line per MCP server (started to find out, then stopped), as `assist mcp list` shows them. */
async function checkMcp(command: AssistCommand, loaded: LoadedConfig, root: string): Promise<DoctorCheck[]> {
  const { mcpReports } = await import('./mcp-report.js');
  const reports = await mcpReports(command, loaded, root);
  if (reports.length === 0) return [{ id: 'mcp', level: 'ok', what: 'no MCP servers configured' }];
  return reports.map((s): DoctorCheck => {
    const id = `mcp.${s.name}`;
    switch (s.state) {
      case 'ok':
        return { id, level: 'ok', what: `MCP server ${s.name}: ok (${s.era ?? 'unknown era'}${s.version ? ` ${s.version}` : ''}, ${s.tools.length} tool${s.tools.length === 1 ? '' : 's'})` };
      case 'disabled':
        return { id, level: 'ok', what: `MCP server ${s.name}: disabled` };
      case 'needs-login':
        return { id, level: 'warn', what: `MCP server ${s.name}: needs authorization`, fix: `\`assist mcp login ${s.name}\`` };
      case 'untrusted':
        return { id, level: 'warn', what: `MCP server ${s.name}: not started (.assist.toml is not trusted)`, fix: 'review .assist.toml, then `assist trust`' };
      default:
        return { id, level: 'warn', what: `MCP server ${s.name}: ${s.reason ?? s.state}`, fix: `check mcp.servers.${s.name} in your config (\`assist mcp list\` shows the servers)` };
    }
  });
}

async function checkGrammars(): Promise<DoctorCheck> {
  const started = Date.now();
  const fix = 'reinstall assist; from a checkout: `npm ci && npm run build`';
  try {
    const { languages, grammarSource } = await import('../context/languages.js');
    const { Parser, Language } = await import('web-tree-sitter');
    await Parser.init();
    const failed: string[] = [];
    let dir = '';
    for (const spec of languages) {
      try {
        const source = grammarSource(spec);
        dir = dirname(source.path);
        await Language.load(source.path);
      } catch {
        failed.push(spec.wasm);
      }
    }
    if (failed.length > 0) return { id: 'grammars', level: 'fail', what: `tree-sitter grammars failed to load: ${failed.join(', ')}`, fix };
    return { id: 'grammars', level: 'ok', what: `${languages.length} tree-sitter grammars load (${Date.now() - started} ms, ${dir})` };
  } catch (error) {
    return { id: 'grammars', level: 'fail', what: `tree-sitter does not load: ${(error as Error).message}`, fix };
  }
}
