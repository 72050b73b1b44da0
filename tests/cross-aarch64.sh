#!/bin/sh
# tests/cross-aarch64.sh — netc for aarch64-linux-gnu from this machine.
# The IR and the assembly for aarch64 compute on NEON's 128-bit vectors;
# linking for aarch64 without a cross compiler or its runtime is an
# error that says what to install; the build's cross-compiled libnetrt
# holds aarch64 objects only; and an MLP and an LSTM linked for aarch64,
# run under qemu-aarch64, pass their own gradcheck in f64 and train as
# the host's executables do, from the same seed: the same losses and
# parameters after 20 and 40 steps, to 1e-12.  The parts that need the
# cross runtime, its compiler or qemu skip without them (tools/setup
# --cross installs all three; see docs/netc.md, "Cross-compiling").
# QEMU_AARCH64 names qemu (qemu-aarch64), QEMU_LD_PREFIX the aarch64
# libraries (/usr/aarch64-linux-gnu).
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
top=$(cd "${top_srcdir:-$(dirname "$0")/..}" && pwd) || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cross-aarch64.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0
cd "$tmp" || exit 1
triple=aarch64-linux-gnu
runtime=${NETC_RUNTIME_DIR:-}/$triple/libnetrt.a
qemu=${QEMU_AARCH64:-qemu-aarch64}
QEMU_LD_PREFIX=${QEMU_LD_PREFIX:-/usr/aarch64-linux-gnu}
export QEMU_LD_PREFIX
py=/usr/bin/python3
[ -x "$py" ] || py=python3

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
# has DESCRIPTION ERE: a line of out matches
has() { if grep -qE -e "$2" out; then pass "$1"; else fail "$1"; fi; }
lacks() { if grep -qE -e "$2" out; then fail "$1"; else pass "$1"; fi; }
# machine FILE: FILE's ELF machine, as two hex bytes ("b7 00": aarch64)
machine() { od -An -tx1 -j18 -N2 "$1" | sed 's/^ *//'; }

# The two models: a tanh MLP on 600 spiral points (10 steps an epoch;
# tanh, since a relu unit that never fires would not move), and an LSTM
# adding binary numbers of 1 to 8 bits (20 sequences, one a step).
cat >mlp.net <<'EOF'
model mlp
data synthetic2d(points = 600, classes = 2, seed = 3)
input  point : float[2]
target label : class[2]
h = tanh(dense(point, 16))
loss cross_entropy(dense(h, 2), label)
train { optimizer adam(lr = 0.01)  batch 50  epochs 2  validation 100  seed 5 }
EOF
cat >lstm.net <<'EOF'
model lstm
data binary_add(lengths = 1..8, count = 20)
input  bits  : float[<=8, 2]
target total : binary[<=8]
h    = lstm(bits, 5)
p[t] = dense(h[t], 1)
loss binary_cross_entropy_logits(p, total)
train { optimizer adam(lr = 0.01)  batch 1  epochs 2  seed 3 }
EOF

# What netc generates for aarch64 needs nothing but LLVM.
"$NETC" --emit-llvm --target=$triple -o out mlp.net 2>&1
has "--emit-llvm for aarch64 names the triple" \
  '^target triple = "aarch64-unknown-linux-gnu"'
has "--emit-llvm for aarch64 multiplies-adds <4 x float>" \
  '@llvm\.fmuladd\.v4f32'
lacks "--emit-llvm for aarch64: no wider multiply-add" \
  '@llvm\.fmuladd\.v(8|16)f32'
"$NETC" -S --target=$triple -o out mlp.net 2>&1
has "-S for aarch64 multiplies-adds v registers of 4 floats" \
  'fmla	v[0-9]+\.4s'
"$NETC" -S --dtype=f64 --target=$triple -o out lstm.net 2>&1
has "-S for aarch64 in f64 works on v registers of 2 doubles" \
  'v[0-9]+\.2d'

# Linking for aarch64 without what it needs: an error that says so.
NETC_CC_aarch64_linux_gnu=/nonexistent/aarch64-gcc \
  "$NETC" --target=$triple -o none mlp.net >out 2>&1
status=$?
if [ "$status" -eq 1 ] && [ ! -e none ] &&
   grep -q "^netc: error: no C compiler to link for $triple: cannot run \
'/nonexistent/aarch64-gcc' (tools/setup --cross installs it" out; then
  pass "no cross compiler: an error that names tools/setup --cross"
else
  fail "no cross compiler: an error that names tools/setup --cross ($status)"
fi
mkdir empty
NETC_RUNTIME_DIR=$tmp/empty NETC_CC_aarch64_linux_gnu=/bin/true \
  "$NETC" --target=aarch64-unknown-linux-gnu -o none mlp.net >out 2>&1
status=$?
if [ "$status" -eq 1 ] && [ ! -e none ] &&
   grep -q "^netc: error: cannot find the runtime library for $triple: \
neither '$tmp/empty/$triple/libnetrt.a' nor .*tools/setup --cross" out; then
  pass "no cross runtime: an error that names tools/setup --cross"
else
  fail "no cross runtime: an error that names tools/setup --cross ($status)"
fi

# The cross runtime: every member of the archive is an aarch64 object.
why=
if [ ! -f "$runtime" ]; then
  why="no $runtime (configure found no aarch64 cross compiler)"
  skip "the aarch64 runtime holds aarch64 objects" "$why"
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

# build NAME: NAME.net for this machine (NAME) and for aarch64 (NAME.a64),
# in f64; false after a failure or a skip, which it reports.
build() {
  if [ -n "$why" ]; then
    skip "$1: netc links an aarch64 executable" "$why"
    return 1
  fi
  if ! "$NETC" --dtype=f64 -o "$1" "$1.net" >out 2>&1; then
    fail "$1: netc links it for this machine"
    return 1
  fi
  if "$NETC" --dtype=f64 --target=$triple -o "$1.a64" "$1.net" >out 2>&1 &&
     [ "$(machine "$1.a64")" = "b7 00" ]; then
    pass "$1: netc links an aarch64 executable"
  elif grep -q 'no C compiler to link' out; then
    why=$(sed -n 's/^netc: error: //p' out | head -n 1)
    skip "$1: netc links an aarch64 executable" "$why"
    return 1
  else
    fail "$1: netc links an aarch64 executable"
    return 1
  fi
}

# same NAME STEPS: NAME's host and aarch64 runs from the same seed end at
# the same losses and parameters, to 1e-12
same() {
  "./$1" train --epochs 0 --save init.ckpt >out 2>&1
  "./$1" train --epochs 2 --json --save host.ckpt >host.json 2>out &&
    "$qemu" "./$1.a64" train --epochs 2 --json --save a64.ckpt \
      >a64.json 2>out
  status=$?
  if [ "$status" -ne 0 ]; then
    fail "$1: trains on both machines"
    return
  fi
  if losses=$("$py" - host.json a64.json <<'EOF'
import json, sys
runs = [json.load(open(p))["history"] for p in sys.argv[1:]]
worst = 0.0
for a, b in zip(*runs):
    for key in ("train_loss", "val_loss"):
        if a[key] is None and b[key] is None:
            continue
        worst = max(worst, abs(a[key] - b[key]) / max(abs(a[key]), 1e-300))
print("%d epochs, losses %s, largest relative difference %.3g"
      % (len(runs[0]), " ".join("%.10g" % e["train_loss"] for e in runs[0]),
         worst))
sys.exit(0 if worst <= 1e-12 and len(runs[0]) == len(runs[1]) else 1)
EOF
  ); then
    pass "$1: $2 steps on aarch64 give the host's losses: $losses"
  else
    fail "$1: $2 steps on aarch64 give the host's losses: $losses"
  fi
  if params=$("$py" "$top/tests/ckpt_compare.py" init.ckpt host.ckpt \
                a64.ckpt 1e-12); then
    pass "$1: and its parameters to 1e-12: $params"
  else
    fail "$1: and its parameters to 1e-12: $params"
  fi
}

for model in mlp:20 lstm:40; do
  name=${model%:*} steps=${model#*:}
  run=
  if ! build "$name"; then
    run=${why:-netc did not link it}
  elif ! command -v "$qemu" >/dev/null 2>&1; then
    run="no $qemu to run aarch64 executables"
  fi
  if [ -n "$run" ]; then
    skip "$name: gradcheck in f64 under qemu" "$run"
    skip "$name: aarch64 trains as the host does" "$run"
    continue
  fi
  "$qemu" "./$name.a64" info >out 2>&1
  has "$name: info under qemu: built for aarch64" \
    "built for: aarch64-unknown-linux-gnu .* neon 128-bit"
  if "$qemu" "./$name.a64" gradcheck >out 2>&1 && grep -q ': passed$' out
  then
    pass "$name: gradcheck in f64 under qemu: $(tail -n 1 out)"
  else
    fail "$name: gradcheck in f64 under qemu"
  fi
  same "$name" "$steps"
done

echo "1..$n"
[ "$fails" -eq 0 ]
