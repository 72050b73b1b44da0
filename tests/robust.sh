#!/bin/sh
# tests/robust.sh — netc must never crash or hang, whatever the input.
#
# tests/robust-gen writes a few thousand bad inputs (truncated and mutated
# models, random bytes, deep nesting, huge numbers, 1 MB names...) into
# robust-out/in/, one directory per class; each is run as
# `netc --check FILE` under a 10 s limit.  An input of a "bad" class must
# give exit status 1 and an "error:" diagnostic; an input of an "any"
# class (it may happen to be valid) may also give exit 0, without one.
# A signal, a sanitizer report or a timeout always fails.  Then come a
# few command-line errors.  One TAP line per class.
#
# Failing inputs are kept in robust-out/failed/; the rest is removed.
# Environment: NETC, ROBUST_GEN, top_srcdir; ROBUST_CASES (default 3000),
# ROBUST_SEED (default 1), ROBUST_JOBS (parallel runs, default 2).

LC_ALL=C
export LC_ALL

# Sanitizer reports must not look like an ordinary exit 1.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=99"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=98"
UBSAN_OPTIONS="$UBSAN_OPTIONS:print_stacktrace=1"
export ASAN_OPTIONS UBSAN_OPTIONS

limit=10

# run_one FILE: runs netc on FILE; leaves FILE.res ("STATUS ERR SAN":
# the exit status, whether stderr has an error diagnostic, whether it has
# a sanitizer report) and stderr in FILE.err, cut to its first and last
# lines when long.  One awk per input keeps this cheap.
run_one() {
  timeout -k 2 "$limit" "$NETC" --check "$1" </dev/null >/dev/null \
    2>"$1.err"
  status=$?
  awk -v status="$status" -v res="$1.res" '
    /: error: / { err = 1 }
    /Sanitizer|runtime error:|internal error/ { san = 1 }
    { bytes += length($0) + 1 }
    END { print status, err + 0, san + 0 > res; exit bytes > 4000 }
  ' "$1.err" || {
    { head -c 2000 "$1.err"; printf '\n[...]\n'; tail -c 2000 "$1.err"; } \
      >"$1.cut"
    mv "$1.cut" "$1.err"
  }
}

if [ "${1:-}" = --run ]; then
  shift
  for f in "$@"; do
    run_one "$f"
  done
  exit 0
fi

: "${NETC:?NETC must name the netc binary}"
: "${ROBUST_GEN:?ROBUST_GEN must name tests/robust-gen}"
top=${top_srcdir:-$(dirname "$0")/..}
jobs=${ROBUST_JOBS:-2}
out=robust-out

[ -x "$NETC" ] || { echo "Bail out! no netc at $NETC"; exit 1; }
[ -x "$ROBUST_GEN" ] || {
  echo "Bail out! no robust-gen at $ROBUST_GEN"
  exit 1
}

rm -rf "$out"
mkdir -p "$out/failed" || exit 1
seeds=
for f in "$top"/models/*.net "$top"/examples/*.net; do
  [ -f "$f" ] && seeds="$seeds $f"
done
# shellcheck disable=SC2086
"$ROBUST_GEN" "$out/in" $seeds >"$out/gen.log" 2>&1 || {
  echo "Bail out! robust-gen failed: $(cat "$out/gen.log")"
  exit 1
}
start=$(date +%s)
find "$out/in" -name '*.net' -type f | sort |
  xargs -n 25 -P "$jobs" sh "$0" --run
end=$(date +%s)
echo "# $(cat "$out/gen.log"); ran them in $((end - start)) s"

n=0
nfail=0

# verdict MODE STATUS ERR SAN: prints why a result is wrong, or nothing.
verdict() {
  if [ "$2" -eq 124 ] || [ "$2" -eq 137 ]; then
    echo "timed out after $limit s"
  elif [ "$2" -gt 128 ] || [ "$2" -eq 99 ] || [ "$2" -eq 98 ] ||
       [ "$4" -eq 1 ]; then
    echo "crashed (exit status $2)"
  elif [ "$2" -eq 1 ] && [ "$3" -eq 0 ]; then
    echo "exit status 1 without an error diagnostic"
  elif [ "$2" -eq 0 ] && [ "$3" -eq 1 ]; then
    echo "exit status 0 after an error diagnostic"
  elif [ "$2" -eq 0 ] && [ "$1" = bad ]; then
    echo "accepted (exit status 0), but the input is invalid"
  elif [ "$2" -ne 0 ] && [ "$2" -ne 1 ]; then
    echo "exit status $2"
  fi
}

# show FILE WHY: a failing input, for the TAP comments.
show() {
  echo "#   $1: $2"
  head -n 6 "$1.err" | cut -c1-160 | sed 's/^/#     | /'
}

check_class() {
  cls=$1 mode=$2 what=$3
  total=0
  bad=0
  for f in "$out/in/$cls"/*.net; do
    [ -f "$f.res" ] || continue
    total=$((total + 1))
    read -r status err san <"$f.res"
    case $mode/$status/$err/$san in
      */1/1/0|any/0/0/0) continue ;;    # the usual answers, without a fork
    esac
    why=$(verdict "$mode" "$status" "$err" "$san")
    [ -n "$why" ] || continue
    bad=$((bad + 1))
    mkdir -p "$out/failed/$cls"
    cp "$f" "$f.err" "$out/failed/$cls/"
    [ "$bad" -le 5 ] && show "$f" "$why" >>"$out/why"
  done
  n=$((n + 1))
  if [ "$mode" = bad ]; then
    expect="all exit 1 with a diagnostic"
  else
    expect="all exit 0, or 1 with a diagnostic"
  fi
  if [ "$total" -gt 0 ] && [ "$bad" -eq 0 ]; then
    echo "ok $n - $what: $total inputs, $expect"
  else
    nfail=$((nfail + 1))
    echo "not ok $n - $what: $bad of $total inputs fail ($expect)"
    [ ! -f "$out/why" ] || cat "$out/why"
  fi
  rm -f "$out/why"
}

while read -r cls mode what; do
  check_class "$cls" "$mode" "$what"
done <"$out/in/classes.txt"

# --- command-line errors -----------------------------------------------------
# cli WHAT ARGS...: netc must exit 1 with an error diagnostic.
cli() {
  what=$1
  shift
  timeout -k 2 "$limit" "$NETC" "$@" </dev/null >/dev/null 2>"$out/cli.err"
  status=$?
  err=0
  san=0
  grep -q ': error: ' "$out/cli.err" && err=1
  grep -qE 'Sanitizer|runtime error:|internal error' "$out/cli.err" && san=1
  why=$(verdict bad "$status" "$err" "$san")
  n=$((n + 1))
  if [ -z "$why" ]; then
    echo "ok $n - command line: $what"
  else
    nfail=$((nfail + 1))
    echo "not ok $n - command line: $what: $why"
    echo "#   netc $*"
    head -n 6 "$out/cli.err" | sed 's/^/#     | /'
  fi
}

# A valid model, so that each error below comes from the command line.
good=$out/good.net
cat >"$good" <<'EOF'
const n = 3
input x : float[n]
target y : class[2]
z = dense(x, 2)
loss cross_entropy(z, y)
EOF
n=$((n + 1))
if timeout -k 2 "$limit" "$NETC" --check "$good" >/dev/null 2>"$out/cli.err"
then
  echo "ok $n - command line: a valid model for the tests below"
else
  nfail=$((nfail + 1))
  echo "not ok $n - command line: a valid model for the tests below"
  sed 's/^/#     | /' "$out/cli.err"
fi
cli "a missing file" --check "$out/no-such-file.net"
cli "a directory as the file" --check "$out"
if [ "$(id -u)" -ne 0 ]; then
  printf 'model m\n' >"$out/unreadable.net"
  chmod 000 "$out/unreadable.net"
  cli "an unreadable file" --check "$out/unreadable.net"
  chmod 644 "$out/unreadable.net"
else
  n=$((n + 1))
  echo "ok $n - command line: an unreadable file # SKIP root reads anything"
fi
cli "-D with a bad value" -D n=abc --check "$good"
cli "-D with no value" -D n --check "$good"
cli "-D with an unknown name" -D nosuch=1 --check "$good"
cli "-D with no argument" --check "$good" -D
cli "an unknown option" --no-such-option --check "$good"
cli "a bad --dump" --dump=nonsense "$good"
cli "no input file" --check
cli "two input files" --check "$good" "$good"

echo "1..$n"
rm -rf "$out/in" "$out/cli.err" "$out/unreadable.net"
if [ "$nfail" -eq 0 ]; then
  rm -rf "$out"
else
  echo "# failing inputs and their stderr: $(pwd)/$out/failed/"
fi
[ "$nfail" -eq 0 ]
