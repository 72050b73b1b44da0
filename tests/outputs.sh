#!/bin/sh
# tests/outputs.sh — netc's outputs: a write that fails (/dev/full, a
# missing directory) exits 1 with the file's name and the cause, and
# nothing netc writes goes unchecked, standard output included.
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/outputs.XXXXXX") || exit 1
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' 0

n=0
fails=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
  n=$((n + 1))
  fails=$((fails + 1))
  echo "not ok $n - $1"
  sed 's/^/# /' "$tmp/err" | head -n 10
}

# fails DESCRIPTION PATTERN -- ARGS...: netc exits 1, and its stderr has
# one error, matching PATTERN, and nothing from LLVM.
fails() {
  desc=$1 pattern=$2
  shift 3
  "$NETC" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  status=$?
  if [ "$status" -eq 1 ] && grep -q -e "$pattern" "$tmp/err" &&
     [ "$(grep -c . "$tmp/err")" -eq 1 ]; then
    pass "$desc"
  else
    fail "$desc (exit status $status)"
  fi
}

# fails_stdout DESCRIPTION -- ARGS...: the same with stdout on /dev/full.
fails_stdout() {
  desc=$1
  shift 2
  "$NETC" "$@" >/dev/full 2>"$tmp/err" </dev/null
  status=$?
  if [ "$status" -eq 1 ] && [ "$(grep -c . "$tmp/err")" -eq 1 ] &&
     grep -q 'netc: error: cannot write standard output: No space left' \
       "$tmp/err"; then
    pass "$desc"
  else
    fail "$desc (exit status $status)"
  fi
}

printf 'input x : float[2]\ntarget y : class[2]\n' >"$tmp/m.net"
printf 'loss cross_entropy(dense(x, 2), y)\n' >>"$tmp/m.net"
full='No space left on device'

if [ -c /dev/full ]; then
  fails "--emit-llvm -o /dev/full" "cannot write '/dev/full': $full" \
    -- --emit-llvm -o /dev/full "$tmp/m.net"
  fails "-S -o /dev/full" "cannot write '/dev/full': $full" \
    -- -S -o /dev/full "$tmp/m.net"
  fails "-c -o /dev/full" "cannot write '/dev/full': $full" \
    -- -c -o /dev/full "$tmp/m.net"
  for what in tokens parse ast ir grad; do
    fails_stdout "--dump=$what to a full stdout" -- --dump=$what "$tmp/m.net"
  done
  fails_stdout "--emit-llvm -o - to a full stdout" \
    -- --emit-llvm -o - "$tmp/m.net"
  fails_stdout "-S -o - to a full stdout" -- -S -o - "$tmp/m.net"
  fails_stdout "-c -o - to a full stdout" -- -c -o - "$tmp/m.net"
  fails_stdout "--help to a full stdout" -- --help
  fails_stdout "--version to a full stdout" -- --version
  fails_stdout "--prelude to a full stdout" -- --prelude
else
  n=$((n + 1))
  echo "ok $n # SKIP no /dev/full here"
fi

for flag in -c -S --emit-llvm; do
  fails "${flag:-an executable} into a missing directory" \
    "cannot write '$tmp/none/m.out': No such file or directory" \
    -- $flag -o "$tmp/none/m.out" "$tmp/m.net"
done

echo "1..$n"
[ "$fails" -eq 0 ]
