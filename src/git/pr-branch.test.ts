import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { dropEmptySession, openStore, squashSessionBranch, type EditBatch, type GitStore } from './index.js';

function batch(path: string, content: string, summary: string): EditBatch {
  return { files: [{ path, content }], summary, model: 'test/model', request: `req-${summary}` };
}

async function prSession(repo: TempRepo): Promise<{ store: GitStore; id: string; branch: string }> {
  const store = await openStore({ cwd: repo.dir, env: repo.env, command: 'test' });
  const { session } = await store.startSession({ branchName: (id) => `assist/pr-demo-${id}` });
  return { store, id: session.id, branch: session.branch ?? '' };
}

describe('PR branches', () => {
  it('startSession can name the branch; the session is found there', async () => {
    await using repo = tempRepo({ files: { 'a.txt': '1\n' } });
    const { store, id, branch } = await prSession(repo);
    try {
      expect(branch).toBe(`assist/pr-demo-${id}`);
      expect(repo.git('symbolic-ref', '--short', 'HEAD')).toBe(branch);
      expect(repo.git('config', `branch.${branch}.assistSession`)).toBe(id);
      expect(store.currentSession()?.id).toBe(id);
      expect((await store.session(id)).branch).toBe(branch);
    } finally {
      store.close();
    }
  });

  it('squashes the session branch in place: one commit, same tree, chain and checkpoint agree', async () => {
    await using repo = tempRepo({ files: { 'a.txt': '1\n' } });
    const base = repo.git('rev-parse', 'HEAD');
    const { store, id, branch } = await prSession(repo);
    try {
      await store.applyBatch(id, batch('a.txt', '2\n', 'two'));
      await store.applyBatch(id, batch('b.txt', 'b\n', 'bee'));
      const tip = repo.git('rev-parse', 'HEAD');
      const tree = repo.git('rev-parse', 'HEAD^{tree}');
      const result = await squashSessionBranch(store, { message: 'One commit\n\nbody\n' });
      expect(result.previous).toBe(tip);
      expect(repo.git('rev-parse', branch)).toBe(result.commit);
      expect(repo.git('rev-parse', `${branch}^`)).toBe(base);
      expect(repo.git('rev-parse', `${branch}^{tree}`)).toBe(tree);
      expect(repo.git('log', '-1', '--format=%B', branch)).toBe('One commit\n\nbody\n');
      expect(repo.git('rev-parse', `refs/assist/checkpoints/${id}/pre-squash`)).toBe(tip);
      expect(repo.git('status', '--porcelain')).toBe('');
      const events = await store.replay(id);
      expect(events.at(-1)).toMatchObject({ type: 'finish', mode: 'squash', onto: branch, commit: result.commit, tip: result.commit });
      // The chain agrees with the branch: a later write is not refused as "branch moved".
      await store.applyBatch(id, batch('c.txt', 'c\n', 'sea'));
    } finally {
      store.close();
    }
  });

  it('drops a session without commits completely, and refuses one with commits', async () => {
    await using repo = tempRepo({ files: { 'a.txt': '1\n' } });
    const { store, id, branch } = await prSession(repo);
    try {
      await expect(dropEmptySession(store, id)).rejects.toMatchObject({ code: 'git.drop-current' });
      repo.git('switch', '-q', 'main');
      await dropEmptySession(store, id);
      expect(repo.git('for-each-ref', 'refs/heads/assist/', 'refs/assist/')).toBe('');
      expect(repo.git('config', '--list').includes(`branch.${branch}`)).toBe(false);

      const second = await prSession(repo);
      second.store.close();
      await store.applyBatch(second.id, batch('a.txt', '2\n', 'two'));
      repo.git('switch', '-q', 'main');
      await expect(dropEmptySession(store, second.id)).rejects.toMatchObject({ code: 'git.drop-has-commits' });
      expect(repo.git('rev-parse', '--verify', second.branch)).toMatch(/^[0-9a-f]{40}$/);
    } finally {
      store.close();
    }
  });
});
