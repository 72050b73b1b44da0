#!/bin/sh
# tests/cpu-check.sh — the CPU features an executable needs: what netc
# --print-target lists for CPUs named with -march= and for the host (its
# list agrees with /proc/cpuinfo); the runtime's tests of them (rt_cpu.c,
# through tests/runtime/cpu_list) against LLVM's reading of this CPU,
# and on AArch64 under qemu-aarch64's CPU models where it can; what info
# says of them; that the executables refuse to run the model on a CPU
# that lacks one (under NETRT_CPU_FEATURES, and for real with -march= of
# a CPU this machine is not), and netc run too, with exit status 1 and
# not SIGILL, while info, --help and --version still work; that code for
# the host and for -march=x86-64 runs; and netrt_cpu_lacks() for a
# program of its own (netc -c).
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
: "${CPU_LIST:?CPU_LIST must name tests/runtime/cpu_list}"
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

x86=--target=x86_64-pc-linux-gnu

"$NETC" --print-target $x86 -march=haswell > "$tmp/out" 2>&1
has "-march=haswell: its features" \
  "cpu features: sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe"
"$NETC" --print-target $x86 -march=x86-64 > "$tmp/out" 2>&1
has "-march=x86-64: the baseline" "cpu features: none beyond the baseline"
"$NETC" --print-target $x86 -march=skx > "$tmp/out" 2>&1
has "-march=skx (an alias of skylake-avx512): AVX-512" \
  "lzcnt,movbe,avx512f,avx512cd,avx512bw,avx512dq,avx512vl"
"$NETC" --print-target $x86 -march=sapphirerapids > "$tmp/out" 2>&1
has "-march=sapphirerapids: AVX512-FP16 and AVX-VNNI" \
  "avx512bf16,avx512fp16,avxvnni"
"$NETC" --print-target $x86 -march=znver4 > "$tmp/out" 2>&1
is "-march=znver4: no SSE4A (intrinsics only), no AVX512-FP16" \
  "cpu features: sse3,ssse3,sse4.1,sse4.2,popcnt,avx,avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,gfni,avx512f,avx512cd,avx512bw,avx512dq,avx512vl,avx512ifma,avx512vbmi,avx512vbmi2,avx512vnni,avx512bitalg,avx512vpopcntdq,avx512bf16"
"$NETC" --print-target $x86 -march=not-a-cpu > "$tmp/out" 2>&1
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

# The flag /proc/cpuinfo shows for an LLVM feature; "" for those that
# Linux named only recently (a kernel older than the CPU omits them).
cpuinfo_flag() {
  case $1 in
    sse3) echo pni ;;
    sse4.1) echo sse4_1 ;;
    sse4.2) echo sse4_2 ;;
    bmi) echo bmi1 ;;
    lzcnt) echo abm ;;
    avx512vbmi2|avx512vnni|avx512bitalg|avx512vpopcntdq|avx512bf16)
      echo "$1" | sed 's/^avx512/avx512_/' ;;
    avx512fp16|avx512vp2intersect|avxvnni|avxifma|avxvnniint8| \
    avxvnniint16|avxneconvert) echo "" ;;
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
  for f in $(features $x86 -march=graniterapids | tr ',' ' ') fma4 xop tbm
  do
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

# ---- the runtime's tests ----

# words LIST: the items of a comma or ", " list, one a line, sorted.
words() { echo "$1" | tr ', ' '\n\n' | sed '/^$/d' | sort -u; }

# Every feature netc lists for some CPU.
all="$(features $x86 -march=graniterapids),$(features $x86 -march=znver5)"
all="$all,$(features $x86 -march=clearwaterforest)"
all="$all,$(features $x86 -march=bdver4)"
"$CPU_LIST" "$all,frobnicate" > "$tmp/out" 2>&1
if [ "$(uname -m)" != x86_64 ]; then
  skip "not an x86-64 machine"
elif [ "$(words "$(sed -n 's/^has: //p' "$tmp/out")")" = "$(words "$host")" ]
then
  pass "cpuid and xgetbv agree with LLVM's reading of this CPU"
else
  fail "cpuid and xgetbv agree with LLVM's reading of this CPU ($host)"
fi
has "a name the runtime does not know is untested" "untested: frobnicate"

# AArch64: rt_cpu.c alone, built static and run under qemu-aarch64.
arm="$tmp/arm"
mkdir "$arm" && : > "$arm/config.h"
if ! command -v aarch64-linux-gnu-gcc > /dev/null ||
   ! command -v qemu-aarch64 > /dev/null; then
  skip "no aarch64-linux-gnu-gcc and qemu-aarch64"
elif ! aarch64-linux-gnu-gcc -std=c11 -static -I"$arm" -Iruntime \
       -o "$arm/cpu_list" tests/runtime/cpu_list.c runtime/rt_cpu.c \
       > "$tmp/out" 2>&1; then
  skip "aarch64-linux-gnu-gcc cannot build a static program"
else
  : > "$tmp/out"
  for cpu in cortex-a53 cortex-a72 cortex-a76 neoverse-n1 a64fx; do
    want=$(features --target=aarch64-linux-gnu -march="$cpu")
    qemu-aarch64 -cpu "$cpu" "$arm/cpu_list" "$want" |
      grep -v '^lacks: $' | sed "s/^/$cpu: /" | grep -v ': has:\|: untested: $'
  done >> "$tmp/out"
  if [ -s "$tmp/out" ]; then
    fail "aarch64 (qemu): each CPU has the features netc lists for it"
  else
    pass "aarch64 (qemu): each CPU has the features netc lists for it"
  fi
  qemu-aarch64 -cpu cortex-a76 "$arm/cpu_list" \
    "$(features --target=aarch64-linux-gnu -march=neoverse-n2)" > "$tmp/out"
  is "aarch64 (qemu): cortex-a76 lacks what neoverse-n2 code needs" \
    "lacks: complxnum, fp16fml, bf16, i8mm, sve, sve2"
  qemu-aarch64 -cpu max "$arm/cpu_list" "fp-armv8,neon,sve,sve2,bf16" \
    > "$tmp/out"
  is "aarch64 (qemu): max has SVE2 and BF16" \
    "has: fp-armv8, neon, sve, sve2, bf16"
fi

# ---- info ----

"$NETC" -o "$tmp/xor" examples/xor.net > "$tmp/out" 2>&1 &&
  "$tmp/xor" info > "$tmp/out" 2>&1
if [ -z "$host" ]; then
  has "info: a host build needs nothing beyond the baseline" \
    "cpu features: none beyond the baseline"
else
  has "info: a host build needs the host's features" \
    "cpu features: $(echo "$host" | sed "s/,.*//")"
  has "info: this CPU has them all" "  this CPU has them all"
fi
NETRT_CPU_FEATURES= "$tmp/xor" info > "$tmp/out" 2>&1
if [ -z "$host" ]; then
  skip "the host's code needs no feature"
else
  has "info under NETRT_CPU_FEATURES=: this CPU lacks them" \
    "  this CPU lacks: $(echo "$host" | sed 's/,.*//')"
  has "... so the model cannot run here" "  so the model cannot run here"
fi
if [ "$(uname -m)" = x86_64 ]; then
  "$NETC" -march=haswell -o "$tmp/haswell" examples/xor.net > "$tmp/out" 2>&1
  NETRT_CPU_FEATURES=sse3,ssse3,sse4.1,sse4.2,popcnt,avx "$tmp/haswell" \
    info --json > "$tmp/out" 2>&1
  has "info --json: cpu_features" \
    '"cpu_features":["sse3","ssse3","sse4.1","sse4.2","popcnt","avx","avx2",'
  has "info --json: cpu_lacks" \
    '"cpu_lacks":["avx2","fma","f16c","bmi","bmi2","lzcnt","movbe"]'
  has "info --json: cpu_untested" '"cpu_untested":[]'
  "$NETC" -march=x86-64 -o "$tmp/base" examples/xor.net > "$tmp/out" 2>&1 &&
    "$tmp/base" info > "$tmp/out" 2>&1
  has "info: -march=x86-64 needs nothing beyond the baseline" \
    "cpu features: none beyond the baseline"
else
  skip "not an x86-64 machine: no -march=haswell executable"
fi

# ---- the check at start-up ----

# runs DESCRIPTION COMMAND...: COMMAND exits 0.
runs() {
  what=$1
  shift
  if "$@" > "$tmp/out" 2>&1; then
    pass "$what"
  else
    fail "$what (status $?)"
  fi
}
# refused DESCRIPTION LACKS COMMAND...: COMMAND exits 1 (not 132, SIGILL)
# with the message that the CPU lacks LACKS ("avx2, fma").
refused() {
  what=$1 lacks=$2
  shift 2
  "$@" > "$tmp/out" 2>&1
  status=$?
  msg="and needs $lacks, which this CPU lacks; rebuild it with netc"
  msg="$msg -march=native or a -march= the machine has"
  if [ "$status" -eq 1 ] &&
     grep -q "error: this executable was built for " "$tmp/out" &&
     grep -qF -e "$msg" "$tmp/out"; then
    pass "$what"
  else
    fail "$what (status $status)"
  fi
}
# commas LIST: "a,b" as "a, b".
commas() { echo "$1" | sed 's/,/, /g'; }

"$NETC" --print-target > "$tmp/target" 2>&1
cpu=$(sed -n 's/^cpu \([^ ]*\).*/\1/p' "$tmp/target")
triple=$(sed -n 's/^triple //p' "$tmp/target")
bench="bench --steps 2 --warmup 0"
# shellcheck disable=SC2086
runs "the host's build runs" "$tmp/xor" $bench
if [ -n "$host" ]; then
  # shellcheck disable=SC2086
  refused "NETRT_CPU_FEATURES=: the host's build is refused" \
    "$(commas "$host")" env NETRT_CPU_FEATURES= "$tmp/xor" $bench
  has "... naming the CPU and triple it was built for" \
    "built for $cpu ($triple) and needs"
  refused "... train too" "$(commas "$host")" \
    env NETRT_CPU_FEATURES= "$tmp/xor" train --epochs 1
  for cmd in info "info --json" --help --version "train --help"; do
    # shellcheck disable=SC2086
    runs "NETRT_CPU_FEATURES=: $cmd still works" \
      env NETRT_CPU_FEATURES= "$tmp/xor" $cmd
  done
  # shellcheck disable=SC2086
  refused "netc run refuses too" "$(commas "$host")" \
    env NETRT_CPU_FEATURES= "$NETC" run examples/xor.net $bench
else
  skip "the host's code needs no feature"
fi
if [ "$(uname -m)" = x86_64 ]; then
  # shellcheck disable=SC2086
  runs "-march=x86-64: the build runs" "$tmp/base" $bench
  # shellcheck disable=SC2086
  runs "-march=x86-64: ... on a CPU with nothing beyond the baseline" \
    env NETRT_CPU_FEATURES= "$tmp/base" $bench
  # shellcheck disable=SC2086
  refused "-march=haswell on a CPU with AVX alone: refused" \
    "avx2, fma, f16c, bmi, bmi2, lzcnt, movbe" \
    env NETRT_CPU_FEATURES=sse3,ssse3,sse4.1,sse4.2,popcnt,avx \
    "$tmp/haswell" $bench
fi

# For real: the first CPU of these with a feature this machine lacks.
if [ "$(uname -m)" != x86_64 ]; then
  skip "not an x86-64 machine"
else
  march="" lacks=""
  for cand in sapphirerapids graniterapids znver5 skylake-avx512 haswell; do
    lacks=""
    for f in $(features $x86 -march="$cand" | tr ',' ' '); do
      case ",$host," in
        *",$f,"*) ;;
        *) lacks="$lacks${lacks:+, }$f" ;;
      esac
    done
    if [ -n "$lacks" ]; then
      march=$cand
      break
    fi
  done
  if [ -z "$march" ]; then
    skip "this machine has the features of every -march= tried"
  else
    "$NETC" -march="$march" -o "$tmp/other" examples/xor.net \
      > "$tmp/out" 2>&1
    # shellcheck disable=SC2086
    refused "-march=$march here: refused for $lacks" "$lacks" \
      "$tmp/other" $bench
    has "... built for $march" "built for $march ($triple)"
    runs "-march=$march: info still works" "$tmp/other" info
    has "... and says what this CPU lacks" "  this CPU lacks: $lacks"
  fi
fi

# A program of its own: netc -c, and netrt_cpu_lacks() from libnetrt.
"$NETC" -c -o "$tmp/xor.o" examples/xor.net > "$tmp/out" 2>&1
cat > "$tmp/own.c" <<'END'
#include <stdio.h>
#include "xor.h"
int main(void) {
  char lacks[512];
  int n = netrt_cpu_lacks(&netc_model_xor, lacks, sizeof lacks);
  printf("%d: %s\n", n, lacks);
  return n != 0;
}
END
# own [FLAGS]: links it (a sanitized build's libnetrt needs the
# sanitizers' flags).
own() {
  "${CC:-cc}" "$@" -I"$tmp" -Iruntime -o "$tmp/own" "$tmp/own.c" \
    "$tmp/xor.o" "${NETC_RUNTIME_DIR:?}/libnetrt.a" -lz -lm -lpthread \
    > "$tmp/out" 2>&1
}
if ! own && ! own -fsanitize=address,undefined; then
  fail "a program of its own links netrt_cpu_lacks()"
else
  runs "netrt_cpu_lacks(): this CPU lacks nothing of the host's build" \
    "$tmp/own"
  has "... 0 of them" "0: "
  NETRT_CPU_FEATURES= "$tmp/own" > "$tmp/out" 2>&1
  if [ -z "$host" ]; then
    skip "the host's code needs no feature"
  else
    has "netrt_cpu_lacks() under NETRT_CPU_FEATURES=: all of them" \
      "$(echo "$host" | tr ',' '\n' | grep -c .): $(commas "$host")"
  fi
fi

echo "1..$n"
[ "$fails" -eq 0 ]
