import type { Definition } from 'clipanion';

/** What a word completes to: files, a model name, a config key or value, a session id, a checkpoint, a shell. */
export type ValueKind = 'file' | 'model' | 'config-key' | 'config-value' | 'session' | 'checkpoint' | 'shell' | 'none';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** One option of a command, as the scripts need it. */
export interface CompletionOption {
  names: string[];
  description: string;
  /** The kind of the option's value; undefined for a flag. */
  value?: ValueKind;
}

/** One command path (`config get`) with its options and the kinds of its positional arguments. */
export interface CompletionCommand {
  path: string[];
  description: string;
  options: CompletionOption[];
  /** One kind per positional; the last repeats when `rest` is set. */
  positionals: ValueKind[];
  rest?: boolean;
}

/** Everything a script is generated from. */
export interface CompletionSpec {
  version: string;
  commands: CompletionCommand[];
  /** Concrete config keys (`llm.openai.base_url`), for `config get` and `config set`. */
  configKeys: string[];
  /** The values `config set KEY` can take where the type says (enums, booleans), or `models` for model names. */
  configValues: Record<string, string[] | 'models'>;
  models: string[];
}

/** Commands not meant to be typed: `hook` is what the installed git hooks start. */
const HIDDEN = new Set(['hook']);

/** The positional arguments of each command, by path; commands not listed take none worth completing. */
const POSITIONALS: Record<string, { kinds: ValueKind[]; rest?: boolean }> = {
  chat: { kinds: ['file'], rest: true },
  run: { kinds: ['file'], rest: true },
  log: { kinds: ['session'] },
  'session show': { kinds: ['session'] },
  'checkpoint restore': { kinds: ['checkpoint'] },
  'summaries show': { kinds: ['file'] },
  'config get': { kinds: ['config-key'] },
  'config set': { kinds: ['config-key', 'config-value'] },
  completion: { kinds: ['shell'] },
};

/** The value kinds of options that take one, by name; any other option with a value completes nothing. */
const OPTION_VALUES: Record<string, ValueKind> = {
  '--model': 'model',
  '--focus': 'file',
  '--body-file': 'file',
  '--log-file': 'file',
  '--metrics-file': 'file',
};

/** The flags every command takes (src/cli/globals.ts), and help. */
const GLOBAL_OPTIONS: CompletionOption[] = [
  { names: ['--verbose'], description: 'show stack traces and debug output' },
  { names: ['--log-file'], description: 'write the structured log to FILE', value: 'file' },
  { names: ['--metrics-file'], description: 'write metrics to FILE', value: 'file' },
  { names: ['--no-color'], description: 'no colours' },
  { names: ['-h', '--help'], description: 'show the help of the command' },
];

/** Builds the spec from clipanion's command definitions, the key table and the model registry. */
export function completionSpec(input: {
  version: string;
  definitions: readonly Definition[];
  configKeys: string[];
  configValues: Record<string, string[] | 'models'>;
  models: string[];
}): CompletionSpec {
  const commands: CompletionCommand[] = [];
  for (const d of input.definitions) {
    const path = d.path.split(' ').slice(1);
    // The default command (no path), and `--help` / `--version`, which are options here.
    if (path.length === 0 || path[0]?.startsWith('-') || HIDDEN.has(path[0] as string)) continue;
    const options = d.options.map((o): CompletionOption => {
      const [names = '', arity] = o.definition.split(' ');
      const list = names.split(',');
      const value = arity === undefined ? undefined : (list.map((n) => OPTION_VALUES[n]).find((k) => k !== undefined) ?? 'none');
      return { names: list, description: o.description ?? '', ...(value ? { value } : {}) };
    });
    const positionals = POSITIONALS[path.join(' ')];
    commands.push({
      path,
      description: d.description ?? '',
      options: [...options, ...GLOBAL_OPTIONS],
      positionals: positionals?.kinds ?? [],
      ...(positionals?.rest ? { rest: true } : {}),
    });
  }
  return { version: input.version, commands, configKeys: input.configKeys, configValues: input.configValues, models: input.models };
}

/** The words that may follow a command path: `''` → the commands, `checkpoint` → create, list, restore. */
function subcommands(spec: CompletionSpec): Map<string, Array<{ word: string; description: string }>> {
  const subs = new Map<string, Array<{ word: string; description: string }>>();
  for (const c of spec.commands) {
    for (let i = 0; i < c.path.length; i++) {
      const parent = c.path.slice(0, i).join(' ');
      const word = c.path[i] as string;
      const list = subs.get(parent) ?? [];
      if (!list.some((s) => s.word === word)) list.push({ word, description: i === c.path.length - 1 ? c.description : `${word} commands` });
      subs.set(parent, list);
    }
  }
  return subs;
}

/** The root's options: those of the default command are the global ones, plus `--version`. */
function rootOptions(): CompletionOption[] {
  return [...GLOBAL_OPTIONS, { names: ['-v', '--version'], description: 'print the version' }];
}

/**
 * The options that take a value, as `path|option` patterns by the kind of the value; a global
 * option is one pattern for every path (`*|--log-file`).
 */
function valuedOptions(spec: CompletionSpec): Map<ValueKind, string[]> {
  const valued = new Map<ValueKind, string[]>();
  const add = (kind: ValueKind, key: string): void => {
    valued.set(kind, [...(valued.get(kind) ?? []), key]);
  };
  for (const o of GLOBAL_OPTIONS) if (o.value) for (const n of o.names) add(o.value, `*|${n}`);
  for (const c of spec.commands) {
    for (const o of c.options) if (o.value && !GLOBAL_OPTIONS.includes(o)) for (const n of o.names) add(o.value, `${c.path.join(' ')}|${n}`);
  }
  return valued;
}

/** Quotes a word for sh, bash, zsh and fish alike (single quotes; fish needs `\'` inside them). */
function sq(text: string, shell: Shell): string {
  return shell === 'fish' ? `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : `'${text.replace(/'/g, `'\\''`)}'`;
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** The data functions every script shares: case statements over command paths (sh syntax for bash and zsh). */
function shData(spec: CompletionSpec, shell: 'bash' | 'zsh'): string {
  const subs = subcommands(spec);
  const lines: string[] = [];
  const withDesc = shell === 'zsh';
  const word = (w: string, d: string): string => (withDesc ? `${w.replace(/:/g, '\\:')}:${oneLine(d)}` : w);

  lines.push('__assist_subcommands() {', '  case "$1" in');
  for (const [parent, list] of subs) lines.push(`    ${sq(parent, shell)}) printf '%s\\n' ${list.map((s) => sq(word(s.word, s.description), shell)).join(' ')} ;;`);
  lines.push('  esac', '}', '');

  lines.push('__assist_options() {', '  case "$1" in');
  lines.push(`    '') printf '%s\\n' ${rootOptions().flatMap((o) => o.names.map((n) => sq(word(n, o.description), shell))).join(' ')} ;;`);
  for (const c of spec.commands) {
    lines.push(`    ${sq(c.path.join(' '), shell)}) printf '%s\\n' ${c.options.flatMap((o) => o.names.map((n) => sq(word(n, o.description), shell))).join(' ')} ;;`);
  }
  lines.push('  esac', '}', '');

  // `__assist_option_value PATH OPTION`: the kind of the option's value; fails for a flag.
  lines.push('__assist_option_value() {', '  case "$1|$2" in');
  for (const [kind, keys] of valuedOptions(spec)) lines.push(`    ${keys.map((k) => (k.startsWith('*') ? `*${sq(k.slice(1), shell)}` : sq(k, shell))).join('|')}) echo ${kind} ;;`);
  lines.push('    *) return 1 ;;', '  esac', '}', '');

  // `__assist_positional PATH N`: the kind of the Nth positional argument (from 0).
  lines.push('__assist_positional() {', '  case "$1" in');
  for (const c of spec.commands) {
    if (c.positionals.length === 0) continue;
    const last = c.positionals.length - 1;
    const cases = c.positionals.map((k, i) => `${i === last && c.rest ? '*' : String(i)}) echo ${k} ;;`).join(' ');
    lines.push(`    ${sq(c.path.join(' '), shell)}) case "$2" in ${cases} esac ;;`);
  }
  lines.push('  esac', '}', '');

  lines.push('__assist_config_keys() {', `  printf '%s\\n' ${spec.configKeys.map((k) => sq(k, shell)).join(' ')}`, '}', '');
  lines.push('__assist_config_values() {', '  case "$1" in');
  for (const [key, values] of Object.entries(spec.configValues)) {
    lines.push(`    ${sq(key, shell)}) ${values === 'models' ? '__assist_models' : `printf '%s\\n' ${values.map((v) => sq(v, shell)).join(' ')}`} ;;`);
  }
  lines.push('  esac', '}', '');
  lines.push('__assist_models() {', `  printf '%s\\n' ${spec.models.map((m) => sq(m, shell)).join(' ')}`, '}', '');
  // Session ids and checkpoint names come from git itself: no Node start for a keystroke.
  lines.push(
    '__assist_sessions() {',
    "  git for-each-ref --sort=-refname --format='%(refname:lstrip=3)' refs/assist/log/ 2>/dev/null",
    '}',
    '',
    '__assist_checkpoints() {',
    "  git for-each-ref --format='%(refname:lstrip=4)' refs/assist/checkpoints/ 2>/dev/null | sort -u",
    '}',
    '',
  );
  return lines.join('\n');
}

/**
 * `__assist_walk FIRST END` walks the words before the cursor (in the caller's `__words`): the
 * command path they name, how many positionals follow it, the first positional (the key of
 * `config set`), and the kind of value the last word wants when it is an option that takes one.
 * It sets the caller's locals (both shells scope dynamically). Shared by bash (arrays from 0, no
 * namerefs: macOS still ships bash 3.2) and zsh (arrays from 1).
 */
const SH_WALK = `__assist_walk() {
  local __w __i __skip=0 __opt=""
  __cmd="" __n=0 __first="" __want=""
  for (( __i = $1; __i < $2; __i++ )); do
    __w="\${__words[__i]}"
    if (( __skip )); then __skip=0; continue; fi
    case "$__w" in
      --*=*) continue ;;
      -?*) if __assist_option_value "$__cmd" "$__w" >/dev/null; then __skip=1; __opt="$__w"; fi; continue ;;
    esac
    if (( __n == 0 )) && __assist_subcommands "$__cmd" | cut -d: -f1 | grep -qxF -- "$__w"; then
      __cmd="\${__cmd:+$__cmd }$__w"
    else
      (( __n == 0 )) && __first="$__w"
      __n=$(( __n + 1 ))
    fi
  done
  if (( __skip )); then __want=$(__assist_option_value "$__cmd" "$__opt"); fi
}`;

/** Generates the completion script for a shell. */
export function renderCompletion(spec: CompletionSpec, shell: Shell): string {
  switch (shell) {
    case 'bash':
      return renderBash(spec);
    case 'zsh':
      return renderZsh(spec);
    case 'fish':
      return renderFish(spec);
  }
}

function renderBash(spec: CompletionSpec): string {
  return `# bash completion for assist ${spec.version}, generated by \`assist completion bash\`.
# Install: add  eval "$(assist completion bash)"  to ~/.bashrc, or save it as
#   ~/.local/share/bash-completion/completions/assist
# Regenerate after upgrading assist (new commands, flags and config keys).

${shData(spec, 'bash')}
${SH_WALK}

_assist() {
  # One candidate per line, so that file names with spaces stay whole.
  local IFS=$'\\n'
  local cur="\${COMP_WORDS[COMP_CWORD]}" __cmd __n __first __want kind subs
  local -a __words=("\${COMP_WORDS[@]}")
  __assist_walk 1 "$COMP_CWORD"
  COMPREPLY=()
  if [[ -n "$__want" ]]; then
    kind=$__want
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$(__assist_options "$__cmd")" -- "$cur") )
    return 0
  else
    subs=$(__assist_subcommands "$__cmd")
    if (( __n == 0 )) && [[ -n "$subs" ]]; then
      COMPREPLY=( $(compgen -W "$subs" -- "$cur") )
      return 0
    fi
    kind=$(__assist_positional "$__cmd" "$__n")
  fi
  case "$kind" in
    file) compopt -o filenames 2>/dev/null; COMPREPLY=( $(compgen -f -- "$cur") ) ;;
    model) COMPREPLY=( $(compgen -W "$(__assist_models)" -- "$cur") ) ;;
    config-key) COMPREPLY=( $(compgen -W "$(__assist_config_keys)" -- "$cur") ) ;;
    config-value) COMPREPLY=( $(compgen -W "$(__assist_config_values "$__first")" -- "$cur") ) ;;
    session) COMPREPLY=( $(compgen -W "$(__assist_sessions)" -- "$cur") ) ;;
    checkpoint) COMPREPLY=( $(compgen -W "$(__assist_checkpoints)" -- "$cur") ) ;;
    shell) COMPREPLY=( $(compgen -W $'${SHELLS.join('\\n')}' -- "$cur") ) ;;
  esac
  return 0
}

complete -F _assist assist
`;
}

function renderZsh(spec: CompletionSpec): string {
  return `#compdef assist
# zsh completion for assist ${spec.version}, generated by \`assist completion zsh\`.
# Install: add  eval "$(assist completion zsh)"  to ~/.zshrc after \`compinit\`, or save it as
#   _assist in a directory of $fpath (e.g. ~/.zsh/completions, with fpath+=(~/.zsh/completions)
#   before compinit). Regenerate after upgrading assist.

${shData(spec, 'zsh')}
${SH_WALK}

_assist() {
  local __cmd __n __first __want kind
  local -a items __words
  __words=("\${words[@]}")
  __assist_walk 2 "$CURRENT"
  if [[ -n "$__want" ]]; then
    kind=$__want
  elif [[ "\${words[CURRENT]}" == -* ]]; then
    items=("\${(@f)$(__assist_options "$__cmd")}")
    _describe -t options 'option' items
    return
  else
    items=("\${(@f)$(__assist_subcommands "$__cmd")}")
    if (( __n == 0 )) && [[ -n "\${items[1]}" ]]; then
      _describe -t commands 'assist command' items
      return
    fi
    kind=$(__assist_positional "$__cmd" "$__n")
  fi
  case "$kind" in
    file) _files ;;
    model) compadd -- \${(@f)"$(__assist_models)"} ;;
    config-key) compadd -- \${(@f)"$(__assist_config_keys)"} ;;
    config-value) compadd -- \${(@f)"$(__assist_config_values "$__first")"} ;;
    session) compadd -V sessions -- \${(@f)"$(__assist_sessions)"} ;;
    checkpoint) compadd -- \${(@f)"$(__assist_checkpoints)"} ;;
    shell) compadd -- ${SHELLS.join(' ')} ;;
  esac
}

if [[ "\${funcstack[1]}" == _assist ]]; then
  _assist "$@"
else
  compdef _assist assist
fi
`;
}

function renderFish(spec: CompletionSpec): string {
  const subs = subcommands(spec);
  const f = (text: string): string => sq(text, 'fish');
  const lines: string[] = [
    `# fish completion for assist ${spec.version}, generated by \`assist completion fish\`.`,
    '# Install: assist completion fish > ~/.config/fish/completions/assist.fish',
    '# Regenerate after upgrading assist.',
    '',
    'function __assist_subcommands',
    '    switch "$argv[1]"',
  ];
  for (const [parent, list] of subs) {
    lines.push(`        case ${f(parent)}`, ...list.map((s) => `            printf '%s\\t%s\\n' ${f(s.word)} ${f(oneLine(s.description))}`));
  }
  lines.push('    end', 'end', '', 'function __assist_options', '    switch "$argv[1]"', "        case ''");
  for (const o of rootOptions()) for (const n of o.names) lines.push(`            printf '%s\\t%s\\n' ${f(n)} ${f(oneLine(o.description))}`);
  for (const c of spec.commands) {
    lines.push(`        case ${f(c.path.join(' '))}`);
    for (const o of c.options) for (const n of o.names) lines.push(`            printf '%s\\t%s\\n' ${f(n)} ${f(oneLine(o.description))}`);
  }
  lines.push('    end', 'end', '', '# The kind of the value an option takes; fails for a flag.', 'function __assist_option_value', '    switch "$argv[1]|$argv[2]"');
  for (const [kind, keys] of valuedOptions(spec)) lines.push(`        case ${keys.map((k) => (k.startsWith('*') ? `'*'${f(k.slice(1))}` : f(k))).join(' ')}`, `            echo ${kind}`);
  lines.push('        case \'*\'', '            return 1', '    end', 'end', '', 'function __assist_positional', '    switch "$argv[1]"');
  for (const c of spec.commands) {
    if (c.positionals.length === 0) continue;
    const last = c.positionals.length - 1;
    lines.push(`        case ${f(c.path.join(' '))}`, '            switch $argv[2]');
    c.positionals.forEach((k, i) => lines.push(`                case ${i === last && c.rest ? "'*'" : String(i)}`, `                    echo ${k}`));
    lines.push('            end');
  }
  lines.push('    end', 'end', '');
  lines.push('function __assist_config_keys', `    printf '%s\\n' ${spec.configKeys.map(f).join(' ')}`, 'end', '');
  lines.push('function __assist_config_values', '    switch "$argv[1]"');
  for (const [key, values] of Object.entries(spec.configValues)) {
    lines.push(`        case ${f(key)}`, values === 'models' ? '            __assist_models' : `            printf '%s\\n' ${values.map(f).join(' ')}`);
  }
  lines.push('    end', 'end', '');
  lines.push('function __assist_models', `    printf '%s\\n' ${spec.models.map(f).join(' ')}`, 'end', '');
  lines.push(
    'function __assist_sessions',
    "    git for-each-ref --sort=-refname --format='%(refname:lstrip=3)' refs/assist/log/ 2>/dev/null",
    'end',
    '',
    'function __assist_checkpoints',
    "    git for-each-ref --format='%(refname:lstrip=4)' refs/assist/checkpoints/ 2>/dev/null | sort -u",
    'end',
    '',
    '# Walks the words before the cursor (as the bash and zsh scripts do) and prints the candidates.',
    'function __assist_complete',
    '    set -l tokens (commandline -opc)',
    '    set -l cur (commandline -ct)',
    "    set -l cmd ''",
    '    set -l n 0',
    '    set -l first',
    '    set -l skip 0',
    '    set -l opt',
    '    for w in $tokens[2..-1]',
    '        if test $skip -eq 1',
    '            set skip 0',
    '            continue',
    '        end',
    '        switch $w',
    "            case '--*=*'",
    '                continue',
    "            case '-?*'",
    '                if __assist_option_value "$cmd" $w >/dev/null',
    '                    set skip 1',
    '                    set opt $w',
    '                end',
    '                continue',
    '        end',
    '        if test $n -eq 0; and contains -- $w (__assist_subcommands "$cmd" | string replace -r \'\\t.*\' \'\')',
    '            set cmd (string trim -- "$cmd $w")',
    '        else',
    '            test $n -eq 0; and set first $w',
    '            set n (math $n + 1)',
    '        end',
    '    end',
    '    set -l kind',
    '    if test $skip -eq 1',
    '        set kind (__assist_option_value "$cmd" $opt)',
    "    else if string match -q -- '-*' $cur",
    '        __assist_options "$cmd"',
    '        return',
    '    else',
    '        set -l subs (__assist_subcommands "$cmd")',
    '        if test $n -eq 0; and test (count $subs) -gt 0',
    "            printf '%s\\n' $subs",
    '            return',
    '        end',
    '        set kind (__assist_positional "$cmd" $n)',
    '    end',
    '    switch "$kind"',
    '        case file',
    '            __fish_complete_path $cur',
    '        case model',
    '            __assist_models',
    '        case config-key',
    '            __assist_config_keys',
    '        case config-value',
    '            __assist_config_values $first',
    '        case session',
    '            __assist_sessions',
    '        case checkpoint',
    '            __assist_checkpoints',
    '        case shell',
    `            printf '%s\\n' ${SHELLS.join(' ')}`,
    '    end',
    'end',
    '',
    'complete -c assist -e',
    "complete -c assist -f -a '(__assist_complete)'",
    '',
  );
  return lines.join('\n');
}
