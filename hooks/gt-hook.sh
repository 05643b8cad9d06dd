#!/bin/sh
# gt-managed-hook v1
# Installed by `gt hooks install`; `gt hooks uninstall` removes it and puts back the hook that was
# here before (kept next to this file as <hook>.gt-chained, and run first, with the same arguments).
# gt's part never fails or blocks a commit and never prints: it logs to <git common dir>/gt/hooks.log
# (GT_DEBUG=1 prints it too). One script serves every hook; it knows which one from its file name.
gt_node=@GT_NODE@
gt_bin=@GT_BIN@
gt_hook=${0##*/}

# post-rewrite lists the rewritten commits on stdin: the chained hook and gt both need it.
gt_input=
if [ "$gt_hook" = post-rewrite ]; then
  gt_input=$(cat)
fi

# The hook that was here before gt's runs first. Only prepare-commit-msg can stop a commit, and
# whether it does is that hook's choice; the exit status of a post-* hook changes nothing.
if [ -x "$0.gt-chained" ]; then
  if [ "$gt_hook" = post-rewrite ]; then
    printf '%s\n' "$gt_input" | "$0.gt-chained" "$@"
  else
    "$0.gt-chained" "$@"
  fi
  gt_status=$?
  if [ "$gt_hook" = prepare-commit-msg ] && [ "$gt_status" -ne 0 ]; then
    exit "$gt_status"
  fi
fi

# Does a commit message name a bead? A loose test: whatever gt would read as naming one passes it.
gt_names_beads() {
  printf '%s\n' "$1" | grep -Eiq '^[[:space:]]*([-*][[:space:]]+)?(close[sd]?|fix(e[sd])?|resolve[sd]?|refs?|gt-bead)[[:space:]]*:?[[:space:]]*[[(]*[a-z]{2,8}-[0-9a-z]'
}

gt_run() {
  "$gt_node" "$gt_bin" hooks run "$gt_hook" "$@"
  gt_rc=$?
  if [ "$gt_rc" -ne 0 ]; then
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $gt_hook: gt exited with status $gt_rc ($gt_node $gt_bin)"
  fi
}

gt_part() {
  gt_dirs=$(git rev-parse --git-dir --git-common-dir) || return 0
  gt_git_dir=${gt_dirs%%
*}
  gt_common_dir=${gt_dirs#*
}

  case $gt_hook in
    prepare-commit-msg)
      case ${2-} in merge | squash) return 0 ;; esac
      # Fast path: only an agent gets a trailer: GT_AGENT (set but empty means the overseer), else
      # the agent this checkout belongs to (the file gt-agent in its own git dir).
      if [ "${GT_AGENT+set}" = set ]; then
        if [ -z "$GT_AGENT" ]; then return 0; fi
      elif [ ! -f "$gt_git_dir/gt-agent" ]; then
        return 0
      fi
      # A message that already names beads (`Closes: gt-4f2a`) says what it is about: left as written.
      if [ -f "${1-}" ] && gt_names_beads "$(cat "$1")"; then return 0; fi
      ;;
    post-checkout | post-commit | post-merge | post-rewrite)
      # A file checkout (not a branch switch) changes nothing gt watches.
      if [ "$gt_hook" = post-checkout ] && [ "${3-}" != 1 ]; then return 0; fi
      gt_refs=$(git for-each-ref --format='%(objectname) %(refname)' refs/heads/gt/)
      # No ledger here (a shared core.hooksPath reaches repositories without one): nothing to do.
      if [ -z "$gt_refs" ]; then return 0; fi
      if [ "$gt_hook" = post-rewrite ]; then
        gt_commits=
        while read -r gt_old gt_new gt_rest; do gt_commits="$gt_commits $gt_old $gt_new"; done <<EOF
$gt_input
EOF
        # shellcheck disable=SC2086
        gt_message=$(git log --no-walk --format=%B $gt_commits --)
      elif [ "$gt_hook" = post-merge ] && git rev-parse -q --verify ORIG_HEAD >/dev/null; then
        # What the merge (or pull) brought in, not only the merge commit, whose own message rarely names a bead.
        gt_message=$(git log --format=%B ORIG_HEAD..HEAD --)
      else
        gt_message=$(git log -1 --format=%B HEAD --)
      fi
      # Fast path: a commit that names no bead, with gt's branches where the last observer pass
      # left them and no commits left behind by a hook that found the ledger busy, needs no
      # observer pass: gt is not started at all.
      if ! gt_names_beads "$gt_message" && [ -f "$gt_common_dir/gt/observer-refs" ] &&
        [ ! -f "$gt_common_dir/gt/hook-backlog.jsonl" ] &&
        [ "$gt_refs" = "$(cat "$gt_common_dir/gt/observer-refs")" ]; then
        return 0
      fi
      ;;
    *) return 0 ;;
  esac

  mkdir -p "$gt_common_dir/gt" || return 0
  gt_log=$gt_common_dir/gt/hooks.log
  # Kept under about 1 MB: past that, the log moves to hooks.log.1 and a new one starts.
  if [ -f "$gt_log" ] && [ "$(wc -c <"$gt_log")" -gt 1048576 ]; then mv -f "$gt_log" "$gt_log.1"; fi
  if [ "${GT_DEBUG-}" = 1 ]; then
    printf '%s\n' "$gt_input" | gt_run "$@" 2>&1 | tee -a "$gt_log" >&2
  else
    printf '%s\n' "$gt_input" | gt_run "$@" >>"$gt_log" 2>&1
  fi
}

if [ "${GT_DEBUG-}" = 1 ]; then
  gt_part "$@"
else
  gt_part "$@" >/dev/null 2>&1
fi
exit 0
