#!/bin/sh
# tests/fuzz-replay.sh — replays every input kept for the fuzz targets
# through the targets' own entry points, built without libFuzzer: the
# inputs that once crashed a target or that issue 14 reported
# (tests/fuzz/regress/TARGET/) and the seed corpora
# (tests/fuzz/corpus/TARGET/).  One TAP line per file: ok when the
# target returns, not ok when it crashes or a sanitizer (in a
# --enable-sanitizers build) reports; the last lines of its output are
# shown then.  TESTING.md says how to add an input.
# Environment: top_srcdir, FUZZ_REPLAY_DIR (the replay-TARGET programs),
# FUZZ_TARGETS.

LC_ALL=C
export LC_ALL
top=${top_srcdir:-$(dirname "$0")/..}
dir=${FUZZ_REPLAY_DIR:-tests/fuzz}
targets=${FUZZ_TARGETS:-frontend idx idx_gz csv text ckpt json}
out=$(mktemp "${TMPDIR:-/tmp}/fuzz-replay.XXXXXX") || exit 1
list=$(mktemp "${TMPDIR:-/tmp}/fuzz-replay.XXXXXX") || exit 1
trap 'rm -f "$out" "$list"' 0

# inputs TARGET: the files kept for TARGET, one per line.
inputs() {
  for kind in regress corpus; do
    [ -d "$top/tests/fuzz/$kind/$1" ] || continue
    find "$top/tests/fuzz/$kind/$1" -type f ! -name '.*' | sort
  done
}

for t in $targets; do
  inputs "$t" | sed "s|^|$t |"
done >"$list"
echo "1..$(wc -l <"$list" | tr -d ' ')"

i=0
while read -r t f; do
  i=$((i + 1))
  name=${f#"$top/tests/fuzz/"}
  # The front end's diagnostics are expected: they go to $out, shown only
  # when the target fails.
  if "$dir/replay-$t" "$f" >"$out" 2>&1; then
    echo "ok $i - $t: $name"
  else
    echo "not ok $i - $t: $name (status $?)"
    tail -n 20 "$out" | sed 's/^/#   /'
  fi
done <"$list"
