#!/bin/sh
# tests/runtime/driver.sh — the executables' commands (libnetrt's driver)
# on a hand-written model, tests/runtime/fake_model.c: softmax regression
# on 3-class spirals, built as fake_model (float, Adam), fake_model_f64
# (double, Adam, the same model) and fake_model_sgd (another model).
#
# Environment: FAKE_MODEL, FAKE_MODEL_F64, FAKE_MODEL_SGD (default: the
# programs under tests/runtime/ of the current directory, the build tree
# when make check runs this).  Needs python3 to read --json output.

LC_ALL=C
export LC_ALL
bin=$(pwd)/tests/runtime
FAKE_MODEL=${FAKE_MODEL:-$bin/fake_model}
FAKE_MODEL_F64=${FAKE_MODEL_F64:-$bin/fake_model_f64}
FAKE_MODEL_SGD=${FAKE_MODEL_SGD:-$bin/fake_model_sgd}
M=$FAKE_MODEL

if ! command -v python3 >/dev/null 2>&1; then
  echo "1..0 # SKIP python3 not found"
  exit 0
fi
for p in "$FAKE_MODEL" "$FAKE_MODEL_F64" "$FAKE_MODEL_SGD"; do
  [ -x "$p" ] || { echo "Bail out! $p not built"; exit 1; }
done

lib=$(cd "$(dirname "$0")" && pwd)/tap-lib.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/driver.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0
cd "$tmp" || exit 1

. "$lib"

# ---- help and usage errors ----
run "$M" --help
ok $(test $rc -eq 0 && has train out && has gradcheck out; echo $?) \
  "--help lists the commands"
for c in train eval predict info gradcheck bench; do
  run "$M" $c --help
  ok $(test $rc -eq 0 && has "usage: fake_model $c" out && has --json out
       echo $?) "$c --help"
done
run "$M" train --help
ok $(has --resume out && has --weight-decay out; echo $?) \
  "train --help lists --resume and the optimizer's options"
run "$M"
ok $(test $rc -eq 1 && has usage err; echo $?) "no command: usage, exit 1"
run "$M" frobnicate
ok $(test $rc -eq 1 && has "unknown command 'frobnicate'" err; echo $?) \
  "an unknown command"
run "$M" train --bogus
ok $(test $rc -eq 1 && has "unknown option '--bogus'" err; echo $?) \
  "an unknown option"
run "$M" train --epochs abc
ok $(test $rc -eq 1 && has "epochs: 'abc' is not a whole number" err
     echo $?) "a malformed number"
run "$M" train --epochs
ok $(test $rc -eq 1 && has "needs a value" err; echo $?) "a missing value"
run "$M" train --batch 64
ok $(test $rc -eq 1 && has "at most 32" err; echo $?) \
  "a batch above the compiled one"
run "$M" train --lr=nan
ok $(test $rc -eq 1 && has "not a finite number" err; echo $?) \
  "a non-finite learning rate"
run "$M" train --json=1
ok $(test $rc -eq 1 && has "takes no value" err; echo $?) \
  "a value given to a flag"
run "$M" train extra
ok $(test $rc -eq 1 && has "unexpected argument 'extra'" err; echo $?) \
  "a stray argument"
# ---- CSV data in place of the generated points ----
python3 - <<'PY'
import random
random.seed(1)
with open("blobs.csv", "w") as f:
    for i in range(600):
        c = i % 3
        f.write("%.4f, %.4f, %d\n" % (random.gauss(2 * c - 2, 0.3),
                                       random.gauss(c % 2, 0.3), c))
PY
run "$M" train --data blobs.csv --validation 100 --epochs 3 --json
ok $(test $rc -eq 0 && check 'd["train_examples"] == 500 and
  d["final"]["val_acc"] > 0.9'; echo $?) "train --data FILE.csv"
printf '1,2,0\n3,4,1\n5,x,2\n' >bad.csv
run "$M" train --data bad.csv
ok $(test $rc -eq 1 && has "bad.csv:3:" err; echo $?) \
  "a malformed CSV file: its line in the message"
printf '1,2,0\n3,1e39,1\n0.5,0.25,2\n' >huge.csv
run "$M" train --data huge.csv --validation 0
ok $(test $rc -eq 1 && has "huge.csv:2:3: field 2: '1e39' is beyond the \
range of the model's f32 reals" err; echo $?) \
  "a CSV value beyond f32's range: refused by an f32 model, where"
run "$FAKE_MODEL_F64" predict --data huge.csv --validation 0 --split all \
  --count 3 --json
ok $(test $rc -eq 0 && check 'd["predictions"][1]["output"][2] > 1e38'
     echo $?) "an f64 model reads it, and predicts from it"
run "$M" train --data missing.csv
ok $(test $rc -eq 1 && has "missing.csv" err; echo $?) "a missing CSV file"

# ---- info ----
run "$M" info --json
ok $(test $rc -eq 0 && check 'd["param_count"] == 9 and
  [p["name"] for p in d["params"]] == ["W", "b"] and
  d["params"][0]["shape"] == [3, 2] and d["optimizer"]["name"] == "adam"
  and d["flops_per_step"] > 0 and d["workspace_bytes"] > 0'; echo $?) \
  "info --json parses and holds the parameters"
run "$M" info
ok $(test $rc -eq 0 && has "xavier_uniform" out && has "total" out
     echo $?) "info prints the parameter table"

# ---- train ----
run "$M" train --epochs 5 --log metrics.csv --json
ok $(test $rc -eq 0 && check 'd["final"]["val_acc"] > 0.45 and
  d["final"]["train_acc"] > 0.45 and len(d["history"]) == 5'; echo $?) \
  "train reaches an accuracy well above chance (1/3)"
loss5=$(json 'd["final"]["train_loss"]')
val5=$(json 'd["final"]["val_loss"]')
ok $(check 'd["history"][0]["train_loss"] > d["final"]["train_loss"]'
     echo $?) "the training loss falls"
ok $(test "$(sed -n 1p metrics.csv)" = \
       "epoch,train_loss,train_acc,val_loss,val_acc,seconds" &&
     test "$(wc -l <metrics.csv)" -eq 6; echo $?) \
  "--log writes a header and one row per epoch"
run "$M" train --epochs 1 --validation 610 --json
ok $(test $rc -eq 0 && check 'd["steps"] == 75 and
  d["train_examples"] == 2390'; echo $?) \
  "a smaller last batch (2390 = 74 * 32 + 22)"
run "$M" train --epochs 2 --quiet
ok $(test $rc -eq 0 && test ! -s out && has "trained 2 epochs" err
     echo $?) "without a terminal: one summary line on stderr"
run "$M" train --epochs 2 --lr 1e38
ok $(test $rc -eq 1 && has "at epoch 1, step" err; echo $?) \
  "a non-finite loss stops training, naming the epoch and step"
run "$M" train --epochs 1 --validation 3000
ok $(test $rc -eq 1 && has "validation" err; echo $?) \
  "a validation set as large as the data"

# ---- checkpoints ----
run "$M" train --epochs 3 --save a.ckpt --log resumed.csv
ok $(test $rc -eq 0 && test -s a.ckpt; echo $?) "--save writes a checkpoint"
run "$M" train --epochs 5 --resume a.ckpt --save b.ckpt \
  --log resumed.csv --json
ok $(test $rc -eq 0 && check 'd["start_epoch"] == 3 and
  len(d["history"]) == 2 and d["steps"] == 375 and
  abs(d["final"]["train_loss"] - '"$loss5"') < 1e-6 and
  abs(d["final"]["val_loss"] - '"$val5"') < 1e-6'; echo $?) \
  "--resume continues exactly (the same final loss as 5 epochs straight)"
ok $(test "$(wc -l <resumed.csv)" -eq 6; echo $?) \
  "--resume appends to the log"
run "$M" train --epochs 5 --resume b.ckpt --json
ok $(test $rc -eq 0 && check 'd["history"] == []' && has "nothing" err
     echo $?) "resuming a finished run trains nothing"
run "$FAKE_MODEL_SGD" eval --load a.ckpt
ok $(test $rc -eq 1 &&
     has "a checkpoint of model 'fake_softmax', not of" err; echo $?) \
  "another model's checkpoint is refused"
# craft IN OUT meta KEY VALUE: a copy of checkpoint IN with a metadata
# value changed (VALUE "-": removed); craft IN OUT value TENSOR I X: with
# element I of TENSOR set to the real X.
craft() {
  python3 - "$@" <<'PY'
import json, struct, sys
src, dst, what = sys.argv[1:4]
data = open(src, "rb").read()
n = struct.unpack("<Q", data[:8])[0]
head = json.loads(data[8:8 + n])
body = bytearray(data[8 + n:])
if what == "meta":
    key, value = sys.argv[4:6]
    if value == "-":
        del head["__metadata__"][key]
    else:
        head["__metadata__"][key] = value
else:
    t, i = head[sys.argv[4]], int(sys.argv[5])
    fmt = "<f" if t["dtype"] == "F32" else "<d"
    at = t["data_offsets"][0] + i * struct.calcsize(fmt)
    body[at:at + struct.calcsize(fmt)] = struct.pack(fmt, float(sys.argv[6]))
text = json.dumps(head).encode()
text += b" " * (-len(text) % 8)
open(dst, "wb").write(struct.pack("<Q", len(text)) + text + bytes(body))
PY
}
craft a.ckpt other.ckpt meta signature "x:float[2] y:class[4]"
run "$M" eval --load other.ckpt
ok $(test $rc -eq 1 && has "shapes differ" err && has "class\[4\]" err
     echo $?) "a checkpoint of other shapes is refused"
# Reals that are not finite, in the parameters or the optimizer state.
craft a.ckpt nan.ckpt value W 3 nan
run "$M" eval --load nan.ckpt
ok $(test $rc -eq 1 && has "nan.ckpt: tensor 'W' holds NaN (element 3 of 6)" \
     err; echo $?) "eval --load: a NaN parameter is refused, named"
craft a.ckpt inf.ckpt value b 0 inf
run "$M" predict --load inf.ckpt
ok $(test $rc -eq 1 && has "tensor 'b' holds +inf (element 0 of 3)" err
     echo $?) "predict --load: an infinite parameter is refused"
craft a.ckpt ninf.ckpt value b 2 -inf
run "$M" train --epochs 4 --resume ninf.ckpt
ok $(test $rc -eq 1 && has "tensor 'b' holds -inf (element 2 of 3)" err
     echo $?) "train --resume: an infinite parameter is refused"
craft a.ckpt state.ckpt value optimizer_state 5 nan
run "$M" train --epochs 4 --resume state.ckpt
ok $(test $rc -eq 1 && has "tensor 'optimizer_state' holds NaN (element 5" \
     err; echo $?) "train --resume: a NaN in the optimizer state is refused"
run "$M" eval --load state.ckpt
ok $rc "eval --load reads only the parameters: the state does not matter"
run "$FAKE_MODEL_F64" train --epochs 1 --save d.ckpt
craft d.ckpt huge.ckpt value W 1 1e300
run "$M" eval --load huge.ckpt
ok $(test $rc -eq 1 && has "tensor 'W' holds 1e+300 (element 1 of 6), \
beyond the range of this model's f32 reals" err; echo $?) \
  "an f64 value beyond f32's range, loaded into an f32 model, is refused"
run "$FAKE_MODEL_F64" eval --load huge.ckpt
ok $rc "the f64 model takes it"
# The metadata's format and dtype.
craft a.ckpt v2.ckpt meta format "netrt 2"
run "$M" eval --load v2.ckpt
ok $(test $rc -eq 1 && has "v2.ckpt: format 'netrt 2': this runtime reads \
checkpoints of format 'netrt 1'" err; echo $?) "another format is refused"
craft a.ckpt noformat.ckpt meta format -
run "$M" eval --load noformat.ckpt
ok $(test $rc -eq 1 && has "not a netrt checkpoint (no 'format'" err
     echo $?) "a checkpoint without a format is refused"
craft a.ckpt f16.ckpt meta dtype f16
run "$M" eval --load f16.ckpt
ok $(test $rc -eq 1 && has "metadata 'dtype' is 'f16', not f32 or f64" err
     echo $?) "a dtype other than f32 and f64 is refused"
craft a.ckpt nodtype.ckpt meta dtype -
run "$M" predict --load nodtype.ckpt
ok $(test $rc -eq 1 && has "no 'dtype' in its metadata" err; echo $?) \
  "a checkpoint without a dtype is refused"
craft a.ckpt f64.ckpt meta dtype f64
run "$M" train --epochs 4 --resume f64.ckpt
ok $(test $rc -eq 1 && has "tensor 'W' holds F32 reals, but the metadata \
says dtype f64" err; echo $?) "a dtype the tensors do not have is refused"
head -c 100 a.ckpt >short.ckpt
run "$M" eval --load short.ckpt
ok $(test $rc -eq 1 && has "short.ckpt" err; echo $?) \
  "a truncated checkpoint is refused with a message"
run "$M" train --resume missing.ckpt
ok $(test $rc -eq 1 && has "missing.ckpt" err; echo $?) \
  "a missing checkpoint"

# ---- eval, predict ----
run "$M" eval --load a.ckpt
ok $(test $rc -eq 0 && has "confusion matrix" out &&
     has "weighted avg" out && has "accuracy" out; echo $?) \
  "eval prints the confusion matrix and the classification report"
run "$M" eval --load a.ckpt --json
ok $(test $rc -eq 0 && check 'd["examples"] == 600 and
  len(d["confusion"]) == 3 and
  sum(map(sum, d["confusion"])) == 600 and
  abs(d["accuracy"] - sum(d["confusion"][i][i] for i in range(3)) / 600)
  < 1e-12 and len(d["classes"]) == 3'; echo $?) \
  "eval --json: loss, accuracy, confusion matrix, per-class table"
run "$M" eval --load a.ckpt --split all --json
ok $(test $rc -eq 0 && check 'd["examples"] == 3000'; echo $?) \
  "eval --split all"
run "$M" eval --load a.ckpt --split test
ok $(test $rc -eq 1 && has "no test set" err; echo $?) \
  "eval --split test without a test set"
run "$M" predict --load a.ckpt --count 3
ok $(test $rc -eq 0 && test "$(grep -c 'class [0-2] (label [0-2])' out)" \
       -eq 3; echo $?) "predict prints a class per example"
run "$M" predict --load a.ckpt --count 5 --json
ok $(test $rc -eq 0 && check 'len(d["predictions"]) == 5 and
  all(len(p["output"]) == 3 for p in d["predictions"])'; echo $?) \
  "predict --json"

# ---- writes that fail ----
if [ -w /dev/full ]; then
  for c in "info" "info --json" "eval --load a.ckpt" "eval --json" \
      "predict --load a.ckpt" "predict --json" "train --epochs 1" \
      "train --epochs 1 --json" "gradcheck" "gradcheck --json" \
      "bench --steps 2" "bench --steps 2 --json" "train --help" "--help" \
      "--version"; do
    full "$M" $c
    ok $(stdout_full fake_model; echo $?) \
      "$c to a full disk: exit 1, naming standard output and the cause"
  done
  run "$M" train --epochs 1 --log /dev/full
  ok $(test $rc -eq 1 &&
       has "^fake_model: error: /dev/full: cannot write: No space left on \
device$" err; echo $?) "train --log on a full disk: exit 1 at once"
else
  ok 0 "# SKIP no /dev/full"
fi
# A log that fills up on the way (here: over the file size limit) stops
# the run with the rows it could write.
(trap '' XFSZ; ulimit -f 2; "$M" train --epochs 200 --log big.csv \
   --quiet >out 2>err)
rc=$?
ok $(test $rc -eq 1 && has "big.csv: cannot write: File too large" err &&
     test "$(wc -l <big.csv)" -gt 5 && ! has trained err; echo $?) \
  "a log that cannot take the next row stops training, exit 1"

# ---- gradcheck, bench ----
run "$M" gradcheck
ok $(test $rc -eq 0 && has passed out; echo $?) "gradcheck passes (float)"
run "$FAKE_MODEL_F64" gradcheck --load a.ckpt --json
ok $(test $rc -eq 0 && check 'd["passed"] and d["max_rel_error"] < 1e-6
  and d["dtype_bytes"] == 8 and len(d["params"]) == 2'; echo $?) \
  "gradcheck passes (double, a float checkpoint converted)"
run "$M" gradcheck --tolerance 0
ok $(test $rc -eq 1 && has "over the tolerance" err; echo $?) \
  "gradcheck fails over its tolerance"
run "$FAKE_MODEL_F64" train --epochs 5 --json
ok $(test $rc -eq 0 && check 'abs(d["final"]["train_loss"] - '"$loss5"')
  < 1e-3'; echo $?) "the double build trains like the float one"
run "$M" bench --steps 50 --threads 2 --json
ok $(test $rc -eq 0 && check 'd["steps"] == 50 and d["threads"] == 2 and
  d["steps_per_second"] > 0 and d["samples_per_second"] > 0'; echo $?) \
  "bench --json"
run env NETRT_CORES=4 "$M" bench --predict --steps 20 --threads 3 --json
ok $(test $rc -eq 0 && check 'd["mode"] == "predict" and d["batch"] == 32
  and d["threads"] == 3 and d["threads_used"] == 3 and
  d["max_rel_diff_one_thread"] == 0 and "gflops" not in d'; echo $?) \
  "bench --predict --threads 3: 3 parts of the batch, one's predictions"
run env NETRT_CORES=4 "$M" bench --predict --steps 5 --threads 3 --batch 2 \
  --json
ok $(test $rc -eq 0 && check 'd["threads"] == 3 and d["threads_used"] == 2
  and d["max_rel_diff_one_thread"] == 0'; echo $?) \
  "bench --predict: no more threads than examples"
run "$M" bench --predict --steps 5 --threads 2
ok $(test $rc -eq 0 && has "5 predictions of 32 examples" out &&
     has "ms/call (threads [12])" out; echo $?) "bench --predict's line"

echo "1..$n"
exit $failed
