#!/bin/sh
# tests/gradcheck-noise.sh — an executable's gradcheck passes a correct
# model whatever the size of its loss, in both precisions, and fails a
# wrong one.  tests/gradcheck/text_gru.net's loss is about 800 (its
# rounding errors, divided by the step, are as large as the smaller
# gradients: f32 failed at the fixed step) and, with -D scale=1e-6,
# about 1e-3; trained with too large a step, its weights grow until a
# fixed step of 1e-3 is lost in their rounding (f64 failed).  The
# hand-written tests/runtime/fake_model_wrong{,_f64} have a gradient of b
# too large, by 10% in f32 and by 1e-4 in f64: each must fail, naming b.
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
top=$(cd "${top_srcdir:-$(dirname "$0")/..}" && pwd) || exit 1
build=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gradcheck.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0
n=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$tmp/out"; }
cd "$tmp" || exit 1
cp "$top/tests/gradcheck/text_gru.net" .
# text LENGTH: a text of made-up sentences, the same at every run
text() {
  awk -v len="$1" 'BEGIN { srand(7); s = "";
    n = split("the cat sat on a mat and ran off to see it", w, " ");
    while (length(s) < len) s = s w[int(rand() * n) + 1] " ";
    print substr(s, 1, len) }' >text.txt
}

text 300
for dtype in f32 f64; do
  for scale in 1 1e-6; do
    what="gradcheck of a GRU on text in $dtype, loss scaled by $scale"
    if "$NETC" --dtype=$dtype -D scale=$scale -o gru text_gru.net \
         >out 2>&1 && ./gru gradcheck >out 2>&1 &&
       grep -q 'max relative error .* at [a-zA-Z.]*\[[0-9]*\]: passed' out
    then
      pass "$what: $(grep -o 'loss [^,]*' out)"
    else
      fail "$what"
    fi
  done
done

# Large weights: SGD at lr 0.05 on a summed loss over 2,000 steps
text 2000
what="gradcheck in f64 after a training that made the weights large"
if "$NETC" --dtype=f64 -o gru text_gru.net >out 2>&1 &&
   ./gru train --epochs 30 --lr 0.05 --save big.ckpt >out 2>&1 &&
   ./gru gradcheck --load big.ckpt >out 2>&1; then
  pass "$what: $(grep -o 'loss [^,]*' out)"
else
  fail "$what"
fi

for fake in fake_model_wrong fake_model_wrong_f64; do
  exe=$build/tests/runtime/$fake
  if [ ! -x "$exe" ]; then
    echo "not ok $((n = n + 1)) - $fake is not built in $build"
    continue
  fi
  "$exe" gradcheck >out 2>&1
  rc=$?
  if [ $rc = 1 ] && grep -q '^  b .*FAIL' out &&
     grep -q 'max relative error .* at b\[[0-9]\]: FAILED' out &&
     ! grep -q '^  W .*FAIL' out; then
    pass "$fake: a gradient of b a little off fails, and only b"
  else
    fail "$fake: a gradient of b a little off fails, and only b (exit $rc)"
  fi
done
echo "1..$n"
