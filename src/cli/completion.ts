/**
 * Shell completion, generated from commander's command tree when `gt completion <shell>` runs: every
 * command registered in program.ts is covered without a list kept by hand. The static part (commands,
 * subcommands, options) is written into the script, so completing it starts no process; what lives on
 * the ledger (bead, convoy and agent ids, formula names) is asked of `gt completion list <kind>`.
 */
import type { Argument, Command, Option } from 'commander';

export const COMPLETION_KINDS = ['beads', 'convoys', 'agents', 'formulas'] as const;
export type CompletionKind = (typeof COMPLETION_KINDS)[number];

export interface CompletionOption {
  flags: string[];
  /** The option takes a value (the next word). */
  takesValue: boolean;
  /** What the value is, when gt can list candidates for it. */
  kind?: CompletionKind;
  description: string;
}

export interface CompletionNode {
  /** Words from the root: [] for gt itself, ['convoy', 'list'] for `gt convoy list`. */
  path: string[];
  description: string;
  subcommands: string[];
  /** The help line of each subcommand, in the same order (an alias has its command's). */
  subcommandDescriptions: string[];
  options: CompletionOption[];
  /** What each positional argument is (undefined: nothing to list); the last one repeats when variadic. */
  args: (CompletionKind | undefined)[];
  variadic: boolean;
}

/**
 * What an argument or option value names, from its placeholder and help text: `<convoy>`, `<formula>`,
 * `<agent>`/`<addr>`/"agent name"/"polecat name", and ids whose help says "bead". Molecule, message and
 * request ids say so in their help and are left alone.
 */
export function kindOf(name: string, description: string): CompletionKind | undefined {
  const n = name.toLowerCase();
  const d = description.toLowerCase();
  if (/\b(molecule|wisp|message|request|step)\b/.test(d) && !/\bbeads?\b/.test(n)) return undefined;
  if (/^convoys?$/.test(n)) return 'convoys';
  if (/^formulas?$/.test(n)) return 'formulas';
  if (/^(agents?|addr|to|owner|assignee)$/.test(n)) return 'agents';
  if (/^names?$/.test(n) && /\b(agent|polecat)\b/.test(d)) return 'agents';
  if (/^beads?$/.test(n)) return 'beads';
  if (/^(ids?|target|parent|child|blocker)$/.test(n) && /\bbeads?\b/.test(d)) return 'beads';
  return undefined;
}

function optionOf(option: Option): CompletionOption {
  const flags = [option.short, option.long].filter((f): f is string => f !== undefined);
  const takesValue = option.required || option.optional;
  const placeholder = /<([^>]+)>|\[([^\]]+)\]/.exec(option.flags);
  const kind = takesValue && placeholder ? kindOf(placeholder[1] ?? placeholder[2]!, option.description) : undefined;
  return { flags, takesValue, ...(kind ? { kind } : {}), description: option.description };
}

function argKind(arg: Argument): CompletionKind | undefined {
  return kindOf(arg.name(), arg.description);
}

/** Every command of the tree, depth first, with what can follow it; hidden commands and options left out. */
export function completionTree(program: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const visit = (command: Command, path: string[], inherited: CompletionOption[]): void => {
    const own = command.options.filter((o) => !o.hidden).map(optionOf);
    const visible = command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    const args = command.registeredArguments;
    nodes.push({
      path,
      description: command.description(),
      subcommands: visible.flatMap((c) => [c.name(), ...c.aliases()]),
      subcommandDescriptions: visible.flatMap((c) => [c, ...c.aliases()].map(() => c.description())),
      options: [...own, { flags: ['-h', '--help'], takesValue: false, description: 'display help for command' }, ...inherited],
      args: args.map(argKind),
      variadic: args.length > 0 && args[args.length - 1]!.variadic,
    });
    // Options of gt itself (--as, -C) are accepted after any command word too.
    const passed = path.length === 0 ? own.filter((o) => !o.flags.includes('--version')) : inherited;
    for (const sub of visible) visit(sub, [...path, sub.name()], passed);
  };
  visit(program, [], []);
  return nodes;
}

function shellWord(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

const pathKey = (node: CompletionNode): string => node.path.join(' ');

/** One `case` arm per command: `"convoy list") echo 'words';;`. */
function caseArms(nodes: CompletionNode[], value: (node: CompletionNode) => string | undefined): string {
  return nodes
    .map((n) => [n, value(n)] as const)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([n, v]) => `    ${shellWord(pathKey(n))}) ${v};;`)
    .join('\n');
}

function valueOptionArms(nodes: CompletionNode[]): string {
  return caseArms(nodes, (n) => {
    const flags = n.options.filter((o) => o.takesValue).flatMap((o) => o.flags);
    return flags.length > 0 ? `echo ${shellWord(flags.join(' '))}` : undefined;
  });
}

function optionKindArms(nodes: CompletionNode[]): string {
  const arms: string[] = [];
  for (const n of nodes) {
    for (const o of n.options) {
      if (!o.kind) continue;
      for (const f of o.flags) arms.push(`    ${shellWord(`${pathKey(n)}|${f}`)}) echo ${o.kind};;`);
    }
  }
  return arms.join('\n');
}

function argKindArms(nodes: CompletionNode[]): string {
  const arms: string[] = [];
  for (const n of nodes) {
    n.args.forEach((kind, i) => {
      if (!kind) return;
      const last = i === n.args.length - 1 && n.variadic;
      arms.push(`    ${shellWord(`${pathKey(n)}|${i}`)}${last ? ` | ${shellWord(`${pathKey(n)}|`)}*` : ''}) echo ${kind};;`);
    });
  }
  return arms.join('\n');
}

/**
 * The bash script: `_gt` walks the words typed so far to find the command (skipping options and
 * their values), then offers subcommands, options, or the argument's candidates. zsh runs the same
 * function through bashcompinit.
 */
export function bashScript(nodes: CompletionNode[], gt = 'gt'): string {
  return `# gt completion for bash (generated by \`gt completion bash\` from gt's command tree).
# Install: gt completion bash > ~/.local/share/bash-completion/completions/gt
#      or: echo 'source <(gt completion bash)' >> ~/.bashrc

_gt_subcommands() {
  case "$1" in
${caseArms(nodes, (n) => (n.subcommands.length > 0 ? `echo ${shellWord(n.subcommands.join(' '))}` : undefined))}
  esac
}

_gt_options() {
  case "$1" in
${caseArms(nodes, (n) => `echo ${shellWord(n.options.flatMap((o) => o.flags).join(' '))}`)}
  esac
}

_gt_value_options() {
  case "$1" in
${valueOptionArms(nodes)}
  esac
}

_gt_option_kind() {
  case "$1|$2" in
${optionKindArms(nodes)}
  esac
}

_gt_arg_kind() {
  case "$1|$2" in
${argKindArms(nodes)}
  esac
}

# Ids and names from the ledger, for the word being completed: one per line, open work first.
_gt_list() {
  local gt=\${_GT_COMPLETION_COMMAND:-${gt}}
  local line
  while IFS= read -r line; do
    [[ -n $line ]] && COMPREPLY+=("$line")
  done < <(command $gt completion list "$1" "$2" 2>/dev/null)
}

_gt() {
  COMPREPLY=()
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  # Not \`path\`: zsh runs this function too, and there \`path\` is tied to PATH.
  local cmd="" npos=0 expect="" word i subs
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    # bash splits --opt=value at the '=': the value is still to come.
    if [[ -n $expect ]]; then [[ $word == "=" ]] || expect=""; continue; fi
    case "$word" in
      --) ;;
      -*=*) ;;
      -*) [[ " $(_gt_value_options "$cmd") " == *" $word "* ]] && expect="$word" ;;
      *)
        subs=" $(_gt_subcommands "$cmd") "
        if [[ $npos -eq 0 && $subs == *" $word "* ]]; then
          cmd="\${cmd:+$cmd }$word"
        else
          npos=$((npos + 1))
        fi
        ;;
    esac
  done
  local kind
  if [[ -n $expect ]]; then
    kind="$(_gt_option_kind "$cmd" "$expect")"
    [[ -n $kind ]] && _gt_list "$kind" "$cur"
    return 0
  fi
  # --opt=value as one word: zsh does not split it at the '=' as bash does.
  if [[ $cur == --*=* ]]; then
    kind="$(_gt_option_kind "$cmd" "\${cur%%=*}")"
    if [[ -n $kind ]]; then
      _gt_list "$kind" "\${cur#*=}"
      COMPREPLY=("\${COMPREPLY[@]/#/\${cur%%=*}=}")
    fi
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_gt_options "$cmd")" -- "$cur"))
    return 0
  fi
  subs="$(_gt_subcommands "$cmd")"
  if [[ -n $subs && $npos -eq 0 ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    return 0
  fi
  kind="$(_gt_arg_kind "$cmd" "$npos")"
  [[ -n $kind ]] && _gt_list "$kind" "$cur"
  return 0
}

# -o nosort keeps gt's order (open beads first) where bash knows it (4.4 and later).
complete -o nosort -o default -F _gt gt 2>/dev/null || complete -o default -F _gt gt
`;
}

export function zshScript(nodes: CompletionNode[], gt = 'gt'): string {
  return `# gt completion for zsh (generated by \`gt completion zsh\`): zsh runs gt's bash completion
# through its own bashcompinit, so both shells complete the same way.
# Install: echo 'source <(gt completion zsh)' >> ~/.zshrc   (after compinit, if your .zshrc runs it)
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit }
autoload -U +X bashcompinit && bashcompinit
${bashScript(nodes, gt).split('\n').filter((l) => !l.startsWith('# gt completion for bash') && !l.startsWith('# Install') && !l.startsWith('#      or')).join('\n')}`;
}

function fishWords(words: string[]): string {
  return words.map(shellWord).join(' ');
}

/** `printf` of name<TAB>help lines, as fish shows a candidate with its description. */
function fishDescribed(pairs: [string, string][]): string {
  const oneLine = (text: string): string => text.replace(/[\t\n\r]+/g, ' ').trim();
  return `printf '%s\\t%s\\n' ${pairs.map(([name, help]) => `${shellWord(name)} ${shellWord(oneLine(help))}`).join(' ')}`;
}

/**
 * The fish script: the same walk as bash's, in fish, over the same generated tables; candidates from
 * the ledger come with the bead's title (or convoy's) as fish's description.
 */
export function fishScript(nodes: CompletionNode[], gt = 'gt'): string {
  const sw = (body: (n: CompletionNode) => string | undefined): string =>
    nodes
      .map((n) => [n, body(n)] as const)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([n, v]) => `        case ${shellWord(pathKey(n))}\n            ${v}`)
      .join('\n');
  const optionKinds = nodes.flatMap((n) => n.options.filter((o) => o.kind).flatMap((o) => o.flags.map((f) => `        case ${shellWord(`${pathKey(n)}|${f}`)}\n            echo ${o.kind}`)));
  const argKinds = nodes.flatMap((n) =>
    n.args.flatMap((kind, i) => {
      if (!kind) return [];
      const last = i === n.args.length - 1 && n.variadic;
      return [`        case ${shellWord(`${pathKey(n)}|${i}`)}${last ? ` ${shellWord(`${pathKey(n)}|*`)}` : ''}\n            echo ${kind}`];
    }),
  );
  return `# gt completion for fish (generated by \`gt completion fish\` from gt's command tree).
# Install: gt completion fish > ~/.config/fish/completions/gt.fish

# Each line is a name, a tab and its help: fish shows the help beside the candidate.
function __gt_subcommands
    switch "$argv[1]"
${sw((n) => (n.subcommands.length > 0 ? fishDescribed(n.subcommands.map((name, i) => [name, n.subcommandDescriptions[i] ?? ''])) : undefined))}
    end
end

function __gt_options
    switch "$argv[1]"
${sw((n) => fishDescribed(n.options.flatMap((o) => o.flags.map((f): [string, string] => [f, o.description]))))}
    end
end

function __gt_value_options
    switch "$argv[1]"
${sw((n) => {
  const flags = n.options.filter((o) => o.takesValue).flatMap((o) => o.flags);
  return flags.length > 0 ? `printf '%s\\n' ${fishWords(flags)}` : undefined;
})}
    end
end

function __gt_option_kind
    switch "$argv[1]|$argv[2]"
${optionKinds.join('\n')}
    end
end

function __gt_arg_kind
    switch "$argv[1]|$argv[2]"
${argKinds.join('\n')}
    end
end

function __gt_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l cur (commandline -ct)
    set -l path ''
    set -l npos 0
    set -l expect ''
    for word in $words
        if test -n "$expect"
            set expect ''
            continue
        end
        switch $word
            case '--' '-*=*'
            case '-*'
                if contains -- $word (__gt_value_options "$path")
                    set expect $word
                end
            case '*'
                if test $npos -eq 0; and contains -- $word (__gt_subcommands "$path" | string replace -r '\\t.*' '')
                    set path (string trim -- "$path $word")
                else
                    set npos (math $npos + 1)
                end
        end
    end
    set -l gt ${gt}
    # Split as bash and zsh split it: the override may be a program and its script (node gt.mjs).
    set -q _GT_COMPLETION_COMMAND; and set gt (string split -n ' ' -- $_GT_COMPLETION_COMMAND)
    # What gt cannot list (a title, a directory) falls back to file names, as bash's \`-o default\` does.
    if test -n "$expect"
        set -l kind (__gt_option_kind "$path" $expect)
        if test -n "$kind"
            command $gt completion list $kind "$cur" --describe 2>/dev/null
        else
            __fish_complete_path "$cur"
        end
        return
    end
    # --opt=value as one word: the candidates keep the option in front.
    if string match -q -- '--*=*' "$cur"
        set -l option (string split -m 1 -- '=' "$cur")
        set -l kind (__gt_option_kind "$path" $option[1])
        test -n "$kind"; and command $gt completion list $kind "$option[2]" --describe 2>/dev/null | string replace -r -- '^' "$option[1]="
        return
    end
    if string match -q -- '-*' "$cur"
        __gt_options "$path"
        return
    end
    set -l subs (__gt_subcommands "$path")
    if test (count $subs) -gt 0; and test $npos -eq 0
        printf '%s\\n' $subs
        return
    end
    set -l kind (__gt_arg_kind "$path" $npos)
    if test -n "$kind"
        command $gt completion list $kind "$cur" --describe 2>/dev/null
    else
        __fish_complete_path "$cur"
    end
end

complete -c gt -f -k -a '(__gt_complete)'
`;
}
