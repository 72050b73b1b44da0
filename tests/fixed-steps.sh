#!/bin/sh
# tests/fixed-steps.sh — compiled models that read fixed steps of their
# sequences of varying length (h[3]) carry the fewest steps an example
# needs, and the executables (netc run) refuse shorter examples, naming
# them: binary_add's test set (lengths 1 to 20) for a model trained on
# lengths 4 to 20 that reads bits[3], and a directory of MNIST files (28
# rows) for a model that reads row 28 of up to 30; random batches
# (gradcheck) draw lengths from the fewest.
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fixed-steps.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0
cd "$tmp" || exit 1
n=0
fails=0
result() {    # result STATUS DESCRIPTION: ok when STATUS is 0
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $n - $2"
  else
    fails=$((fails + 1))
    echo "not ok $n - $2"
    sed 's/^/# /' out err | tail -n 8
  fi
}
run() {       # run MODEL ARGS...: netc run, output in out and err
  "$NETC" run "$@" >out 2>err </dev/null
  rc=$?
}
has() { grep -q -e "$1" "$2"; }

cat >add.net <<'EOF'
data binary_add(lengths = 4 .. 20, count = 64)
input  bits  : float[<=20, 2]
target total : binary[<=20]
h    = rnn(bits, 3)
p[t] = dense(concat(h[t], bits[3]), 1)
loss binary_cross_entropy_logits(p, total)
train { optimizer adam(lr = 0.01)  epochs 1  batch 8 }
EOF
short="example 0 has 1 step; the model needs sequences of at least 4 steps"

run add.net info
has '^  every example at least 4 steps long$' out
result $? "info: every example at least 4 steps long"
run add.net train
test $rc -eq 0 && has "note: no test set: the test set does not fit the \
model: $short" err
result $? "train on lengths 4..20; binary_add's test set of lengths 1..20 \
is left out: $short"
run add.net eval --split test
test $rc -eq 1 && has "error: no test set: the test set does not fit the \
model: $short" err
result $? "eval --split test: an error naming the example"
run add.net eval --split train
test $rc -eq 0 && has '^     4  ' out && ! has '^     3  ' out
result $? "eval --split train: lengths 4 and up"
run --dtype=f64 add.net gradcheck
test $rc -eq 0 && has passed out
result $? "gradcheck: random batches of lengths 4 and up"

# Two 28 x 28 images and their labels, as MNIST's idx files hold them.
mkdir mnist
printf '\000\000\010\003\000\000\000\002\000\000\000\034\000\000\000\034' \
  >mnist/train-images-idx3-ubyte
head -c 1568 /dev/zero >>mnist/train-images-idx3-ubyte
printf '\000\000\010\001\000\000\000\002\003\007' \
  >mnist/train-labels-idx1-ubyte
cat >rows.net <<'EOF'
input  rows  : float[<=30, 28]
target digit : class[10]
h = rnn(rows, 4)
loss cross_entropy(dense(concat(h[-1], rows[28]), 10), digit)
train { optimizer sgd(lr = 0.01)  epochs 1  batch 2 }
EOF
run rows.net train --data mnist
test $rc -eq 1 && has "error: mnist: example 0 has 28 steps; the model \
needs sequences of at least 29 steps" err
result $? "--data with rows of 28 steps for a model that reads row 28: \
an error naming the file and the example"
sed 's/rows\[28\]/rows[27]/' rows.net >rows27.net
run rows27.net train --data mnist
test $rc -eq 0
result $? "the same data for a model that reads row 27 trains"

echo "1..$n"
[ "$fails" -eq 0 ]
