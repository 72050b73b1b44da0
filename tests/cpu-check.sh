#!/bin/sh
# tests/cpu-check.sh — the CPU features an executable needs: what netc
# --print-target lists for CPUs named with -march= and for the host (its
# list agrees with /proc/cpuinfo).
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cpu-check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0

n=0
fails=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
  n=$((n + 1))
  fails=$((fails + 1))
  echo "not ok $n - $1"
  sed 's/^/# /' "$tmp/out" | head -n 12
}
skip() { n=$((n + 1)); echo "ok $n - # SKIP $1"; }
# has DESCRIPTION TEXT: the last command's output, $tmp/out, has a line
# with TEXT.
has() { if grep -qF -e "$2" "$tmp/out"; then pass "$1"; else fail "$1"; fi; }
# is DESCRIPTION LINE: ... has the whole line LINE.
is() { if grep -qxF -e "$2" "$tmp/out"; then pass "$1"; else fail "$1"; fi; }

# features ARGS...: the features --print-target lists for ARGS, with ""
# for none.
features() {
  # shellcheck disable=SC2086
  "$NETC" --print-target "$@" 2>/dev/null |
    sed -n 's/^cpu features: //p' | sed 's/^none beyond the baseline$//'
}

# ---- what netc lists ----

"$NETC" --print-target -march=haswell > "$tmp/out" 2>&1
has "-march=haswell: its features" \
  "cpu features: sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe"
"$NETC" --print-target -march=x86-64 > "$tmp/out" 2>&1
has "-march=x86-64: the baseline" "cpu features: none beyond the baseline"
"$NETC" --print-target -march=skx > "$tmp/out" 2>&1
has "-march=skx (an alias of skylake-avx512): AVX-512" \
  "lzcnt,movbe,avx512f,avx512cd,avx512bw,avx512dq,avx512vl"
"$NETC" --print-target -march=sapphirerapids > "$tmp/out" 2>&1
has "-march=sapphirerapids: AVX512-FP16 and AVX-VNNI" \
  "avx512bf16,avx512fp16,avxvnni"
"$NETC" --print-target -march=znver4 > "$tmp/out" 2>&1
is "-march=znver4: no SSE4A (intrinsics only), no AVX512-FP16" \
  "cpu features: sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,gfni,avx512f,avx512cd,avx512bw,avx512dq,avx512vl,avx512ifma,avx512vbmi,avx512vbmi2,avx512vnni,avx512bitalg,avx512vpopcntdq,avx512bf16"
"$NETC" --print-target -march=not-a-cpu > "$tmp/out" 2>&1
has "an unknown CPU: the baseline" "cpu features: none beyond the baseline"
"$NETC" --print-target --target=aarch64-linux-gnu > "$tmp/out" 2>&1
has "aarch64 without -march=: FP and NEON" "cpu features: fp-armv8,neon"
"$NETC" --print-target --target=aarch64-linux-gnu -march=neoverse-v1 \
  > "$tmp/out" 2>&1
has "aarch64 neoverse-v1: SVE" \
  "cpu features: fp-armv8,neon,fullfp16,rdm,complxnum,dotprod,fp16fml,bf16,i8mm,sve"
"$NETC" --print-target --target=aarch64-linux-gnu -march=apple-m1 \
  > "$tmp/out" 2>&1
has "aarch64 apple-m1 (an alias): no SVE" \
  "cpu features: fp-armv8,neon,fullfp16,rdm,complxnum,dotprod,fp16fml"
"$NETC" --print-target --target=riscv64-linux-gnu > "$tmp/out" 2>&1
has "riscv64: none listed" "cpu features: none beyond the baseline"

# ---- the host's, against /proc/cpuinfo ----

# The flag /proc/cpuinfo shows for an LLVM feature ("" when Linux names it
# differently across versions).
cpuinfo_flag() {
  case $1 in
    sse3) echo pni ;;
    sse4.1) echo sse4_1 ;;
    sse4.2) echo sse4_2 ;;
    bmi) echo bmi1 ;;
    lzcnt) echo abm ;;
    avx512vbmi2|avx512vnni|avx512bitalg|avx512vpopcntdq|avx512bf16| \
    avx512fp16|avx512vp2intersect)
      echo "$1" | sed 's/^avx512/avx512_/' ;;
    avxvnni) echo avx_vnni ;;
    avxifma|avxvnniint8|avxvnniint16|avxneconvert) echo "" ;;
    *) echo "$1" ;;
  esac
}

flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*://') "
host=$(features)
if [ "$(uname -m)" != x86_64 ] || [ "$flags" = "  " ]; then
  skip "not an x86-64 machine with /proc/cpuinfo"
else
  : > "$tmp/out"
  for f in $(echo "$host" | tr ',' ' '); do
    flag=$(cpuinfo_flag "$f")
    case $flags in
      *" $flag "*) ;;
      *) [ -z "$flag" ] || echo "listed, not in /proc/cpuinfo: $f" ;;
    esac
  done >> "$tmp/out"
  for f in $(features -march=graniterapids | tr ',' ' ') fma4 xop tbm; do
    flag=$(cpuinfo_flag "$f")
    case ",$host,:$flags" in
      *",$f,"*) ;;
      *:*" $flag "*) [ -z "$flag" ] || echo "in /proc/cpuinfo, not listed: $f"
        ;;
    esac
  done >> "$tmp/out"
  if [ -s "$tmp/out" ]; then
    fail "the host's features agree with /proc/cpuinfo"
  else
    pass "the host's features agree with /proc/cpuinfo ($host)"
  fi
fi

echo "1..$n"
[ "$fails" -eq 0 ]
