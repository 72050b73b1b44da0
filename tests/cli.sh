#!/bin/sh
# tests/cli.sh — netc's command line: help, version, usage errors, files
# that cannot be read.  Every error exits 1 with a "netc: error:" line.
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0

n=0
fails=0
check() {   # check DESCRIPTION WANT_STATUS PATTERN -- ARGS...
  desc=$1 want=$2 pattern=$3
  shift 4
  "$NETC" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  status=$?
  n=$((n + 1))
  if [ "$status" -eq "$want" ] && { [ -z "$pattern" ] ||
       cat "$tmp/out" "$tmp/err" | grep -q -e "$pattern"; }; then
    echo "ok $n - $desc"
  else
    fails=$((fails + 1))
    echo "not ok $n - $desc (exit status $status, expected $want)"
    sed 's/^/# /' "$tmp/out" "$tmp/err" | head -n 10
  fi
}

printf 'input x : float[2]\ntarget y : class[2]\n' >"$tmp/m.net"
printf 'loss cross_entropy(dense(x, 2), y)\n' >>"$tmp/m.net"
mkdir "$tmp/dir"

check "--help prints the usage" 0 '^usage: netc' -- --help
check "-h prints the usage" 0 '--dump=ast' -- -h
check "--version names netc and LLVM" 0 '^netc [0-9.]* (LLVM 19' -- --version
check "--prelude prints the prelude's layers" 0 '^layer lstm(' -- --prelude
check "no input file" 1 'netc: error: no input file' --
check "two input files" 1 'netc: error: expected one input file' \
  -- "$tmp/m.net" "$tmp/m.net"
check "an unknown option" 1 "netc: error: unknown option '--frobnicate'" \
  -- --frobnicate "$tmp/m.net"
check "--dump with an unknown form" 1 'netc: error: --dump=llvm: expected' \
  -- --dump=llvm "$tmp/m.net"
check "-D without a value" 1 'netc: error: -D x: expected NAME=VALUE' \
  -- -D x "$tmp/m.net"
check "-D with a value that is no number" 1 "'abc' is not a number" \
  -- -D x=abc "$tmp/m.net"
check "-D given twice" 1 'is given twice' \
  -- -D x=1 -D x=2 "$tmp/m.net"
printf 'const b = 8\n' >"$tmp/b.net"
cat "$tmp/m.net" >>"$tmp/b.net"
printf 'train { optimizer sgd(lr = 0.1)  batch b }\n' >>"$tmp/b.net"
check "-D with an integer past 2^53" 1 \
  "netc: error: -D b: integer '99999999999999999999' is too large" \
  -- -D b=99999999999999999999 "$tmp/b.net"
check "-D gives the batch, which has a bound" 1 \
  "b.net:5:40: error: 'batch' must be at most 1048576, got 3000000000" \
  -- --check -D b=3e9 "$tmp/b.net"
check "-D gives a batch within the bound" 0 '' -- --check -D b=64 "$tmp/b.net"
check "a missing file" 1 "netc: error: cannot open '$tmp/none.net'" \
  -- --check "$tmp/none.net"
check "a directory" 1 "netc: error: cannot read '$tmp/dir'" \
  -- --check "$tmp/dir"
check "a good model checks, silently" 0 '' -- --check "$tmp/m.net"
check "--emit-llvm writes the generated IR" 0 \
  'define internal double @gradient' \
  -- --emit-llvm -o - "$tmp/m.net"
check "-S writes assembly" 0 'netc_model_m:' -- -S -o - "$tmp/m.net"
check "-c writes an object file" 0 '' -- -c -o "$tmp/m.o" "$tmp/m.net"
n=$((n + 1))
if grep -q 'extern const NetrtModel netc_model_m;' "$tmp/m.h" 2>/dev/null
then
  echo "ok $n - -c writes the header beside the object"
else
  fails=$((fails + 1))
  echo "not ok $n - -c writes the header beside the object"
fi
printf 'input x : float[3, 2]\ntarget y : class[2]\n' >"$tmp/r.net"
printf 'h = rnn(x, 4)\nloss cross_entropy(dense(h[-1], 2), y)\n' >>"$tmp/r.net"
check "a recurrence compiles to an object file" 0 '' \
  -- -c -o "$tmp/r.o" "$tmp/r.net"
check "a recurrence's backward loop in --dump=grad" 0 'backward over L0' \
  -- --dump=grad "$tmp/r.net"
check "--dtype takes f32 or f64 only" 1 'expected f32 or f64' \
  -- --dtype=f16 "$tmp/m.net"
check "-O takes 0 to 3" 1 'expected -O0' -- -O9 "$tmp/m.net"
check "--target with an unknown triple" 1 'netc: error: --target=nonsense' \
  -- --target=nonsense -c -o "$tmp/x.o" "$tmp/m.net"
# A NUL byte in a string is an error, as it is anywhere else (a .net case
# file cannot easily hold one).
printf 'input x : float[2]\ntarget y : class[2]\n' >"$tmp/nul.net"
printf 'data csv("a\000b.csv", features = 2, classes = 2)\n' >>"$tmp/nul.net"
printf 'loss cross_entropy(dense(x, 2), y)\n' >>"$tmp/nul.net"
check "a NUL byte in a string" 1 \
  "nul.net:3:12: error: NUL byte '.x00' in a string" -- --check "$tmp/nul.net"
printf 'input x : float[2]\000\n' >"$tmp/stray.net"
check "a NUL byte elsewhere" 1 "stray.net:1:19: error: stray character '.x00'" \
  -- --check "$tmp/stray.net"
tr '\000' ' ' <"$tmp/nul.net" >"$tmp/space.net"
check "the same model without the NUL checks" 0 '' -- --check "$tmp/space.net"
if [ "$(id -u)" -ne 0 ]; then
  cp "$tmp/m.net" "$tmp/locked.net"
  chmod 000 "$tmp/locked.net"
  check "an unreadable file" 1 'Permission denied' -- --check \
    "$tmp/locked.net"
else
  n=$((n + 1))
  echo "ok $n # SKIP root reads any file, so unreadable cannot be tested"
fi
echo "1..$n"
[ "$fails" -eq 0 ]
