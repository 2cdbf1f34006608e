import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { draftAgentsFile, makeTargets } from './agents-draft.js';

describe('draftAgentsFile', () => {
  it('names the package.json scripts with the package manager, the folders, languages and workspaces', async () => {
    await using repo = tempRepo({
      files: {
        'package.json': JSON.stringify({ packageManager: 'pnpm@9.0.0', workspaces: ['packages/*'], scripts: { zeta: 'node z.js', test: 'vitest run', build: 'tsc -p .', lint: 'eslint .', pretest: 'echo' } }),
        'pnpm-workspace.yaml': "packages:\n  - 'apps/*'\n",
        'src/a.ts': 'export const a = 1;\n',
        'src/b.ts': 'export const b = 1;\n',
        'src/c.js': 'module.exports = 1;\n',
        'docs/x.md': '# x\n',
        'README.md': '# r\n',
      },
    });
    const draft = await draftAgentsFile(repo.dir, repo.env);
    expect(draft.commands.map((c) => c.cmd)).toEqual(['pnpm install', 'pnpm run build', 'pnpm test', 'pnpm run lint', 'pnpm run zeta']);
    expect(draft.languages).toEqual([{ name: 'TypeScript', files: 2 }, { name: 'JavaScript', files: 1 }]);
    expect(draft.folders).toEqual([{ name: 'docs', files: 1 }, { name: 'src', files: 3 }]);
    expect(draft.workspaces).toEqual(['packages/*', 'apps/*']);
    expect(draft.imported).toBeNull();
    expect(draft.text).toContain('## Build and test\n\n- install: `pnpm install`\n- build: `pnpm run build`\n- test: `pnpm test`\n- lint: `pnpm run lint`\n- zeta: `pnpm run zeta`\n');
    expect(draft.text).toContain('- `src/`: 3 files');
    expect(draft.text).toContain('TypeScript (2 files), JavaScript (1 file)');
    expect(draft.text).toContain('- `packages/*`');
    expect(draft.text).not.toContain('pretest');
  });

  it('reads Makefile targets, Cargo workspaces, pyproject tools and go.mod; imports a CLAUDE.md so it stays read', async () => {
    await using repo = tempRepo({
      files: {
        Makefile: '.PHONY: all test\nall: build\nbuild:\n\tcc -o x x.c\ntest: build\n\t./x --test\n%.o: %.c\n\tcc -c $<\nVAR := 1\nx.o: x.c\n',
        'Cargo.toml': '[workspace]\nmembers = ["crates/a", "crates/b"]\n\n[profile.release]\nlto = true\n',
        'pyproject.toml': '[project]\nname = "p"\n\n[tool.ruff]\nline-length = 100\n',
        'go.mod': 'module example.com/x\n\ngo 1.22\n',
        'CLAUDE.md': 'Use tabs.\n',
        'crates/a/src/lib.rs': 'pub fn a() {}\n',
        'tests/test_x.py': 'def test_x(): pass\n',
      },
    });
    const draft = await draftAgentsFile(repo.dir, repo.env);
    expect(draft.commands.map((c) => c.cmd)).toEqual(['make all', 'make build', 'make test', 'cargo build', 'cargo test', 'cargo clippy', 'pip install -e .', 'pytest', 'ruff check .', 'go build ./...', 'go test ./...', 'go vet ./...']);
    expect(draft.workspaces).toEqual(['crates/a', 'crates/b']);
    expect(draft.imported).toBe('CLAUDE.md');
    expect(draft.text).toContain('\n@CLAUDE.md\n');
  });

  it('says so when it finds no command', async () => {
    await using repo = tempRepo({ files: { 'notes.txt': 'x\n' } });
    const draft = await draftAgentsFile(repo.dir, repo.env);
    expect(draft.commands).toEqual([]);
    expect(draft.text).toContain('- (no build or test commands found: write them here)');
  });
});

describe('makeTargets', () => {
  it('keeps the rules a person runs', () => {
    expect(makeTargets('.PHONY: a\na b: c\n\techo\n%.o: %.c\nX = 1\nY := 2\nout/file: a\nfoo.txt: a\nc::\n')).toEqual(['a', 'b', 'c']);
  });
});
