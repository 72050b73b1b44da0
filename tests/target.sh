#!/bin/sh
# tests/target.sh — the machine the kernels are planned for: what
# --print-target says for CPUs named with -march= and for --target=
# triples (the same on every host), that the host's description agrees
# with /proc/cpuinfo, that the vector width reaches --dump=plan and the
# assembly (ymm on haswell, zmm on skylake-avx512, NEON's v registers on
# AArch64), that the register tiles follow the registers into the plan
# and the assembly without spilling, and that code generated for 256-bit
# and 128-bit vectors and for tiles of every shape agrees with the
# interpreter (tests/unit/codegen_agree --march, --tile) where this
# machine can run it.
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
: "${CODEGEN_AGREE:?CODEGEN_AGREE must name tests/unit/codegen_agree}"
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/target.XXXXXX") || exit 1
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
# has DESCRIPTION TEXT: the last command's output, $tmp/out, has a line
# with TEXT.
has() { if grep -qF -e "$2" "$tmp/out"; then pass "$1"; else fail "$1"; fi; }
lacks() { if grep -qE -e "$2" "$tmp/out"; then fail "$1"; else pass "$1"; fi; }

# named ARGS... -- VECTORS KERNELS: --print-target for a named target.
named() {
  args=$1 vectors=$2 kernels=$3
  # shellcheck disable=SC2086
  "$NETC" --print-target $args > "$tmp/out" 2>&1
  has "$args: $vectors" "vectors $vectors"
  has "$args: $kernels" "kernels: vectors of $kernels"
  has "$args: typical caches" "caches (typical, not measured)"
}

named "-march=haswell" "avx2: 256 bits, 16 registers" "8 floats or 4 doubles"
named "-march=znver3" "avx2: 256 bits, 16 registers" "8 floats or 4 doubles"
named "-march=skylake-avx512" "avx512: 512 bits, 32 registers" \
  "16 floats or 8 doubles"
named "-march=znver4" "avx512: 512 bits, 32 registers" \
  "16 floats or 8 doubles"
named "-march=sapphirerapids" "avx512: 512 bits, 32 registers" \
  "16 floats or 8 doubles"
named "-march=sandybridge" "avx: 256 bits, 16 registers" \
  "8 floats or 4 doubles"
named "-march=x86-64" "sse2: 128 bits, 16 registers" "4 floats or 2 doubles"
named "--target=aarch64-linux-gnu -march=neoverse-v1" \
  "neon: 128 bits, 32 registers" "4 floats or 2 doubles"
named "--target=aarch64-linux-gnu -march=apple-m1" \
  "neon: 128 bits, 32 registers" "4 floats or 2 doubles"
"$NETC" --print-target --target=aarch64-linux-gnu -march=apple-m1 \
  > "$tmp/out" 2>&1
has "apple-m1 issues four FMAs a cycle" "fma units 4"

# The register tiles follow the registers (plan_tile.c): 6 rows by 2
# vectors with 16, 6 by 4 with 32; --tile= overrides them.
tile() {
  args=$1 want=$2
  # shellcheck disable=SC2086
  "$NETC" --print-target $args > "$tmp/out" 2>&1
  has "$args: register tiles of $want" "register tiles of $want"
}
tile "-march=haswell" "6 rows by 2 vectors (6 by 16 floats)"
tile "-march=x86-64" "6 rows by 2 vectors (6 by 8 floats)"
tile "-march=skylake-avx512" "6 rows by 4 vectors (6 by 64 floats)"
tile "--target=aarch64-linux-gnu" "6 rows by 4 vectors (6 by 16 floats)"
tile "-march=haswell --tile=3x5" "3 rows by 5 vectors (3 by 40 floats)"
for bad in 0x2 17x1 4x9 4 4x 4x2x1 ax2; do
  "$NETC" --print-target --tile=$bad > "$tmp/out" 2>&1
  status=$?
  if [ $status -eq 1 ] && grep -q "error: --tile=$bad: expected" "$tmp/out"
  then pass "--tile=$bad is refused"
  else fail "--tile=$bad is refused (status $status)"
  fi
done
"$NETC" --dump=plan -march=skylake-avx512 tests/check/plan_mlp.net \
  > "$tmp/out" 2>&1
has "--dump=plan names skylake-avx512's tile" \
  "32 registers, tiles of 6 rows by 4 vectors"
"$NETC" --dump=plan -march=haswell --tile=5x3 tests/check/plan_mlp.net \
  > "$tmp/out" 2>&1
has "--dump=plan names the --tile" "16 registers, tiles of 5 rows by 3 vectors"

"$NETC" --print-target --target=bogus-x > "$tmp/out" 2>&1
status=$?
if [ "$status" -eq 1 ] && grep -q 'error: --target=bogus-x' "$tmp/out"; then
  pass "an unknown triple is an error"
else
  fail "an unknown triple is an error (status $status)"
fi

# The host: its ISA from LLVM's features, as /proc/cpuinfo has them.
"$NETC" --print-target > "$tmp/out" 2>&1
has "the host is this machine" "(this machine)"
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
case " $flags " in
  *" avx512f "*) want="avx512: 512 bits" ;;
  *" avx2 "*" fma "*|*" fma "*" avx2 "*) want="avx2: 256 bits" ;;
  *" avx "*) want="avx: 256 bits" ;;
  "  ") want="" ;;
  *) want="sse2: 128 bits" ;;
esac
if [ "$(uname -m)" = x86_64 ] && [ -n "$want" ]; then
  has "the host's vectors agree with /proc/cpuinfo ($want)" "$want"
else
  echo "ok $((n = n + 1)) - # SKIP not an x86-64 machine with /proc/cpuinfo"
fi

# The width reaches the plan and the code.
"$NETC" --dump=plan -march=haswell tests/check/plan_mlp.net > "$tmp/out" 2>&1
has "--dump=plan -march=haswell plans vectors of 8" "vectors of 8,"
"$NETC" --dump=plan --dtype=f64 --target=aarch64-linux-gnu \
  tests/check/plan_mlp.net > "$tmp/out" 2>&1
has "--dump=plan for aarch64 in f64 plans vectors of 2" "vectors of 2,"
"$NETC" -S -march=haswell -o "$tmp/out" models/mlp.net
has "haswell's assembly uses ymm registers" "%ymm"
lacks "haswell's assembly uses no zmm register" "%zmm"
"$NETC" -S -march=skylake-avx512 -o "$tmp/out" models/mlp.net
has "skylake-avx512's assembly uses zmm registers" "%zmm"
"$NETC" -S --target=aarch64-linux-gnu -o "$tmp/out" models/mlp.net
has "aarch64's assembly multiplies-adds NEON vectors" "fmla	v"

# The tiles reach the assembly: the LSTM's recurrent product (128 deep,
# 512 columns) keeps 6 x 2 accumulators in ymm registers on haswell,
# 6 x 4 in zmm on skylake-avx512 and in NEON's v registers on AArch64;
# its kernels spill next to no vector register to the stack, where a
# tile of 4 x 4 on haswell's 16 registers spills in every step.
kernel=gemm_a128_1_b512_o512_c512_acc_panels
# accumulators ISA-ASM: the distinct registers the kernel's FMAs write
accumulators() {
  awk -v fn="$kernel:" '$1 == fn { f = 1 } /^\t\.size/ { f = 0 }
    f && /vfmadd231ps/ { print $NF }
    f && /fmla/ { split($2, r, "."); print r[1] }' "$1" | sort -u | wc -l
}
# spills ASM: vector registers stored to the stack in GEMM kernels
spills() {
  awk '/^gemm_[a-z0-9_]*:/ { f = 1 } /^\t\.size/ { f = 0 }
    f && /(v?movups|vmovaps)\t%[xyz]mm[0-9]+, -?[0-9]*\(%rsp\)/
    f && /str\tq[0-9]+, \[sp/' "$1" | wc -l
}
for case in "-march=haswell:12" "-march=skylake-avx512:24" \
            "--target=aarch64-linux-gnu:24"; do
  args=${case%:*} want=${case##*:}
  # shellcheck disable=SC2086
  "$NETC" -S $args -o "$tmp/lstm.s" models/mnist_lstm.net 2> "$tmp/out"
  got=$(accumulators "$tmp/lstm.s") spilled=$(spills "$tmp/lstm.s")
  echo "$args: $got accumulators, $spilled spills" > "$tmp/out"
  if [ "$got" -eq "$want" ]; then pass "$args: a tile of $want accumulators"
  else fail "$args: a tile of $want accumulators"; fi
  if [ "$spilled" -le 8 ]; then pass "$args: the kernels hardly spill"
  else fail "$args: the kernels hardly spill"; fi
done
"$NETC" -S -march=haswell --tile=4x4 -o "$tmp/lstm.s" models/mnist_lstm.net
spilled=$(spills "$tmp/lstm.s")
echo "haswell --tile=4x4: $spilled spills" > "$tmp/out"
if [ "$spilled" -ge 50 ]; then pass "a 4x4 tile spills on haswell ($spilled)"
else fail "a 4x4 tile spills on haswell"; fi

# The executable says what it was built for.
"$NETC" -march=haswell -o "$tmp/mlp" models/mlp.net &&
  "$tmp/mlp" info > "$tmp/out" 2>&1
has "info says what the executable was built for" \
  "built for: x86_64-pc-linux-gnu haswell avx2 256-bit"
"$tmp/mlp" info --json > "$tmp/out" 2>&1
has "info --json has the target" \
  '"target":"x86_64-pc-linux-gnu haswell avx2 256-bit"'

# Code for other widths, run here: haswell's needs AVX2 and FMA.
models="tests/grad/lstm.net tests/grad/gru.net tests/grad/varlen.net
  tests/grad/sums_of_products.net tests/grad/width_one.net models/mlp.net
  models/autoencoder.net models/char_rnn.net"
for march in haswell x86-64; do
  case $march:" $flags " in
    haswell:*" avx2 "*" fma "*|haswell:*" fma "*" avx2 "*|x86-64:*" sse2 "*)
      ;;
    *) echo "ok $((n = n + 1)) - # SKIP this machine cannot run -march=$march"
       continue ;;
  esac
  # shellcheck disable=SC2086
  "$CODEGEN_AGREE" --march "$march" $models > "$tmp/out" 2>&1
  total=$(grep -c '^ok' "$tmp/out")
  if grep -q '^not ok' "$tmp/out" || [ "$total" -lt 100 ]; then
    fail "-march=$march: generated code agrees with the interpreter"
  else
    pass "-march=$march: generated code agrees with the interpreter ($total checks)"
  fi
done

# Tiles of every shape the kernels take, from one accumulator to the
# largest, agree with the interpreter: full tiles, the rows and columns
# left over, and the tiles that update their parameters.
tiled="tests/grad/lstm.net tests/grad/sums_of_products.net
  tests/grad/width_one.net models/mlp.net"
for t in 1x1 3x5 16x1 7x3 2x8; do
  # shellcheck disable=SC2086
  "$CODEGEN_AGREE" --tile "$t" $tiled > "$tmp/out" 2>&1
  total=$(grep -c '^ok' "$tmp/out")
  if grep -q '^not ok' "$tmp/out" || [ "$total" -lt 40 ]; then
    fail "--tile $t: generated code agrees with the interpreter"
  else
    pass "--tile $t: generated code agrees with the interpreter ($total checks)"
  fi
done

echo "1..$n"
[ "$fails" -eq 0 ]
