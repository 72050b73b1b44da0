#!/bin/sh
# tests/cross-aarch64.sh — netc for aarch64-linux-gnu from this machine:
# the build's cross-compiled libnetrt holds aarch64 objects only.  It
# skips where configure found no cross compiler (tools/setup --cross
# installs one; see docs/netc.md, "Cross-compiling").
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
top=$(cd "${top_srcdir:-$(dirname "$0")/..}" && pwd) || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cross-aarch64.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0
cd "$tmp" || exit 1
triple=aarch64-linux-gnu
runtime=${NETC_RUNTIME_DIR:-}/$triple/libnetrt.a

n=0
fails=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
  n=$((n + 1))
  fails=$((fails + 1))
  echo "not ok $n - $1"
  [ -f out ] && sed 's/^/# /' out | head -n 12
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# machine FILE: FILE's ELF machine, as two hex bytes ("b7 00": aarch64)
machine() { od -An -tx1 -j18 -N2 "$1" | sed 's/^ *//'; }

# The cross runtime: every member of the archive is an aarch64 object.
if [ ! -f "$runtime" ]; then
  skip "the aarch64 runtime holds aarch64 objects" \
    "no $runtime (configure found no aarch64 cross compiler)"
else
  mkdir members && (cd members && ar x "$runtime") >out 2>&1
  total=0 others=
  for o in members/*.o; do
    total=$((total + 1))
    [ "$(machine "$o")" = "b7 00" ] || others="$others ${o#members/}"
  done
  if [ "$total" -gt 10 ] && [ -z "$others" ]; then
    pass "the aarch64 runtime holds aarch64 objects ($total of them)"
  else
    fail "the aarch64 runtime holds aarch64 objects ($total;${others:- })"
  fi
fi

echo "1..$n"
[ "$fails" -eq 0 ]
