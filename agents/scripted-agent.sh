#!/bin/sh
# gt's scripted agent: a polecat session without an AI, for tests and the demo.
#   gt config set runtime.command 'sh /path/to/agents/scripted-agent.sh'
# It reads its hook (the `gt prime` text in $GT_PRIME_FILE, else on standard input), checks that the
# bead $GT_BEAD is on it, appends a line to scripted-work.txt in its worktree, commits it with
# `Closes: $GT_BEAD`, runs `gt done` and exits 0. Any step failing fails the session (exit non-zero).
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
echo "scripted agent $GT_AGENT: working on $GT_BEAD ($title)"
cd "${GT_WORKTREE:-.}"
printf '%s %s: %s\n' "$GT_AGENT" "$GT_BEAD" "$title" >> scripted-work.txt
git add scripted-work.txt
GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-$GT_AGENT} GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-$GT_AGENT@gt.local} \
GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-$GT_AGENT} GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-$GT_AGENT@gt.local} \
  git commit -q -m "$GT_BEAD: $title" -m "Closes: $GT_BEAD"
gt done
echo "scripted agent $GT_AGENT: done with $GT_BEAD"
