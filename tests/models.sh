#!/bin/sh
# tests/models.sh — every model and example must pass `netc --check`.
#
# The files come from $MODEL_FILES (models/local.mk's MODELS and
# examples/local.mk's EXAMPLES, relative to the source tree); netc runs
# from the top of the source tree so its messages name them the same way.
# One TAP line per file.  Environment: NETC, top_srcdir, MODEL_FILES.

LC_ALL=C
export LC_ALL
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=99"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=98"
export ASAN_OPTIONS UBSAN_OPTIONS

: "${NETC:?NETC must name the netc binary}"
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top" || { echo "Bail out! cannot cd to $top"; exit 1; }

set -f
# shellcheck disable=SC2086
set -- $MODEL_FILES
set +f
if [ $# -eq 0 ]; then
  echo "1..0 # SKIP no model files (MODEL_FILES is empty)"
  exit 0
fi

tmp=$(mktemp "${TMPDIR:-/tmp}/models.XXXXXX") || exit 1
trap 'rm -f "$tmp"' 0

echo "1..$#"
n=0
fails=0
for f in "$@"; do
  n=$((n + 1))
  timeout -k 2 20 "$NETC" --check "$f" </dev/null >/dev/null 2>"$tmp"
  status=$?
  if [ "$status" -eq 0 ] && [ ! -s "$tmp" ]; then
    echo "ok $n - $f"
  else
    fails=$((fails + 1))
    case $status in
      0) why="exit status 0 but stderr is not empty" ;;
      124|137) why="timed out after 20 s" ;;
      *) why="exit status $status" ;;
    esac
    echo "not ok $n - $f: $why"
    head -n 30 "$tmp" | sed 's/^/# /'
  fi
done
[ "$fails" -eq 0 ]
