#!/bin/sh
# tests/e2e.sh — netc compiles models into executables that train: a small
# model reaches a known accuracy with a fixed seed, the same seed gives the
# same run, a checkpoint resumes, and every feed-forward model's gradients
# pass the executable's own gradcheck in double precision (netc run),
# recurrent ones included.
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
top=$(cd "${top_srcdir:-$(dirname "$0")/..}" && pwd) || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0
n=0
fails=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
close_to() {    # close_to A B TOL: |A - B| <= TOL * A, both positive
  [ "$(echo "$1 $2 $3" | awk '{d = $1 - $2; if (d < 0) d = -d;
         print (d <= $3 * $1 && $1 > 0 && $2 > 0)}')" = 1 ]
}
json() {    # json FILE EXPR: a figure from a --json output
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null ||
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
print(eval(sys.argv[2]))' "$1" "$2"
}
# same_training A B TOL WHAT [OTHER]: runs A and B (train --json) end at
# the same training loss to TOL, and one that differs from run OTHER's
same_training() {
  one=$(json "$1" 'd["history"][-1]["train_loss"]')
  many=$(json "$2" 'd["history"][-1]["train_loss"]')
  other=none
  [ -n "$5" ] && other=$(json "$5" 'd["history"][-1]["train_loss"]')
  if close_to "$one" "$many" "$3" && [ "$one" != "$other" ]; then
    pass "$4 (loss $many, $one)"
  else
    fail "$4 (loss '$many', '$one')"
  fi
}

if "$NETC" -o "$tmp/spirals" "$top/tests/e2e/spirals.net" 2>"$tmp/err"; then
  pass "netc compiles tests/e2e/spirals.net into an executable"
else
  fail "netc compiles tests/e2e/spirals.net into an executable"
  sed 's/^/# /' "$tmp/err"
  echo "1..$n"
  exit 1
fi

cd "$tmp" || exit 1
./spirals train --json >run1.json 2>run1.err
acc=$(json run1.json 'd["history"][-1]["val_acc"]')
if [ "$(echo "$acc" | awk '{print ($1 >= 0.95)}')" = 1 ]; then
  pass "trains to validation accuracy $acc (>= 0.95) in 20 epochs"
else
  fail "trains to validation accuracy >= 0.95 (got '$acc')"
  tail -n 5 run1.err | sed 's/^/# /'
fi
./spirals train --json >run2.json 2>/dev/null
if [ "$(json run1.json 'd["history"][-1]["train_loss"]')" = \
     "$(json run2.json 'd["history"][-1]["train_loss"]')" ]; then
  pass "the same seed gives the same losses"
else
  fail "the same seed gives the same losses"
fi
# Two and three threads cut each batch into shards: the same training to
# float rounding (losses within 1e-4 relative after 20 epochs).  A step
# this small would run on one thread: NETRT_SHARD_MIN_FLOPS=0 forces them.
# Threads spin before they sleep; NETRT_SPIN_SECONDS=0 has them sleep and
# be woken at every step.
# A large batch runs as several shards a thread, one after the other
# (NETRT_SHARDS_PER_THREAD sets how many).
for run in 2:0.002:1 3:0.002:1 3:0:1 2:0.002:3; do
  threads=${run%%:*} rest=${run#*:} spin=${rest%%:*} per=${rest#*:}
  NETRT_SHARD_MIN_FLOPS=0 NETRT_SPIN_SECONDS=$spin \
    NETRT_SHARDS_PER_THREAD=$per ./spirals train \
    --threads $threads --json >threads.json 2>/dev/null
  what="--threads $threads (spinning $spin s, $per shards a thread)"
  same_training run1.json threads.json 1e-4 "$what trains as one thread does"
done
# The threads share the update, each on its part of the parameters, with
# the clipping between the adding up and the update: still one thread's
# training.
for clip in "--clip-norm 0.01" "--clip-value 0.01"; do
  # shellcheck disable=SC2086
  ./spirals train $clip --json >clip1.json 2>/dev/null
  # shellcheck disable=SC2086
  NETRT_SHARD_MIN_FLOPS=0 ./spirals train --threads 3 $clip --json \
    >clip3.json 2>/dev/null
  same_training clip1.json clip3.json 1e-4 \
    "--threads 3 $clip trains as one thread does" run1.json
done
# With an L2 penalty every shard counts it: the threads take an empty
# shard's loss and gradient off (param_terms) before they update.  In
# f64: in f32 taking the penalty off five times over amplifies rounding
# to 4e-4 of the loss after 20 epochs.
sed 's/seed 5 }/seed 5  l2 0.01 }/' "$top/tests/e2e/spirals.net" >spirals_l2.net
if "$NETC" --dtype=f64 -o spirals_l2 spirals_l2.net 2>/dev/null; then
  ./spirals_l2 train --json >l2_1.json 2>/dev/null
  NETRT_SHARD_MIN_FLOPS=0 NETRT_SHARDS_PER_THREAD=2 ./spirals_l2 train \
    --threads 3 --json >l2_3.json 2>/dev/null
  same_training l2_1.json l2_3.json 1e-12 "--threads 3 (2 shards a \
thread) with an L2 penalty trains as one thread does" run1.json
else
  fail "netc compiles spirals with an L2 penalty"
fi
if ./spirals bench --predict --batch 3 --steps 5 --json 2>/dev/null |
     grep -q '"mode":"predict".*"batch":3'; then
  pass "bench --predict times inference"
else
  fail "bench --predict times inference"
fi
# 3 threads on 7 examples: parts of 3, 2 and 2, each with its workspace
NETRT_CORES=4 ./spirals bench --predict --batch 7 --threads 3 --steps 5 \
  --json >predict3.json 2>/dev/null
if [ "$(json predict3.json '(d["mode"] == "predict" and d["threads"] == 3
  and d["threads_used"] == 3 and d["batch"] == 7 and
  d["max_rel_diff_one_thread"] <= 1e-5)')" = True ]; then
  pass "bench --predict --threads 3: the threads' predictions are one's"
else
  fail "bench --predict --threads 3: the threads' predictions are one's"
fi
./spirals train --epochs 10 --save half.ckpt >/dev/null 2>&1 &&
  ./spirals train --resume half.ckpt --json >resumed.json 2>/dev/null
if [ "$(json resumed.json 'd["history"][-1]["train_loss"]')" = \
     "$(json run1.json 'd["history"][-1]["train_loss"]')" ]; then
  pass "10 epochs, a checkpoint and 10 more equal 20 epochs"
else
  fail "10 epochs, a checkpoint and 10 more equal 20 epochs"
fi
# Zero epochs still write --save: the initial parameters, which eval
# without --load uses too.
rm -f init.ckpt
./spirals train --epochs 0 --save init.ckpt >/dev/null 2>&1
if [ -f init.ckpt ] &&
   [ "$(./spirals eval --load init.ckpt 2>/dev/null | grep '^loss')" = \
     "$(./spirals eval 2>/dev/null | grep '^loss')" ] &&
   ./spirals eval 2>/dev/null | grep -q '^loss'; then
  pass "train --epochs 0 --save writes the initial parameters"
else
  fail "train --epochs 0 --save writes the initial parameters"
fi
if ./spirals eval --load half.ckpt 2>&1 | grep -q 'precision'; then
  pass "eval of a checkpoint prints the classification report"
else
  fail "eval of a checkpoint prints the classification report"
fi

# Steps read through a bidirectional layer's concat and reverse train as
# reads of the joined sequence (the layers times 1, which netc does not
# look through), in f64: of varying length and of fixed length, and a
# backward direction that runs one step because only its first is read.
for model in bidirectional_steps bidirectional_text_steps \
             bidirectional_last_step; do
  sed 's/^\([hg] = bi[a-z]*([a-z]*, [0-9])\)$/\1 * 1/' \
    "$top/tests/e2e/$model.net" >joined.net
  "$NETC" run --dtype=f64 "$top/tests/e2e/$model.net" train --epochs 3 \
    --json >steps.json 2>/dev/null
  "$NETC" run --dtype=f64 joined.net train --epochs 3 --json \
    >joined.json 2>/dev/null
  a=$(json steps.json 'd["history"][-1]["train_loss"]')
  b=$(json joined.json 'd["history"][-1]["train_loss"]')
  what="$model: steps read through concat and reverse train as the"
  what="$what joined sequence does (loss $a, $b)"
  if grep -q '^[hg] = bi.* \* 1$' joined.net &&
     close_to "$a" "$b" 1e-9; then
    pass "$what"
  else
    fail "$what"
  fi
done

# every model that compiles (E's convolutions do not yet), and the e2e one
for file in "$top"/models/*.net "$top/tests/e2e/spirals.net"; do
  model=$(basename "$file" .net)
  case $model in cnn*) continue ;; esac
  if "$NETC" run --dtype=f64 "$file" gradcheck >gc.out 2>&1; then
    pass "$model: gradcheck in f64: $(tail -n 1 gc.out)"
  else
    fail "$model: gradcheck in f64"
    tail -n 8 gc.out | sed 's/^/# /'
  fi
done
echo "1..$n"
[ "$fails" -eq 0 ]
