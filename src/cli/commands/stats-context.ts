import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import type { EffectivenessRates } from '../../context/effectiveness.js';

export class StatsContextCommand extends AssistCommand {
  static override paths = [['stats', 'context']];
  static override usage = Command.Usage({
    description: 'how well the context sent to the model served',
    details: `
      Reads every session's event chain in this repository. Each turn recorded what context it sent (the files of the chat, the repo map's files, chunks, summaries, and their tokens); what followed says whether it served: a file the model then edited that was in the context is a **hit**, a file it had to read (or edited without it being there) is a **miss**, and an edit that was undone later counts toward the **undo rate**.

      Reported per \`context.strategy\` and per language of the files: hit rate and miss rate (of hits + misses), tokens of context per turn, undo rate (of edited files), declined edits, and the model's own searches per turn. Turns recorded before assist kept these figures are left out.
    `,
    examples: [
      ['The figures of this repository', '$0 stats context'],
      ['As JSON, for scripts', '$0 stats context --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print {sessions, turns, strategies: [...]}' });

  async run(): Promise<number> {
    const { openStore } = await import('../../git/index.js');
    const { contextStats } = await import('../../context/effectiveness.js');
    const store = await openStore({ cwd: this.context.cwd, env: this.context.env, command: 'assist stats context' });
    let stats;
    try {
      const { cacheSessionFigures, sessionTips, CHAIN_PREFIX } = await import('../../context/effectiveness-cache.js');
      // Read before the chains, so a chain that moves meanwhile is read again by hybrid, not misfiled.
      const tips = sessionTips(store.repo.refsUnder(CHAIN_PREFIX));
      const sessions = await store.listSessions();
      const replayed = await Promise.all(sessions.map((s) => store.replay(s.id)));
      stats = contextStats(replayed);
      await cacheSessionFigures(store.repo.paths.commonDir, sessions.flatMap((s, i) => (tips.has(s.id) ? [{ id: s.id, tip: tips.get(s.id)!, events: replayed[i]! }] : [])));
    } finally {
      store.close();
    }
    if (this.json) {
      this.reporter.json(stats);
      return 0;
    }
    if (stats.turns === 0) {
      this.reporter.info('no turn has recorded its context yet: the figures start with the next chat or run');
      return 0;
    }
    const pct = (x: number | null): string => (x === null ? '-' : `${Math.round(x * 100)}%`);
    const row = (name: string, r: EffectivenessRates, extra: string[]): string[] => [
      name,
      String(r.turns),
      ...extra,
      `${pct(r.hit_rate)} (${r.hits})`,
      `${pct(r.miss_rate)} (${r.misses})`,
      `${pct(r.undo_rate)} (${r.undone}/${r.edited})`,
      String(r.declined),
    ];
    const rows: string[][] = [['strategy / language', 'turns', 'tokens/turn', 'searches/turn', 'hit rate', 'miss rate', 'undo rate', 'declined']];
    for (const s of stats.strategies) {
      rows.push(row(s.strategy, s, [s.tokens_per_turn.toLocaleString('en-US'), String(s.searches_per_turn)]));
      for (const l of s.languages) rows.push(row(`  ${l.language}`, l, ['', '']));
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd());
    this.reporter.print(`${stats.turns} turn${stats.turns === 1 ? '' : 's'} in ${stats.sessions} session${stats.sessions === 1 ? '' : 's'}\n${lines.join('\n')}`);
    return 0;
  }
}
