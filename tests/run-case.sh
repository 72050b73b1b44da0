#!/bin/sh
# tests/run-case.sh CASE.net — run one case file and report TAP.
#
# A case is a .net file whose expectations sit in comment lines after the
# code, so editing them never shifts the line numbers they assert:
#
#   # ARGS: --dump=ast            netc's arguments (default: --check); the
#                                 case's path is appended as the last one
#   # EXPECT-EXIT: 1              exit status (default: 0)
#   # EXPECT-STDERR:              exact stderr: the comment lines below,
#   # tests/diag/x.net:3:5: error: ...   with "# " stripped ("#" alone is
#   #     3 | h = x + b                  an empty line), up to the next
#   #       |     ^~~~~                  "# EXPECT-" line or a non-comment
#   # EXPECT-STDOUT:              exact stdout, the same way
#   # EXPECT-STDOUT-CONTAINS: s   stdout has a line containing s
#   # EXPECT-STDERR-CONTAINS: s   stderr has a line containing s
#
# Each expectation is one TAP test; the exit status is always one.  With
# no stderr expectation at all, stderr must be empty when the expected
# exit status is 0, and must hold a "file:line:col: error: " line
# otherwise.
#
# netc runs from the top of the source tree ($top_srcdir, or this
# script's parent), with the case's path relative to it, so diagnostics
# read "tests/diag/x.net:3:5:" in any build directory (VPATH, distcheck).
# Environment: NETC (the compiler), top_srcdir.

LC_ALL=C
export LC_ALL

case_arg=${1:?usage: run-case.sh CASE.net}
: "${NETC:?NETC must name the netc binary}"

# Sanitizer reports must not look like an ordinary exit 1.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=99"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=98"
UBSAN_OPTIONS="$UBSAN_OPTIONS:print_stacktrace=1"
export ASAN_OPTIONS UBSAN_OPTIONS

abs_dir() { (cd "$1" 2>/dev/null && pwd -P); }

if [ -z "${top_srcdir:-}" ]; then
  top_srcdir=$(dirname "$0")/..
fi
top=$(abs_dir "$top_srcdir") || {
  echo "1..0 # SKIP cannot find the source tree ($top_srcdir)"
  exit 0
}
case_dir=$(abs_dir "$(dirname "$case_arg")") || {
  echo "Bail out! no such case file: $case_arg"
  exit 1
}
case_abs=$case_dir/$(basename "$case_arg")
[ -f "$case_abs" ] || { echo "Bail out! no such case file: $case_arg"; exit 1; }
case $case_abs in
  "$top"/*) case_rel=${case_abs#"$top"/} ;;
  *) case_rel=$case_abs ;;
esac
case $NETC in
  /*) ;;
  *) NETC=$(abs_dir "$(dirname "$NETC")")/$(basename "$NETC") ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-case.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0
trap 'exit 1' HUP INT PIPE TERM

# --- extract the expectations ----------------------------------------------
# block NAME: the comment lines after "# EXPECT-NAME:", "# " stripped.
block() {
  awk -v want="# EXPECT-$1:" '
    inb && /^# EXPECT-/ { exit }
    inb && !/^#/ { exit }
    inb { line = $0; sub(/^# ?/, "", line); print line; next }
    $0 == want || $0 == want " " { inb = 1; found = 1 }
    END { exit !found }
  ' "$case_abs"
}

# value NAME: the text after "# NAME: " on every such line.
value() {
  sed -n "s/^# $1:[ ]\{0,1\}//p" "$case_abs"
}

args=$(value ARGS | tail -n 1)
[ -n "$args" ] || args=--check
want_exit=$(value EXPECT-EXIT | tail -n 1)
[ -n "$want_exit" ] || want_exit=0
has_stderr=no
block STDERR >"$tmp/want.err" && has_stderr=yes
has_stdout=no
block STDOUT >"$tmp/want.out" && has_stdout=yes
value EXPECT-STDOUT-CONTAINS >"$tmp/out.contains"
value EXPECT-STDERR-CONTAINS >"$tmp/err.contains"

# --- run netc ---------------------------------------------------------------
cd "$top" || exit 1
set -f                       # ARGS are split on blanks, never globbed
# shellcheck disable=SC2086
timeout -k 5 20 "$NETC" $args "$case_rel" </dev/null \
  >"$tmp/got.out" 2>"$tmp/got.err"
status=$?
set +f

# --- report -----------------------------------------------------------------
n=0
fails=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
comment() { sed 's/^/# /'; }
show_stderr() {
  echo "# stderr (last 20 lines):"
  tail -n 20 "$tmp/got.err" | comment
}

what="$case_rel: netc $args"
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  fail "$what: timed out after 20 s"
  show_stderr
elif [ "$status" -gt 128 ] || [ "$status" -eq 99 ] ||
     [ "$status" -eq 98 ] ||
     grep -qE 'Sanitizer|runtime error:|internal error' "$tmp/got.err"; then
  fail "$what: crashed (exit status $status)"
  show_stderr
elif [ "$status" -ne "$want_exit" ]; then
  fail "$what: exit status $status, expected $want_exit"
  show_stderr
else
  pass "$what: exit status $status"
fi

# same LABEL WANT GOT: exact comparison with a diff on mismatch.
same() {
  if cmp -s "$2" "$3"; then
    pass "$1 matches"
  else
    fail "$1 differs"
    echo "# diff -u expected actual"
    diff -u "$2" "$3" | sed '1,2d' | comment
  fi
}

# contains LABEL TEXT GOT: a line of GOT holds TEXT (a fixed string).
contains() {
  if grep -qF -e "$2" "$3"; then
    pass "$1 contains '$2'"
  else
    fail "$1 contains '$2'"
    echo "# $1 was:"
    head -n 20 "$3" | comment
  fi
}

[ "$has_stderr" = no ] || same stderr "$tmp/want.err" "$tmp/got.err"
[ "$has_stdout" = no ] || same stdout "$tmp/want.out" "$tmp/got.out"
while IFS= read -r text; do
  contains stdout "$text" "$tmp/got.out"
done <"$tmp/out.contains"
while IFS= read -r text; do
  contains stderr "$text" "$tmp/got.err"
done <"$tmp/err.contains"

if [ "$has_stderr" = no ] && [ ! -s "$tmp/err.contains" ]; then
  if [ "$want_exit" -eq 0 ]; then
    if [ -s "$tmp/got.err" ]; then
      fail "stderr is empty"
      show_stderr
    else
      pass "stderr is empty"
    fi
  elif grep -q ': error: ' "$tmp/got.err"; then
    pass "stderr has an error diagnostic"
  else
    fail "stderr has an error diagnostic"
    show_stderr
  fi
fi

echo "1..$n"
[ "$fails" -eq 0 ]
