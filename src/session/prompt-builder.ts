import { access, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TurnContext } from '../git/index.js';
import type { LanguageChoice } from '../context/effectiveness.js';
import type { Instructions } from '../context/instructions.js';
import type { SectionCountStore } from '../context/section-counts.js';
import type { ChatMessage, ModelInfo, ToolResult, ToolSpec } from '../llm/types.js';
import { timePhase } from '../obs/phases.js';
import type { AuditLog } from '../sandbox/index.js';
import { fireHooks } from './agent-hooks.js';
import type { SessionCore } from './core.js';
import { trackedFiles, turnGitOf } from './turn-git.js';
import { exchangeMessages, type Exchange } from './history.js';
import { planSystemPrompt } from './plan-mode.js';
import { messageText, PromptCounter } from './prompt-size.js';
import { chooseFence, renderChatFiles, systemPrompt, toolSystemPrompt } from './prompts.js';
import { dropOrder, fileUses, mapPieces, renderContext, type ContextPiece } from './context-pieces.js';
import { noteVectors, turnVectors } from './turn-vectors.js';

/** What the last request carried, by part (`/tokens`). */
export interface PromptParts {
  /** The system prompt (and tool definitions) without the instruction files. */
  system: string;
  /** The instruction files as the system prompt carries them. */
  instructions: string;
  map: string;
  files: string;
  history: string;
}

/**
 * Builds each request's prompt: the files in the chat, the repo map and the outside context
 * (`context.strategy`), and the conversation fitted into the window (old tool results dropped
 * first, then older exchanges summarised).
 */
export class PromptBuilder {
  private lastPromptParts: PromptParts | null = null;
  private lastInstructions: Instructions | null = null;
  /** Exact counts of the prompt's parts: a step near the window counts only its new messages. */
  private readonly counter = new PromptCounter();
  /** Refusals already told: each is said once a session, not on every turn. */
  private readonly toldNotes = new Set<string>();

  constructor(private readonly core: SessionCore) {}

  /** What the last request carried, by part; null before the first. */
  get lastPrompt(): PromptParts | null {
    return this.lastPromptParts;
  }

  /**
   * The instruction files for the session's directory (DESIGN §6 "Instructions"), read again for
   * each turn so an edited AGENTS.md applies from the next one; unchanged files give the same
   * bytes, so the prefix stays cacheable.
   */
  async instructions(): Promise<Instructions> {
    const { loadInstructions } = await import('../context/instructions.js');
    try {
      const found = await loadInstructions({ root: this.core.root, cwd: this.core.options.cwd, env: this.core.options.env });
      for (const note of found.notes) {
        if (this.toldNotes.has(note)) continue;
        this.toldNotes.add(note);
        this.core.ui.status?.(`instructions: ${note}`);
      }
      if (found.leftOut.length > 0 && !this.toldNotes.has('left-out')) {
        this.toldNotes.add('left-out');
        this.core.ui.status?.(`instructions: over 32 KiB, left out: ${found.leftOut.map((f) => f.path).join(', ')}`);
      }
      this.lastInstructions = found;
      return found;
    } catch (error) {
      this.core.log?.warn('context.instructions-unavailable', { error: (error as Error).message });
      return { files: [], leftOut: [], notes: [], bytes: 0, text: '' };
    }
  }

  /** The instruction files of the last request; null before the first. */
  get lastInstructionFiles(): Instructions | null {
    return this.lastInstructions;
  }

  async buildPrompt(prompt: string, info: ModelInfo, request: string, mode: 'text' | 'tools', tools: readonly ToolSpec[] = []): Promise<{ system: string; messages: ChatMessage[]; maxOutputTokens: number; context: TurnContext }> {
    const fileContents: Array<{ path: string; content: string }> = [];
    const audit = this.core.audit();
    for (const file of this.core.files) {
      const content = await readFile(resolve(this.core.root, file), 'utf8').catch(() => null);
      if (content === null) continue;
      fileContents.push({ path: file, content });
      audit.append({ op: 'send', path: file, result: 'ok', requestId: request });
    }
    const fence = chooseFence(fileContents.map((f) => f.content));
    // Read while the map builds: the first turn of a session reads the repository's figures once.
    if (this.core.config.context.strategy === 'hybrid') void this.languageChoices();
    // Plan mode changes the system prompt for its turns only: the turn after `/go` is back on the act-mode prefix.
    const base = this.core.planMode
      ? planSystemPrompt({ tools: mode === 'tools' })
      : mode === 'tools'
        ? toolSystemPrompt({ readOnly: this.core.options.mode === 'explain' })
        : systemPrompt({ fence: '```' });
    // In the system prompt, the head of every cached prefix; never part of what compression touches.
    const instructions = await timePhase('prompt.instructions', () => this.instructions());
    const system = instructions.text === '' ? base : `${base}\n\n${instructions.text}`;
    const prefetched = this.prefetchedMap?.query === prompt ? this.prefetchedMap.map : null;
    this.prefetchedMap = null;
    const mapResult = await timePhase('prompt.map', () => prefetched ?? this.repoMap(prompt));
    const map = mapResult.text;
    const filesText = renderChatFiles(fileContents, fence);
    const { estimateTextTokens } = await import('../llm/estimate.js');
    // What this turn sends, for the effectiveness stats (DESIGN §6): the outside context adds its parts.
    const sent: TurnContext = { strategy: this.core.config.context.strategy, files: fileContents.map((f) => f.path), map: mapResult.files, chunks: [], summaries: [], tokens: { map: mapResult.tokens, chunks: 0, summaries: 0, files: estimateTextTokens(filesText) } };
    const outside = await timePhase('prompt.outside', () => this.outsideContext(prompt, mapResult.files, request, sent));
    let pieces = [...mapPieces(map, mapResult.files), ...outside];
    // Context that served least is dropped before history is summarised (DESIGN §6 "Token counts").
    const shrink = (excess: number): { context: string; dropped: ContextPiece[] } | null => {
      if (pieces.length === 0) return null;
      const order = dropOrder(pieces, fileUses([...new Set(pieces.map((p) => p.path))], this.core.history, prompt));
      const out = new Set<number>();
      let freed = 0;
      // Drops what the estimate says is enough (at least one piece), so the prompt is measured once per round.
      for (const i of order) {
        out.add(i);
        freed += estimateTextTokens(pieces[i]!.text);
        if (freed >= excess) break;
      }
      // In the order they went, for the log and the status line.
      const dropped = [...out].map((i) => pieces[i]!);
      pieces = pieces.filter((_, i) => !out.has(i));
      return { context: renderContext(pieces, filesText), dropped };
    };
    const fitted = await timePhase('prompt.fit', () => this.fitHistory(system, renderContext(pieces, filesText), prompt, info, tools, shrink));
    const { history, tokens: promptTokens, context } = fitted;
    if (fitted.dropped.length > 0) forgetDropped(sent, fitted.dropped, estimateTextTokens);
    const messages: ChatMessage[] = [];
    if (context) {
      messages.push({ role: 'user', content: context });
      messages.push({
        role: 'assistant',
        content: mode === 'tools' || this.core.planMode ? 'Understood. I will use the map and these files, and read or search for anything else I need.' : 'Understood. I will use these files and the map, and edit with SEARCH/REPLACE blocks.',
      });
    }
    for (const exchange of history) messages.push(...exchangeMessages(exchange));
    messages.push({ role: 'user', content: prompt });
    // The tool definitions travel with the system prompt on every request: /tokens counts them there.
    this.lastPromptParts = { system: tools.length > 0 ? base + JSON.stringify(tools) : base, instructions: instructions.text, map: renderContext(pieces, ''), files: filesText, history: history.map(exchangeText).join('') };
    // Services count the requested output against the window too: ask for what is left.
    const maxOutputTokens = Math.max(256, Math.min(info.maxOutput, info.contextWindow - promptTokens - 64));
    return { system, messages, maxOutputTokens, context: sent };
  }

  private prefetchedMap: { query: string; map: Promise<{ text: string; files: string[]; tokens: number }> } | null = null;

  /**
   * Starts building the repo map for a first message while the rest of the session opens (the map
   * is most of the time before a request; it needs nothing from the store).
   */
  prefetch(message: string): void {
    this.prefetchedMap = { query: message, map: this.repoMap(message) };
    // The search of the hybrid strategy starts too: when it finds chunks to fit, the tokenizer that
    // counts them starts loading at once; a request that finds none never loads it (~0.15 s of
    // the other core, and an exit that would wait for its compile).
    if (this.core.config.context.strategy === 'hybrid' && Math.floor(this.core.config.context.mapTokens / 2) >= 64) {
      this.prefetchedSearch = { query: message, hits: this.searchChunks(message) };
    }
  }

  private prefetchedSearch: { query: string; hits: Promise<SearchedChunk[]> } | null = null;

  private async repoMap(query: string): Promise<{ text: string; files: string[]; tokens: number }> {
    const budget = this.core.config.context.mapTokens;
    if (budget <= 0) return { text: '', files: [], tokens: 0 };
    try {
      const { buildRepoMap } = await import('../context/index.js');
      const recent = this.core.history.slice(-2).map((h) => h.user).join('\n');
      // context.embeddings: the retrieval fuses the stored vectors, the request embedded (shared with the hybrid search).
      const vectors = await turnVectors(this.core, query);
      const map = await buildRepoMap({
        cwd: this.core.root,
        tokens: budget,
        focusFiles: this.core.files,
        excludeFiles: this.core.files,
        query: `${recent}\n${query}`,
        maxFileBytes: this.core.config.context.maxFileBytes,
        env: this.core.options.env,
        listed: turnGitOf(this.core).sourceListing(),
        ...(vectors ? { vectors } : {}),
      });
      noteVectors(this.core, map.stats.vectors?.notice, query);
      return { text: map.text, files: map.files, tokens: map.tokens };
    } catch (error) {
      this.core.ui.status?.(`repo map unavailable: ${(error as Error).message.split('\n')[0] ?? ''}`);
      return { text: '', files: [], tokens: 0 };
    }
  }

  /**
   * What represents files outside the chat besides the map (`context.strategy`): `chunks`, the
   * parts of the map's best files most relevant to the request (tree-sitter chunks: whole
   * functions, classes, methods); `summary`, the per-file summaries of those files and the
   * repository's roll-up; `hybrid`, per language as the recorded figures chose
   * ({@link languageChoices}): the search index's best chunks for the request (any file, DESIGN §6
   * "Search"), or the summaries of the files it found, or the map alone; plus summaries for the
   * config and docs files the request names. Summaries are used stale rather than waited for.
   */
  private async outsideContext(prompt: string, mapFiles: readonly string[], request: string, sent: TurnContext): Promise<ContextPiece[]> {
    const strategy = this.core.config.context.strategy;
    const budget = Math.floor(this.core.config.context.mapTokens / 2);
    if (budget < 64) return [];
    const { languageForPath } = await import('../context/index.js');
    const audit = this.core.audit();
    const best = mapFiles.filter((f) => !this.core.chatFiles.has(f)).slice(0, 4);
    let summaryFiles: string[] = [];
    let chunkFiles: string[] = [];
    let searchedChunks: SearchedChunk[] = [];
    let foundOutside: SearchedChunk[] = [];
    let wanted: (chunk: SearchedChunk, summarised: ReadonlySet<string>) => boolean = () => true;
    if (strategy === 'summary') summaryFiles = ['', ...best];
    else if (strategy === 'chunks') chunkFiles = best;
    else {
      const prefetched = this.prefetchedSearch?.query === prompt ? this.prefetchedSearch.hits : null;
      this.prefetchedSearch = null;
      const [choices, found] = await timePhase('prompt.wait-outside', () => Promise.all([this.languageChoices(), prefetched ?? this.searchChunks(prompt)]));
      const { representationFor } = await import('../context/effectiveness.js');
      if (choices.length > 0) sent.languages = Object.fromEntries(choices.map((c) => [c.language, c.representation]));
      const outside = found.filter((h) => !this.core.chatFiles.has(h.file));
      foundOutside = outside;
      // A file whose language gets summaries but that has none yet (no refresh has run) gets its chunks.
      wanted = (h, summarised) => {
        const rep = representationFor(choices, h.file);
        return rep === 'chunks' || (rep === 'summaries' && !summarised.has(h.file));
      };
      searchedChunks = outside.filter((h) => representationFor(choices, h.file) !== 'map');
      // Summaries for the files the request names that are not source (config, docs), then for the
      // found files of languages whose summaries served best.
      const named = new Set(prompt.match(/[\w./-]+\.[A-Za-z0-9]+/g) ?? []);
      if (named.size > 0) summaryFiles = (await trackedFiles(this.core)).filter((f) => named.has(f) && !this.core.chatFiles.has(f) && languageForPath(f) === undefined).slice(0, 4);
      for (const file of new Set(outside.map((h) => h.file))) {
        if (summaryFiles.length >= 4) break;
        if (representationFor(choices, file) === 'summaries' && !summaryFiles.includes(file)) summaryFiles.push(file);
      }
    }
    const pieces: ContextPiece[] = [];
    const share = summaryFiles.length > 0 && (chunkFiles.length > 0 || searchedChunks.length > 0) ? Math.floor(budget / 2) : budget;
    if (summaryFiles.length > 0) pieces.push(...(await this.summariesText(summaryFiles, share, request, audit, sent)));
    if (chunkFiles.length > 0) pieces.push(...(await this.chunksText(prompt, chunkFiles, share, request, audit, true, sent)));
    const summarised = new Set(sent.summaries);
    searchedChunks = searchedChunks.filter((h) => wanted(h, summarised));
    // The searched chunks get what the summaries left of the budget.
    if (searchedChunks.length > 0) pieces.push(...(await this.searchedChunksText(searchedChunks, budget - sent.tokens.summaries, request, audit, sent)));
    await this.rememberChunkCounts(foundOutside, budget);
    return pieces;
  }

  /**
   * Counts the found chunks the fit did not take (a language hybrid gives the map or summaries, a
   * file already summarised), so that the same hits in a later turn load no tokenizer; then writes
   * what this turn counted
   * (a cache: a lost write only means counting again). Nothing new: nothing happens.
   */
  private async rememberChunkCounts(hits: readonly SearchedChunk[], budget: number): Promise<void> {
    if (hits.length === 0) return;
    try {
      const { chunksNeedCounting, countChunkUnits } = await import('../context/index.js');
      const known = await this.chunkCounts();
      if (chunksNeedCounting(hits, known, budget)) await countChunkUnits(hits, budget, known);
      void known.save().catch(() => undefined);
    } catch (error) {
      this.core.log?.warn('context.chunk-counts-unavailable', { error: (error as Error).message });
    }
  }

  private choices: Promise<LanguageChoice[]> | null = null;

  /**
   * Hybrid's representation per language, chosen once a session from this repository's recorded
   * turns (DESIGN §6 "Effectiveness"); each session's figures are cached by its chain tip, so
   * only sessions that moved are read again. `--verbose` shows one line per language.
   */
  private languageChoices(): Promise<LanguageChoice[]> {
    this.choices ??= timePhase('prompt.hybrid-choice', async () => {
      try {
        const [{ loadLanguageFigures, sessionTips, CHAIN_PREFIX, MAX_EXTEND }, { chooseRepresentations, DEFAULT_REPRESENTATION }] = await Promise.all([import('../context/effectiveness-cache.js'), import('../context/effectiveness.js')]);
        const store = this.core.store;
        // Summaries can be tried only where the refresher has written some (hooks installed).
        const summariesWritten = access(join(store.repo.paths.sharedAssistDir, 'summaries', 'index.json')).then(
          () => true,
          () => false,
        );
        const loaded = await loadLanguageFigures(store.repo.paths.commonDir, {
          // Read from the ref files, without starting git.
          tips: () => Promise.resolve(sessionTips(store.repo.refsUnder(CHAIN_PREFIX))),
          replay: (id) => store.replay(id),
          // A session that moved since the cache was written: only its new events, without git.
          since: (id, from) => store.replaySince(id, from, MAX_EXTEND),
        });
        const summaries = await summariesWritten;
        const choices = chooseRepresentations(loaded.figures, { explore: summaries ? ['summaries', 'map'] : ['map'] });
        this.core.log?.info('context.hybrid_choice', { sessions: loaded.sessions, replayed: loaded.replayed, extended: loaded.extended, pending: loaded.pending, choices: Object.fromEntries(choices.map((c) => [c.language, c.representation])) });
        if (loaded.pending > 0) this.core.ui.detail?.(`hybrid: ${loaded.pending} of ${loaded.sessions} sessions not read yet (read a few each session): their turns count from a later session`);
        if (choices.length === 0) this.core.ui.detail?.(`hybrid: no recorded turns yet in ${loaded.sessions} session${loaded.sessions === 1 ? '' : 's'}: ${DEFAULT_REPRESENTATION} for every language`);
        for (const c of choices) this.core.ui.detail?.(`hybrid: ${c.language}: ${c.representation} (${c.reason})`);
        return choices;
      } catch (error) {
        this.core.log?.warn('context.hybrid_choice_unavailable', { error: (error as Error).message });
        return [];
      }
    });
    return this.choices;
  }

  /** The search index's best chunks for the request; none when the index is unavailable. */
  private async searchChunks(prompt: string): Promise<SearchedChunk[]> {
    try {
      const { searchCode } = await import('../context/index.js');
      const vectors = await turnVectors(this.core, prompt);
      const found = await searchCode({ cwd: this.core.root, env: this.core.options.env, query: prompt, k: 24, maxFileBytes: this.core.config.context.maxFileBytes, listing: await turnGitOf(this.core).sourceListing(), ...(vectors ? { requestVectors: vectors } : {}) });
      noteVectors(this.core, found.notice, prompt);
      const hits = found.hits.filter((h) => h.text.trim() !== '').map((h) => ({ file: h.file, startLine: h.start, endLine: h.end, names: [], header: [], text: h.text }));
      return hits;
    } catch (error) {
      this.core.log?.warn('context.search-unavailable', { error: (error as Error).message });
      return [];
    }
  }

  private chunkCountStore: Promise<SectionCountStore> | null = null;

  /**
   * Exact counts of the chunk units fitted before (`<sharedAssistDir>/chunk-token-counts.json`, the
   * last 4,096 used): a turn whose chunks were all counted before fits them without the tokenizer.
   * Read once a session.
   */
  private chunkCounts(): Promise<SectionCountStore> {
    this.chunkCountStore ??= import('../context/index.js').then(({ SectionCountStore }) => new SectionCountStore(join(this.core.store.repo.paths.sharedAssistDir, 'chunk-token-counts.json')).load());
    return this.chunkCountStore;
  }

  /** The searched chunks that fit `budget` tokens, per file. */
  private async searchedChunksText(chunks: readonly SearchedChunk[], budget: number, request: string, audit: AuditLog, sent: TurnContext): Promise<ContextPiece[]> {
    try {
      const { fitChunks, chunkUnit } = await import('../context/index.js');
      const known = await this.chunkCounts();
      // Written by rememberChunkCounts, once the found chunks the fit did not take are counted too.
      const selected = await fitChunks(chunks, budget, known);
      for (const file of new Set(selected.chunks.map((c) => c.file))) audit.append({ op: 'send', path: file, result: 'ok', reason: 'chunks', requestId: request });
      sent.chunks.push(...selected.chunks.map((c) => `${c.file}:${c.startLine}-${c.endLine}`));
      sent.tokens.chunks += selected.tokens;
      return chunkPieces(selected.chunks, chunkUnit);
    } catch (error) {
      this.core.log?.warn('context.search-unavailable', { error: (error as Error).message });
      return [];
    }
  }

  private async summariesText(files: readonly string[], budget: number, request: string, audit: AuditLog, sent: TurnContext): Promise<ContextPiece[]> {
    try {
      const { summariesFor } = await import('../summaries/index.js');
      const found = await summariesFor(this.core.root, files, { env: this.core.options.env, config: this.core.config });
      const pieces: ContextPiece[] = [];
      let used = 0;
      for (const file of files) {
        const summary = found.get(file);
        if (!summary || summary.text.trim() === '') continue;
        const entry = `${file === '' ? '(the repository)' : file}${summary.fresh ? '' : ' (summary may be out of date)'}:\n${summary.text.trim()}`;
        // A conservative 3 characters per token: this part has its own budget, the map keeps its exact one.
        if (used + entry.length / 3 > budget) break;
        used += entry.length / 3;
        pieces.push({ kind: 'summary', path: file, text: entry });
        sent.summaries.push(file);
        sent.tokens.summaries += Math.ceil(entry.length / 3);
        if (file !== '') audit.append({ op: 'send', path: file, result: 'ok', reason: 'summary', requestId: request });
      }
      return pieces;
    } catch (error) {
      this.core.log?.warn('context.summaries-unavailable', { error: (error as Error).message });
      return [];
    }
  }

  private async chunksText(prompt: string, files: readonly string[], budget: number, request: string, audit: AuditLog, listedByGit: boolean, sent: TurnContext): Promise<ContextPiece[]> {
    const { chunkFile, chunkUnit, selectChunks, languageForPath } = await import('../context/index.js');
    const { resolveInside } = await import('../sandbox/index.js');
    const chunks = [];
    for (const file of files) {
      if (languageForPath(file) === undefined) continue;
      const check = await resolveInside(this.core.root, file, { mode: 'read', env: this.core.options.env, checkIgnored: !listedByGit });
      if (!check.ok || !check.exists) continue;
      const content = await readFile(check.abs).catch(() => null);
      if (content === null || content.length > this.core.config.context.maxFileBytes) continue;
      chunks.push(...(await chunkFile(file, content, { maxFileBytes: this.core.config.context.maxFileBytes })));
    }
    if (chunks.length === 0) return [];
    const known = await this.chunkCounts();
    const selected = await selectChunks(chunks, prompt, budget, known);
    void known.save().catch(() => undefined);
    for (const file of new Set(selected.chunks.map((c) => c.file))) audit.append({ op: 'send', path: file, result: 'ok', reason: 'chunks', requestId: request });
    sent.chunks.push(...selected.chunks.map((c) => `${c.file}:${c.startLine}-${c.endLine}`));
    sent.tokens.chunks += selected.tokens;
    return chunkPieces(selected.chunks, chunkUnit);
  }

  /**
   * Fits the conversation into `compression_threshold` of the window, what served least first
   * (DESIGN §6 "Token counts"): old tool results; then, through `shrink`, the context about files
   * outside the chat that was least recently used and least referenced (recently edited files
   * last); then the older exchanges, summarised.
   */
  private async fitHistory(
    system: string,
    context: string,
    prompt: string,
    info: ModelInfo,
    tools: readonly ToolSpec[] = [],
    shrink?: (excess: number) => { context: string; dropped: ContextPiece[] } | null,
  ): Promise<{ history: Exchange[]; tokens: number; context: string; dropped: ContextPiece[] }> {
    const limit = Math.floor(info.contextWindow * this.core.config.context.compressionThreshold);
    const size = (history: readonly Exchange[]): Promise<number> => this.promptSize(system, context, history, prompt, limit, tools);
    const dropped: ContextPiece[] = [];
    let tokens = await size(this.core.history);
    if (tokens <= limit) return { history: this.core.history, tokens, context, dropped };
    // What served least goes first: the results of old tool calls, oldest first.
    for (const exchange of this.core.history) {
      if (!exchange.steps?.some((s) => s.results.some((r) => !r.content.startsWith(ELIDED_RESULT)))) continue;
      exchange.steps = exchange.steps.map((step) => ({ ...step, results: step.results.map(elideResult) }));
      tokens = await size(this.core.history);
      if (tokens <= limit) {
        this.core.log?.info('context.tool-results-dropped', { window: info.contextWindow });
        return { history: this.core.history, tokens, context, dropped };
      }
    }
    // Then the context about files outside the chat that served least, before any history is summarised.
    let next: ReturnType<NonNullable<typeof shrink>> = null;
    while (tokens > limit && shrink && (next = shrink(tokens - limit)) !== null) {
      context = next.context;
      dropped.push(...next.dropped);
      tokens = await size(this.core.history);
    }
    if (dropped.length > 0) {
      const names = dropped.map((p) => `${p.kind === 'summary' ? 'summary' : p.kind === 'map' ? 'map' : 'chunks'} of ${p.path === '' ? 'the repository' : p.path}`);
      this.core.log?.info('context.compressed', { tier: 'context', window: info.contextWindow, dropped: names });
      this.core.ui.status?.(`left out context that served least to fit the ${info.contextWindow}-token window: ${names.length > 6 ? `${names.slice(0, 6).join(', ')} and ${names.length - 6} more` : names.join(', ')}`);
      if (tokens <= limit) return { history: this.core.history, tokens, context, dropped };
    }
    // Summarise everything but the newest exchanges that still fit alongside a summary. The person's
    // own messages are not summarised: they stay word for word (DESIGN §6 "Instructions").
    let keep = Math.min(2, this.core.history.length);
    while (keep > 0 && (await size(this.core.history.slice(-keep))) > limit * 0.7) keep--;
    const older = this.core.history.slice(0, this.core.history.length - keep);
    // A pre_compact hook that exits 2 keeps the history from being summarised: the oldest exchanges are dropped below instead.
    const blocked = older.length > 0 ? (await fireHooks(this.core, { event: 'pre_compact' })).blocked : null;
    if (blocked !== null) this.core.ui.status?.(`a pre_compact hook kept the history from being compressed (${blocked.split('\n')[0] ?? ''}): the oldest exchanges are left out instead`);
    if (older.length > 0 && blocked === null) {
      this.core.ui.status?.(`compressing ${older.length} earlier exchange${older.length === 1 ? '' : 's'} to fit the ${info.contextWindow}-token window`);
      // The person's words first, beside what every request carries; the summary gets what is left
      // (within bounds); the newer exchanges give way to both below.
      const room = limit - (await size([])) - 128;
      const said = await keptWords(older, Math.max(0, Math.min(Math.floor(limit * VERBATIM_SHARE), room - 128)));
      const summaryTokens = Math.max(64, Math.min(Math.floor(limit * 0.15), room - said.tokens));
      this.core.log?.info('context.compressed', { tier: 'history', exchanges: older.length, window: info.contextWindow, verbatim: said.kept.length, summarised: said.dropped, room });
      const summary = await this.summarise(older, summaryTokens);
      const compressed: Exchange = { request: 'summary', user: compressedText(said.kept, summary), assistant: 'Noted.', person: false, said: said.kept, summary };
      this.core.history = [compressed, ...this.core.history.slice(this.core.history.length - keep)];
    }
    tokens = await size(this.core.history);
    // Still too big: the exchanges after the summary go first, oldest first; the summary (with the
    // person's words) goes last.
    while (tokens > limit && this.core.history.length > 0) {
      const [first] = this.core.history;
      this.core.history = first?.request === 'summary' && this.core.history.length > 1 ? [first, ...this.core.history.slice(2)] : this.core.history.slice(1);
      tokens = await size(this.core.history);
    }
    return { history: this.core.history, tokens, context, dropped };
  }

  /**
   * Tokens of a prompt: the calibrated estimate while far from the limit, an exact o200k count
   * (never less than the estimate) once close, since estimates undercount dense code. The exact
   * count is taken per part and remembered (`PromptCounter`), so a step recounts only its new messages.
   */
  private async promptSize(system: string, context: string, history: readonly Exchange[], prompt: string, limit: number, tools: readonly ToolSpec[] = []): Promise<number> {
    const messages: ChatMessage[] = [{ role: 'user', content: context }, ...history.flatMap(exchangeMessages), { role: 'user', content: prompt }];
    return this.messagesSize(system, messages, tools, limit);
  }

  /** {@link promptSize} of ready messages. */
  async messagesSize(system: string, messages: readonly ChatMessage[], tools: readonly ToolSpec[], limit: number): Promise<number> {
    const { estimatePromptTokens } = await import('../llm/estimate.js');
    const estimate = estimatePromptTokens(system, messages, tools);
    if (estimate < limit * 0.6) return estimate;
    return Math.max(estimate, await this.counter.exact(system, messages, tools));
  }

  private async summarise(exchanges: readonly Exchange[], maxTokens: number): Promise<string> {
    const model = this.core.config.weakModel ?? this.core.model;
    const info = this.core.modelInfo(model);
    const { estimateTextTokens } = await import('../llm/estimate.js');
    // The transcript itself must fit the summarising model's window: keep its newest part.
    const budgetChars = Math.max(1000, Math.floor((info.contextWindow * this.core.config.context.compressionThreshold - maxTokens - 200) * 3));
    let transcript = exchanges
      .map((e) => {
        // An earlier compression: its summary is carried on (its words of the person are kept apart).
        if (e.summary !== undefined) return `EARLIER SUMMARY: ${e.summary}`;
        const who = e.person === false ? 'NOTE' : 'USER';
        const steps = (e.steps ?? []).map((s) => `ASSISTANT (tools): ${s.text} ${s.calls.map((c) => `${c.name}(${c.arguments.slice(0, 200)})`).join(' ')}\n${s.results.map((r) => `RESULT ${r.name}: ${r.content.slice(0, 400)}\n`).join('')}`).join('');
        return `${who}: ${e.user}\n${steps}ASSISTANT: ${e.assistant}`;
      })
      .join('\n\n');
    if (transcript.length > budgetChars) transcript = transcript.slice(transcript.length - budgetChars);
    const system =
      'You summarise a conversation between a person and a coding assistant so it can continue without the full transcript. ' +
      "The person's own messages are kept word for word elsewhere: summarise what the assistant did, found and answered, what the tools returned, and what was changed. " +
      'Keep decisions, file names, identifiers and open questions. Be brief.';
    let text = '';
    for await (const event of this.core.provider.stream(
      { model, system, messages: [{ role: 'user', content: transcript }], maxOutputTokens: Math.max(64, Math.min(maxTokens, info.maxOutput)) },
      undefined,
    )) {
      if (event.type === 'text') text += event.text;
      else if (event.type === 'restart') text = '';
      else if (event.type === 'done') this.core.addUsage(null, event.usage, event.model);
    }
    if (estimateTextTokens(text) > maxTokens * 2) text = text.slice(0, maxTokens * 6);
    return text.trim();
  }
}

/** A chunk of the search's or the chunker's selection, as `fitChunks` takes it. */
interface SearchedChunk {
  file: string;
  startLine: number;
  endLine: number;
  names: string[];
  header: string[];
  text: string;
}

/** Selected chunks (in file and line order) as one piece per file, their units side by side as `fitChunks` counted them. */
function chunkPieces(chunks: readonly SearchedChunk[], unit: (chunk: SearchedChunk) => string): ContextPiece[] {
  const pieces: ContextPiece[] = [];
  for (const chunk of chunks) {
    const text = unit(chunk);
    const last = pieces[pieces.length - 1];
    if (last?.path === chunk.file) last.text += text;
    else pieces.push({ kind: 'chunks', path: chunk.file, text });
  }
  return pieces;
}

/** Takes the pieces left out to fit the window off what the turn records it sent. */
function forgetDropped(sent: TurnContext, dropped: readonly ContextPiece[], estimate: (text: string) => number): void {
  for (const piece of dropped) {
    const tokens = estimate(piece.text);
    if (piece.kind === 'map') {
      sent.map = piece.path === '' ? [] : sent.map.filter((f) => f !== piece.path);
      sent.tokens.map = Math.max(0, sent.tokens.map - tokens);
    } else if (piece.kind === 'summary') {
      sent.summaries = sent.summaries.filter((f) => f !== piece.path);
      sent.tokens.summaries = Math.max(0, sent.tokens.summaries - tokens);
    } else {
      sent.chunks = sent.chunks.filter((c) => c.slice(0, c.lastIndexOf(':')) !== piece.path);
      sent.tokens.chunks = Math.max(0, sent.tokens.chunks - tokens);
    }
  }
}

/** Share of the compression limit the person's words may keep in a compressed history. */
const VERBATIM_SHARE = 0.4;

/**
 * The person's messages among `exchanges` (those an earlier compression kept included), oldest
 * first, to keep word for word. When they do not fit in `budget` tokens the longest go into the
 * summary first: a constraint or a correction is short, a pasted log is not.
 */
async function keptWords(exchanges: readonly Exchange[], budget: number): Promise<{ kept: string[]; dropped: number; tokens: number }> {
  const { estimateTextTokens } = await import('../llm/estimate.js');
  const said = exchanges.flatMap((e) => (e.said !== undefined ? e.said : e.person === false ? [] : [e.user]));
  const sizes = said.map((text) => estimateTextTokens(text));
  let total = sizes.reduce((a, b) => a + b, 0);
  const out = new Set<number>();
  const longestFirst = said.map((_, i) => i).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
  for (const i of longestFirst) {
    if (total <= budget) break;
    out.add(i);
    total -= sizes[i]!;
  }
  return { kept: said.filter((_, i) => !out.has(i)), dropped: out.size, tokens: total };
}

/** The user message a compressed history becomes. */
function compressedText(said: readonly string[], summary: string): string {
  const words = said.length > 0 ? `What I said earlier, word for word (oldest first):\n\n${said.map((s, i) => `[message ${i + 1}]\n${s}`).join('\n\n')}\n\n` : '';
  return `Our earlier conversation was compressed to fit the context window.\n\n${words}Summary of your replies and of what the tools returned:\n${summary}`;
}

/** Marks a tool result dropped from the history to fit the window. */
const ELIDED_RESULT = '[result dropped to fit the context window';

export function elideResult(result: ToolResult): ToolResult {
  if (result.content.startsWith(ELIDED_RESULT)) return result;
  return { ...result, content: `${ELIDED_RESULT}: ${result.content.length} characters; call the tool again if you need it]` };
}

function exchangeText(exchange: Exchange): string {
  return exchangeMessages(exchange).map(messageText).join('');
}
