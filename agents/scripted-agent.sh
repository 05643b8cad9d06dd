#!/bin/sh
# gt's scripted agent: a polecat session without an AI, for tests and the demo.
#   gt config set runtime.command 'sh /path/to/agents/scripted-agent.sh'
# It reads its hook (the `gt prime` text in $GT_PRIME_FILE, else on standard input), checks that the
# bead $GT_BEAD is on it, appends a line to scripted-work.txt in its worktree (SCRIPTED_FILE=<path>
# names another file), commits it with `Closes: $GT_BEAD`, runs `gt done` and exits 0. Any step
# failing fails the session (exit non-zero).
#
# A bead "Resolve conflict merging <branch> into <target>" (the refinery's) is worked as a person would:
# `git merge <target>` in the sandbox, each conflicted file resolved by keeping both sides' lines,
# the merge committed, `gt done`.
#
# Misbehaviour on purpose, chosen by environment variables set in runtime.command (each happens in the
# first session for a bead only, remembered by a marker file in the sandbox's git dir):
#   SCRIPTED_CRASH_ONCE=1      exit 3 before committing anything (the loop restarts the session);
#   SCRIPTED_KILL_LOOP_ONCE=1  SIGKILL its own loop, then itself, as a machine crash would (the witness restarts it);
#   SCRIPTED_HANDOFF_ONCE=1    run `gt handoff -m ...`; the next session checks its prime shows that message;
#   SCRIPTED_BREAK_ONCE=1      write its line with BROKEN in it (for a test command to fail on); a later
#                              session for the bead (the refinery bounced it) rewrites that line fixed.
set -eu
# Stall mode (SCRIPTED_STALL=1 sh scripted-agent.sh): one line, then nothing at all for a day (no
# output, no commit, no gt write), for testing how the witness treats a stalled session.
if [ -n "${SCRIPTED_STALL:-}" ]; then
  echo "scripted agent ${GT_AGENT:-?}: stalling (SCRIPTED_STALL)"
  exec sleep 86400
fi
: "${GT_BEAD:?GT_BEAD is not set: run me as a gt polecat session (gt sling <bead> --spawn)}"
: "${GT_AGENT:?GT_AGENT is not set}"
if [ -n "${GT_PRIME_FILE:-}" ] && [ -r "$GT_PRIME_FILE" ]; then
  prime=$(cat "$GT_PRIME_FILE")
else
  prime=$(cat)
fi
case "$prime" in
  *"### $GT_BEAD:"*) ;;
  *) echo "scripted agent $GT_AGENT: $GT_BEAD is not on my hook" >&2; exit 1 ;;
esac
title=$(printf '%s\n' "$prime" | sed -n "s/^### $GT_BEAD: //p" | head -n 1)
cd "${GT_WORKTREE:-.}"
markers=$(git rev-parse --absolute-git-dir)
# once <mode>: true the first time a session for this bead asks, false ever after.
once() {
  [ -e "$markers/scripted-$1-$GT_BEAD" ] && return 1
  : > "$markers/scripted-$1-$GT_BEAD"
}
handoff_note="scripted handoff for $GT_BEAD"
if [ -n "${SCRIPTED_CRASH_ONCE:-}" ] && once crash; then
  echo "scripted agent $GT_AGENT: crashing on $GT_BEAD (once)"
  exit 3
fi
if [ -n "${SCRIPTED_KILL_LOOP_ONCE:-}" ] && once kill-loop; then
  : "${GT_LOOP_PID:?GT_LOOP_PID is not set: no loop to kill}"
  echo "scripted agent $GT_AGENT: killing my loop $GT_LOOP_PID and myself on $GT_BEAD (once)"
  kill -KILL "$GT_LOOP_PID"
  kill -KILL $$
fi
if [ -n "${SCRIPTED_HANDOFF_ONCE:-}" ]; then
  if once handoff; then
    echo "scripted agent $GT_AGENT: handing off $GT_BEAD (once)"
    gt handoff -m "$handoff_note"
    # gt handoff ends this session; reaching here means it did not.
    echo "scripted agent $GT_AGENT: gt handoff returned" >&2
    exit 1
  fi
  case "$prime" in
    *"Handoff from your previous session: $handoff_note"*) echo "scripted agent $GT_AGENT: my prime shows the handoff" ;;
    *) echo "scripted agent $GT_AGENT: the handoff message is not in my prime" >&2; exit 1 ;;
  esac
fi
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-$GT_AGENT}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-$GT_AGENT@gt.local}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-$GT_AGENT}" GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-$GT_AGENT@gt.local}"
case "$title" in
  "Resolve conflict merging "*" into "*)
    target=${title##* into }
    echo "scripted agent $GT_AGENT: resolving $GT_BEAD: git merge $target, keeping both sides"
    if ! git merge -q --no-edit "$target" >/dev/null 2>&1; then
      conflicted=$(git diff --name-only --diff-filter=U)
      [ -n "$conflicted" ] || { echo "scripted agent $GT_AGENT: git merge $target failed without a conflict" >&2; exit 1; }
      for file in $conflicted; do
        sed -e '/^<<<<<<< /d' -e '/^=======$/d' -e '/^>>>>>>> /d' "$file" > "$file.resolved" && mv "$file.resolved" "$file"
        git add -- "$file"
        echo "scripted agent $GT_AGENT: kept both sides in $file"
      done
      git commit -q --no-edit
    fi
    gt done
    echo "scripted agent $GT_AGENT: done with $GT_BEAD"
    exit 0
    ;;
esac
file=${SCRIPTED_FILE:-scripted-work.txt}
line="$GT_AGENT $GT_BEAD: $title"
if [ -n "${SCRIPTED_BREAK_ONCE:-}" ]; then
  if once break; then
    echo "scripted agent $GT_AGENT: working on $GT_BEAD ($title), and breaking the tests (once)"
    printf '%s BROKEN\n' "$line" >> "$file"
    message="$GT_BEAD: $title"
  else
    echo "scripted agent $GT_AGENT: $GT_BEAD came back from the refinery; fixing $file"
    sed "s/ BROKEN\$/ (fixed)/" "$file" > "$file.fixed" && mv "$file.fixed" "$file"
    message="$GT_BEAD: fix $title"
  fi
else
  echo "scripted agent $GT_AGENT: working on $GT_BEAD ($title)"
  printf '%s\n' "$line" >> "$file"
  message="$GT_BEAD: $title"
fi
git add -- "$file"
git commit -q -m "$message" -m "Closes: $GT_BEAD"
gt done
echo "scripted agent $GT_AGENT: done with $GT_BEAD"
