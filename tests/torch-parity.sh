#!/bin/sh
# tests/torch-parity.sh — the MNIST sequence models of models/ train as
# PyTorch trains the same network: from the same initial parameters and on
# the same batches, a few steps leave every parameter where PyTorch's
# nn.RNN, nn.LSTM and nn.GRU (float64) leave it, to float rounding.  This
# checks the prelude's cells against PyTorch's gate equations and order,
# the bidirectional layers' last step, gradient clipping and the L2 term.
# Each model trains twice: with plain SGD in place of its optimizer, where
# a step is the gradient itself and the tolerance is tight, and with its
# own optimizer (Adam).
# The images are made up (tests/torch_parity.py data).  Skipped when
# /usr/bin/python3 has no torch (tools/setup --bench installs it).
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
top=$(cd "${top_srcdir:-$(dirname "$0")/..}" && pwd) || exit 1
python=${NETC_TORCH_PYTHON:-/usr/bin/python3}
if ! "$python" -c 'import torch, numpy' >/dev/null 2>&1; then
  echo "1..0 # SKIP $python cannot import torch and numpy"
  exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/torch-parity.XXXXXX") || exit 1
[ -n "$KEEP" ] || trap 'rm -rf "$tmp"' 0
n=0
fails=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }

steps=4
batch=32
count=1000
"$python" "$top/tests/torch_parity.py" data "$tmp/data" $count || {
  echo "Bail out! cannot write the made-up images"
  exit 1
}

# check NAME FILE CELL [L2]: with SGD and with the file's own optimizer.
check() {
  sed 's/optimizer adam(.*)/optimizer sgd(lr = 0.1)/' "$2" >"$tmp/sgd.net"
  compare "$1" "$tmp/sgd.net" SGD "$3" "${4:-}"
  compare "$1" "$2" Adam "$3" "${4:-}"
}

# compare NAME FILE OPTIMIZER CELL [L2]: compile, save the initial
# parameters, train $steps steps in the data's order, compare with PyTorch.
compare() {
  model=$1 file=$2 optimizer=$3 cell=$4 l2=${5:-}
  exe=$tmp/model
  split="--validation $((count - steps * batch))"
  what="$model: $steps $optimizer steps of $batch as PyTorch's $cell"
  what="$what${l2:+ with L2 $l2}"
  if ! "$NETC" -o "$exe" "$file" >"$tmp/out" 2>&1 ||
     ! "$exe" train --data "$tmp/data" --epochs 0 $split \
       --save "$tmp/init.ckpt" \
       >>"$tmp/out" 2>&1 ||
     ! "$exe" train --data "$tmp/data" --resume "$tmp/init.ckpt" \
       --epochs 1 --no-shuffle --batch $batch \
       $split --save "$tmp/after.ckpt" \
       >>"$tmp/out" 2>&1; then
    fail "$what: netc did not compile or train"
    tail -n 5 "$tmp/out" | sed 's/^/# /'
    return
  fi
  if "$python" "$top/tests/torch_parity.py" compare "$exe" "$cell" \
       "$tmp/data" "$tmp/init.ckpt" "$tmp/after.ckpt" $steps $batch $l2 \
       >"$tmp/cmp" 2>&1; then
    pass "$what ($(tail -n 1 "$tmp/cmp"))"
  else
    fail "$what"
    sed 's/^/# /' "$tmp/cmp"
  fi
}

for model in mnist_rnn:rnn mnist_lstm:lstm mnist_gru:gru \
             mnist_bilstm:lstm mnist_birnn_b500:rnn; do
  check "${model%:*}" "$top/models/${model%:*}.net" "${model#*:}"
done
check mnist_lstm_l2 "$top/models/mnist_lstm_l2.net" lstm 0.001
# Clipping that acts at these first steps (the gradients' norm is
# about 0.3 to 1 here).
sed 's/clip norm(1.0)/clip norm(0.05)/' \
  "$top/models/tuned/mnist_lstm_tuned.net" >"$tmp/clip_norm.net"
check "mnist_lstm_tuned, clip norm(0.05)," "$tmp/clip_norm.net" lstm
sed 's/clip norm(1.0)/clip value(0.001)/' \
  "$top/models/tuned/mnist_lstm_tuned.net" >"$tmp/clip_value.net"
check "mnist_lstm_tuned, clip value(0.001)," "$tmp/clip_value.net" lstm
echo "1..$n"
[ "$fails" -eq 0 ]
