import type { ReplayedEvent, TurnContext } from '../git/index.js';
import { languageForPath } from './languages.js';

/** How one turn's context served (DESIGN §6 "Effectiveness"). */
export interface TurnOutcome {
  session: string;
  request: string;
  strategy: string;
  /** Context tokens the turn sent (map, chunks, summaries, chat files). */
  tokens: number;
  /** Files edited that were in the context. */
  hits: string[];
  /** Files the model read, or edited, that the context did not hold: it had to find them itself. */
  misses: string[];
  /** Searches the model made itself (search, semantic_search, list_files, repo_map calls). */
  searches: number;
  /** Files edited (committed), and how many of those edits were undone later. */
  edited: string[];
  undone: string[];
  /** Edits the person declined (or a hook refused). */
  declined: number;
  /** The context the turn sent. */
  context: TurnContext;
}

/** Rates of a group of turns: per strategy, or per strategy and language. */
export interface EffectivenessRates {
  turns: number;
  hits: number;
  misses: number;
  /** hits / (hits + misses); null with neither. */
  hit_rate: number | null;
  miss_rate: number | null;
  edited: number;
  undone: number;
  /** undone / edited; null with no edit. */
  undo_rate: number | null;
  declined: number;
}

export interface StrategyStats extends EffectivenessRates {
  strategy: string;
  tokens_per_turn: number;
  searches_per_turn: number;
  /** By the language of the files hit, missed, edited and undone (`other` for files no grammar covers). */
  languages: (EffectivenessRates & { language: string })[];
}

/** What `assist stats context` reports. */
export interface ContextStats {
  sessions: number;
  turns: number;
  strategies: StrategyStats[];
}

const SEARCH_TOOLS = new Set(['search', 'semantic_search', 'list_files', 'repo_map']);
const EDIT_TOOLS = new Set(['edit_file', 'write_file']);

function filesOf(context: TurnContext): Set<string> {
  const files = new Set<string>([...context.files, ...context.map, ...context.summaries.filter((f) => f !== '')]);
  for (const chunk of context.chunks) {
    const colon = chunk.lastIndexOf(':');
    files.add(colon > 0 ? chunk.slice(0, colon) : chunk);
  }
  return files;
}

function readPath(args: string): string | undefined {
  try {
    const parsed = JSON.parse(args) as { path?: unknown };
    return typeof parsed.path === 'string' ? parsed.path.replace(/^(\.\/)+/, '') : undefined;
  } catch {
    return undefined;
  }
}

/** The outcome of each turn of a session that recorded its context (older turns did not). */
export function turnOutcomes(events: readonly ReplayedEvent[]): TurnOutcome[] {
  const turns = new Map<string, { context: TurnContext; outcome: TurnOutcome }>();
  const turnOf = (request: string | undefined): { context: TurnContext; outcome: TurnOutcome } | undefined => {
    if (request === undefined) return undefined;
    // A step of a tool loop is `<turn request>.<step>`.
    return turns.get(request) ?? turns.get(request.replace(/\.\d+$/, ''));
  };
  const read = new Map<string, Set<string>>();
  for (const event of events) {
    if (event.type === 'message') {
      if (!event.context) continue;
      const c = event.context;
      turns.set(event.request, {
        context: c,
        outcome: { session: event.session, request: event.request, strategy: c.strategy, tokens: c.tokens.map + c.tokens.chunks + c.tokens.summaries + c.tokens.files, hits: [], misses: [], searches: 0, edited: [], undone: [], declined: 0, context: c },
      });
      read.set(event.request, new Set());
    } else if (event.type === 'tool') {
      const turn = turnOf(event.turn);
      if (!turn) continue;
      if (SEARCH_TOOLS.has(event.name)) turn.outcome.searches++;
      else if (event.name === 'read_file' && event.ok) {
        const path = readPath(event.arguments);
        if (path !== undefined) read.get(turn.outcome.request)!.add(path);
      } else if (EDIT_TOOLS.has(event.name) && /\(declined\)$/.test(event.status)) turn.outcome.declined++;
    } else if (event.type === 'edit') {
      const turn = turnOf(event.request);
      if (!turn) continue;
      for (const file of event.files) {
        if (file.change === 'A') continue; // a new file can be in no context
        turn.outcome.edited.push(file.path);
        if (event.reverted) turn.outcome.undone.push(file.path);
      }
    } else if (event.type === 'refused') {
      const turn = turnOf(event.request);
      if (turn) turn.outcome.declined++;
    }
  }
  const out: TurnOutcome[] = [];
  for (const { context, outcome } of turns.values()) {
    const inContext = filesOf(context);
    const edited = new Set(outcome.edited);
    outcome.hits = [...edited].filter((f) => inContext.has(f)).sort();
    outcome.misses = [...new Set([...read.get(outcome.request)!, ...edited])].filter((f) => !inContext.has(f)).sort();
    out.push(outcome);
  }
  return out;
}

function rates(turns: number, hits: number, misses: number, edited: number, undone: number, declined: number): EffectivenessRates {
  const seen = hits + misses;
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    turns,
    hits,
    misses,
    hit_rate: seen === 0 ? null : round(hits / seen),
    miss_rate: seen === 0 ? null : round(misses / seen),
    edited,
    undone,
    undo_rate: edited === 0 ? null : round(undone / edited),
    declined,
  };
}

const languageOf = (path: string): string => languageForPath(path)?.id ?? 'other';

/** Hit, miss and undo rates and tokens per turn, per strategy and per language, over sessions' events. */
export function contextStats(sessions: readonly (readonly ReplayedEvent[])[]): ContextStats {
  const outcomes = sessions.flatMap((events) => turnOutcomes(events));
  const byStrategy = new Map<string, TurnOutcome[]>();
  for (const o of outcomes) {
    let list = byStrategy.get(o.strategy);
    if (!list) byStrategy.set(o.strategy, (list = []));
    list.push(o);
  }
  const strategies: StrategyStats[] = [];
  for (const [strategy, list] of [...byStrategy].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const sum = (f: (o: TurnOutcome) => number): number => list.reduce((s, o) => s + f(o), 0);
    const perLanguage = new Map<string, { turns: Set<string>; hits: number; misses: number; edited: number; undone: number }>();
    const bump = (path: string, o: TurnOutcome, key: 'hits' | 'misses' | 'edited' | 'undone'): void => {
      const language = languageOf(path);
      let entry = perLanguage.get(language);
      if (!entry) perLanguage.set(language, (entry = { turns: new Set(), hits: 0, misses: 0, edited: 0, undone: 0 }));
      entry.turns.add(`${o.session}/${o.request}`);
      entry[key]++;
    };
    for (const o of list) {
      for (const f of o.hits) bump(f, o, 'hits');
      for (const f of o.misses) bump(f, o, 'misses');
      for (const f of o.edited) bump(f, o, 'edited');
      for (const f of o.undone) bump(f, o, 'undone');
    }
    strategies.push({
      strategy,
      ...rates(list.length, sum((o) => o.hits.length), sum((o) => o.misses.length), sum((o) => o.edited.length), sum((o) => o.undone.length), sum((o) => o.declined)),
      tokens_per_turn: Math.round(sum((o) => o.tokens) / list.length),
      searches_per_turn: Math.round((sum((o) => o.searches) / list.length) * 100) / 100,
      languages: [...perLanguage]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([language, e]) => ({ language, ...rates(e.turns.size, e.hits, e.misses, e.edited, e.undone, 0) })),
    });
  }
  return { sessions: sessions.length, turns: outcomes.length, strategies };
}

/** What represents files outside the chat for a language under `hybrid` (besides the map, which every turn has). */
export type Representation = 'chunks' | 'summaries' | 'map';

/** In this order ties are broken: the default first, the cheapest last. */
export const REPRESENTATIONS: readonly Representation[] = ['chunks', 'summaries', 'map'];
/** What `hybrid` sends for a language until its figures say otherwise. */
export const DEFAULT_REPRESENTATION: Representation = 'chunks';
/** Turns of a language under a representation before its figures count. */
export const MIN_TURNS = 5;
/** Below this hit rate the best representation is not worth its tokens: the map alone. */
export const SERVED_FLOOR = 0.1;
/**
 * The share of a language's turns that may go to representations with too few turns to count:
 * without it hybrid only ever measures what it already sends, and never learns that another
 * representation would serve better. Bounded: an option leaves exploration at `MIN_TURNS` turns.
 */
export const EXPLORE_SHARE = 0.2;

/** Hits and misses of files outside the chat, per language and per what represented that language in the turn. */
export type LanguageFigures = Record<string, Partial<Record<Representation, { turns: number; hits: number; misses: number }>>>;

/** The representation a turn gave files of `language`: the strategy's, or hybrid's recorded choice. */
function representationIn(context: TurnContext, language: string): Representation | null {
  if (context.strategy === 'chunks') return 'chunks';
  if (context.strategy === 'summary') return 'summaries';
  if (context.strategy !== 'hybrid') return null;
  const chosen = context.languages?.[language];
  return chosen !== undefined && (REPRESENTATIONS as readonly string[]).includes(chosen) ? (chosen as Representation) : DEFAULT_REPRESENTATION;
}

/**
 * The figures the hybrid chooser reads, over one session's events: a file the model edited that
 * the outside context held is a hit, a file it read or edited that nothing held is a miss. Files of
 * the chat are left out: they say nothing of how the files outside it were represented.
 */
export function languageFigures(events: readonly ReplayedEvent[]): LanguageFigures {
  const out: LanguageFigures = {};
  for (const o of turnOutcomes(events)) {
    const chat = new Set(o.context.files);
    const seen = new Set<string>();
    const add = (path: string, key: 'hits' | 'misses'): void => {
      const language = languageOf(path);
      const rep = representationIn(o.context, language);
      if (rep === null) return;
      const entry = ((out[language] ??= {})[rep] ??= { turns: 0, hits: 0, misses: 0 });
      if (!seen.has(`${language}\0${rep}`)) {
        seen.add(`${language}\0${rep}`);
        entry.turns++;
      }
      entry[key]++;
    };
    for (const f of o.hits) if (!chat.has(f)) add(f, 'hits');
    for (const f of o.misses) add(f, 'misses');
  }
  return out;
}

/** Sums figures of several sessions (their turns are distinct). */
export function mergeFigures(list: readonly LanguageFigures[]): LanguageFigures {
  const out: LanguageFigures = {};
  for (const figures of list) {
    for (const [language, reps] of Object.entries(figures)) {
      for (const rep of REPRESENTATIONS) {
        const f = reps[rep];
        if (!f) continue;
        const entry = ((out[language] ??= {})[rep] ??= { turns: 0, hits: 0, misses: 0 });
        entry.turns += f.turns;
        entry.hits += f.hits;
        entry.misses += f.misses;
      }
    }
  }
  return out;
}

/** What hybrid sends for one language, and why (`--verbose`). */
export interface LanguageChoice {
  language: string;
  representation: Representation;
  /** One line: the figures that decided. */
  reason: string;
}

/**
 * Hybrid's choice per language (DESIGN §6 "Effectiveness"), deterministic for the same figures:
 * among the representations with at least `minTurns` turns, the highest hit rate (ties: chunks,
 * then summaries, then map); none with enough turns keeps the default; a best below
 * `floor` gives the map alone (it served no better, and costs nothing more). Languages without
 * figures are not listed: they get the default.
 *
 * With `explore`, a language that has a counted best but where one of those representations has
 * fewer than `minTurns` turns tries it (the one with the fewest turns; ties in the fixed order)
 * while such tries hold under `EXPLORE_SHARE` of the language's turns: the rest of the time, and
 * once every option has its turns, the figures decide alone.
 */
export function chooseRepresentations(figures: LanguageFigures, options: { minTurns?: number; floor?: number; explore?: readonly Representation[] } = {}): LanguageChoice[] {
  const minTurns = options.minTurns ?? MIN_TURNS;
  const floor = options.floor ?? SERVED_FLOOR;
  const explore = options.explore ?? [];
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  const out: LanguageChoice[] = [];
  for (const language of Object.keys(figures).sort()) {
    const reps = figures[language]!;
    const said: string[] = [];
    let best: { rep: Representation; rate: number } | null = null;
    let total = 0;
    for (const rep of REPRESENTATIONS) {
      const f = reps[rep];
      if (!f) continue;
      total += f.turns;
      const rate = f.hits + f.misses === 0 ? 0 : f.hits / (f.hits + f.misses);
      said.push(`${rep} ${pct(rate)} hit of ${f.turns} turn${f.turns === 1 ? '' : 's'}`);
      // Compared in thousandths, as `stats context` shows them, so float noise never breaks a tie.
      if (f.turns >= minTurns && (best === null || Math.round(rate * 1000) > Math.round(best.rate * 1000))) best = { rep, rate };
    }
    const figuresText = said.join(', ');
    const untried = REPRESENTATIONS.filter((rep) => explore.includes(rep) && (reps[rep]?.turns ?? 0) < minTurns);
    const triedTurns = untried.reduce((sum, rep) => sum + (reps[rep]?.turns ?? 0), 0);
    if (best !== null && untried.length > 0 && triedTurns < EXPLORE_SHARE * total) {
      let next = untried[0]!;
      for (const rep of untried) if ((reps[rep]?.turns ?? 0) < (reps[next]?.turns ?? 0)) next = rep;
      const had = reps[next]?.turns ?? 0;
      out.push({ language, representation: next, reason: `${figuresText}: trying ${next} (${had} of ${minTurns} turns; up to ${pct(EXPLORE_SHARE)} of turns go to options with too few)` });
    } else if (best === null) out.push({ language, representation: DEFAULT_REPRESENTATION, reason: `${figuresText}: fewer than ${minTurns} turns, the default` });
    else if (best.rate < floor && best.rep !== 'map') out.push({ language, representation: 'map', reason: `${figuresText}: the best (${best.rep}) under ${pct(floor)}, the map alone` });
    else out.push({ language, representation: best.rep, reason: `${figuresText}: ${best.rep} served best` });
  }
  return out;
}

/** The representation `choices` give a file outside the chat. */
export function representationFor(choices: readonly LanguageChoice[], path: string): Representation {
  const language = languageOf(path);
  return choices.find((c) => c.language === language)?.representation ?? DEFAULT_REPRESENTATION;
}
