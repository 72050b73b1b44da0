#!/bin/sh
# tests/runtime/driver-seq.sh — the executables' commands on sequences of
# varying length, with the hand-written models of tests/runtime/fake_seq.c:
# fake_seq (a per-step logistic regression on binary_add, lengths 1..5,
# input float[<=5, 2]), its double build fake_seq_f64, fake_seq_long
# (its data asks for lengths 1..6) and fake_recall (index_recall, k = 3,
# lengths 3..3, read from an input of up to 5 steps, examples of at least
# 3 steps: min_steps).  The models return a NaN loss for a batch that
# breaks netrt.h's contract (lengths in inputs[ninputs], at least
# min_steps, zeros past them), so every command checks it.
#
# Environment: FAKE_SEQ, FAKE_SEQ_F64, FAKE_SEQ_LONG, FAKE_RECALL
# (default: the programs under tests/runtime/ of the current directory,
# the build tree when make check runs this).  Needs python3 to read
# --json output.

LC_ALL=C
export LC_ALL
bin=$(pwd)/tests/runtime
FAKE_SEQ=${FAKE_SEQ:-$bin/fake_seq}
FAKE_SEQ_F64=${FAKE_SEQ_F64:-$bin/fake_seq_f64}
FAKE_SEQ_LONG=${FAKE_SEQ_LONG:-$bin/fake_seq_long}
FAKE_RECALL=${FAKE_RECALL:-$bin/fake_recall}
M=$FAKE_SEQ

if ! command -v python3 >/dev/null 2>&1; then
  echo "1..0 # SKIP python3 not found"
  exit 0
fi
for p in "$FAKE_SEQ" "$FAKE_SEQ_F64" "$FAKE_SEQ_LONG" "$FAKE_RECALL"; do
  [ -x "$p" ] || { echo "Bail out! $p not built"; exit 1; }
done

lib=$(cd "$(dirname "$0")" && pwd)/tap-lib.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/driver-seq.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0
cd "$tmp" || exit 1

. "$lib"

# ---- the lengths reach the model ----
# The zero initial weights cost log 2 per step within the length, and the
# test set holds 100 pairs of each length 1..5: a mean of 3 steps.
run "$M" eval --json
ok $(test $rc -eq 0 && check 'd["split"] == "test" and
  d["examples"] == 500 and abs(d["loss"] - 3 * math.log(2)) < 1e-5';
     echo $?) "eval at the initial weights: loss 3 log 2 (lengths 1..5)"
# length 1: both operands are below 2^0, so the sum bit is 0, which the
# zero outputs (logits: 0 is not above 0) predict.
ok $(check 'd["bit_accuracy"][0] == 1 and d["bits"] == 1500 and
  len(d["bit_accuracy"]) == 5'; echo $?) \
  "eval --json: 5 lengths, 1500 bits, length 1 all right at zero outputs"
run "$M" eval --split train --json
loss_train=$(json 'd["loss"]')
run "$M" predict --split train --count 400 --json
ok $(test $rc -eq 0 && check 'len(d["predictions"]) == 400 and
  abs(sum(p["length"] for p in d["predictions"]) / 400 * math.log(2) -
      '"$loss_train"') < 1e-5 and
  all(len(p["output"]) == p["length"] for p in d["predictions"]) and
  {p["length"] for p in d["predictions"]} == {1, 2, 3, 4, 5}'; echo $?) \
  "predict --json: each example's length; the training loss is log 2 \
times their mean"
run "$FAKE_SEQ_F64" eval --json
ok $(test $rc -eq 0 && check 'abs(d["loss"] - 3 * math.log(2)) < 1e-12'
     echo $?) "the double build: the same loss to 1e-12"

# ---- train, eval ----
run "$M" train --epochs 5 --save s.ckpt --log log.csv --json
ok $(test $rc -eq 0 && check 'd["train_examples"] == 400 and
  d["validation_examples"] == 0 and len(d["history"]) == 5 and
  d["test"]["examples"] == 500 and
  d["test"]["loss"] < 3 * math.log(2) - 0.02 and
  d["final"]["train_loss"] < d["history"][0]["train_loss"] and
  0 <= d["test"]["min_bit_accuracy"] <= d["test"]["accuracy"] <= 1 and
  0 < d["final"]["train_acc"] <= 1'; echo $?) \
  "train: the masked loss falls; test bit accuracy; training bit accuracy"
run "$M" train --epochs 2
ok $(test $rc -eq 0 && has "train loss" out && has "bit acc" out &&
     has "at every length" out; echo $?) \
  "train prints bit accuracy and its minimum over the lengths"
run "$M" eval --load s.ckpt
ok $(test $rc -eq 0 && has "bit accuracy" out &&
     has "^length  bit accuracy$" out &&
     test "$(grep -c '^ *[1-5]  [01]\.[0-9]* ([0-9]* of [0-9]*)$' out)" \
       -eq 5 && has "^min     " out; echo $?) \
  "eval prints the bit accuracy of each length 1..5 and the minimum"
run "$M" eval --load s.ckpt --json
ok $(test $rc -eq 0 && check 'len(d["bit_accuracy"]) == 5 and
  d["min_bit_accuracy"] == min(d["bit_accuracy"]) and
  d["bit_accuracy"][d["min_bit_accuracy_length"] - 1] ==
    d["min_bit_accuracy"] and
  abs(d["accuracy"] - sum(a * 100 * L for L, a in
      enumerate(d["bit_accuracy"], 1)) / 1500) < 1e-9 and
  d["loss"] < 3 * math.log(2) - 0.02'; echo $?) \
  "eval --json: bit_accuracy per length, min_bit_accuracy, the overall"
run "$M" eval --load s.ckpt --split train --json
ok $(test $rc -eq 0 && check 'd["examples"] == 400 and
  len(d["bit_accuracy"]) == 5'; echo $?) "eval --split train"

# ---- gradcheck, bench: random lengths, zeros past them ----
run "$M" gradcheck --json
ok $(test $rc -eq 0 && check 'd["passed"] and d["batch"] == 4'; echo $?) \
  "gradcheck passes (float)"
run "$FAKE_SEQ_F64" gradcheck --load s.ckpt --batch 8 --json
ok $(test $rc -eq 0 && check 'd["passed"] and d["max_rel_error"] < 1e-6';
     echo $?) "gradcheck passes (double, batch 8)"
run "$M" bench --steps 20 --json
ok $(test $rc -eq 0 && check 'd["steps"] == 20'; echo $?) "bench"
run env NETRT_CORES=4 "$M" bench --predict --steps 5 --threads 3 --json
ok $(test $rc -eq 0 && check 'd["threads_used"] == 3 and
  d["max_rel_diff_one_thread"] == 0'; echo $?) \
  "bench --predict --threads 3: each part's lengths"

# ---- index_recall ----
run "$FAKE_RECALL" eval --json
ok $(test $rc -eq 0 && check 'd["examples"] == 100 and
  abs(d["loss"] - math.log(10)) < 1e-5 and len(d["confusion"]) == 10';
     echo $?) "index_recall: a test set of 100 sequences, 10 classes"
run "$FAKE_RECALL" train --epochs 5 --save r.ckpt --json
ok $(test $rc -eq 0 && check 'd["train_examples"] == 300 and
  d["test"]["accuracy"] == 1 and d["final"]["train_acc"] > 0.5'; echo $?) \
  "index_recall: the data's 3 steps padded to 5, the last step found"
run "$FAKE_RECALL" eval --load r.ckpt
ok $(test $rc -eq 0 && has "^accuracy  1.0000 (100 of 100)" out &&
     has "confusion matrix" out && ! has "bit accuracy" out; echo $?) \
  "index_recall: eval prints the accuracy"
run "$FAKE_RECALL" gradcheck
ok $(test $rc -eq 0 && has passed out; echo $?) \
  "index_recall: gradcheck, random lengths of at least min_steps (3)"
run "$FAKE_RECALL" bench --steps 20 --json
ok $(test $rc -eq 0 && check 'd["steps"] == 20'; echo $?) \
  "index_recall: bench"
run "$FAKE_RECALL" info --json
ok $(test $rc -eq 0 && check 'd["min_steps"] == 3 and
  d["abi_version"] == 8'; echo $?) "index_recall: info --json: min_steps"

# ---- errors ----
run "$FAKE_SEQ_LONG" train --epochs 1
ok $(test $rc -eq 1 && has "binary_add: lengths 1\.\.6: input 'bits' takes \
at most 5 steps" err; echo $?) \
  "lengths above the input's maximum: an error"
run "$FAKE_SEQ_LONG" eval
ok $(test $rc -eq 1 && has "at most 5 steps" err; echo $?) \
  "the same error from eval"
printf '0,1,2,3,4,5,6,7,8,9,0\n9,8,7,6,5,4,3,2,1,0,1\n' >flat.csv
run "$M" train --data flat.csv
ok $(test $rc -eq 1 && has "input 'bits' takes sequences of up to 5 steps"\
"; the data's examples are not sequences" err; echo $?) \
  "--data with examples that are not sequences"

echo "1..$n"
exit $failed
