import { Command, Option } from 'clipanion';
import { AssistCommand, chooseSessionModel, sessionFlags } from '../base.js';
import { AssistError, usageError } from '../../errors.js';

export class ExplainCommand extends AssistCommand {
  static override paths = [['explain']];
  static override usage = Command.Usage({
    description: 'an answer read from the code, no edits',
    details: `
      Answers a question about the repository, or explains a TARGET (a file, or \`file:symbol\`, relative to the current directory). The model gets the read-only tools only (\`read_file\`, \`list_files\`, \`search\`, \`semantic_search\`, \`repo_map\`), finds and reads what the question needs, and answers citing \`path:line\`.

      Nothing is edited, run or committed: no tool that writes or runs a command is offered, and SEARCH/REPLACE blocks in the answer are not applied. The question, the tool calls and the answer are recorded in the session's event chain like any turn (\`assist log\`).

      \`--json\` prints one object: \`answer\`, \`citations\` (\`[{path, line}]\` of files that exist), \`question\`, \`session\`, \`model\`, \`steps\`, \`tool_calls\`, \`usage\`, \`requests\`.
    `,
    examples: [
      ['Ask a question', '$0 explain "where is the retry delay computed?"'],
      ['Explain a function', '$0 explain src/lib/pricing.ts:applyDiscount'],
      ['As JSON', '$0 explain --json src/session/tool-loop.ts'],
    ],
  });

  model = Option.String('--model', { description: 'provider/model to use' });
  maxSteps = Option.String('--max-steps', { description: 'model requests the answer may take (default session.max_steps)' });
  json = Option.Boolean('--json', false, { description: 'print one JSON object on stdout' });
  input = Option.Rest({ name: 'TARGET|QUESTION', required: 1 });

  async run(): Promise<number> {
    const input = this.input.join(' ').trim();
    if (input === '') throw usageError('explain.empty', 'nothing to explain', 'give a file, `file:symbol` or a question: `assist explain "how are sessions named?"`');
    let maxSteps: number | undefined;
    if (this.maxSteps !== undefined) {
      maxSteps = Number(this.maxSteps);
      if (!/^\d+$/.test(this.maxSteps.trim()) || maxSteps < 1) throw usageError('explain.bad-max-steps', `--max-steps must be a whole number of at least 1, not '${this.maxSteps}'`);
    }
    const reporter = this.reporter;
    const repo = await this.repo();
    const loaded = await this.config(sessionFlags({ model: this.model, noBranch: false, autoTest: false }), repo);
    const model = await chooseSessionModel(this, loaded, this.model);
    const stdin = this.context.stdin as NodeJS.ReadStream;
    const { createTurnView } = await import('../../ui/turn-view.js');
    const view = createTurnView({ reporter, stdin, streamReply: !this.json, replyTo: this.context.stdout, interactive: false, verbose: this.context.globals.verbose });
    const { explain } = await import('../../session/index.js');
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once('SIGINT', onSigint);
    try {
      const result = await explain({
        cwd: this.context.cwd,
        env: this.context.env,
        config: loaded.config,
        model,
        ...(this.obs ? { logger: this.obs.logger, metrics: this.obs.metrics } : {}),
        input, ui: view, interactive: false, command: 'assist explain', signal: controller.signal, ...(maxSteps !== undefined ? { maxSteps } : {}) });
      const turn = result.turn;
      if (this.json) {
        reporter.json({
          answer: result.answer,
          citations: result.citations,
          question: result.question,
          session: turn.session,
          model: turn.model,
          steps: turn.steps,
          tool_calls: turn.toolCalls,
          usage: turn.usage,
          requests: turn.requests,
          ...(turn.stepLimit ? { step_limit: true } : {}),
        });
      } else if (view.shown > 0) this.context.stdout.write('\n');
      if (turn.stepLimit) {
        throw new AssistError('session.step-limit', `stopped after ${turn.steps} model requests without an answer (session.max_steps)`, { hint: 'raise session.max_steps (or --max-steps), or ask a narrower question' });
      }
      return 0;
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
}
