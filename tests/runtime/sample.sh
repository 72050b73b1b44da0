#!/bin/sh
# tests/runtime/sample.sh — the executables' sample command on a text
# model: models/word_rnn.net (experiment B) trained for its 1000 epochs
# must spell "Acknowledgement" from "A"; sampling with a temperature is
# reproducible in its seed; errors (a character not in the vocabulary, a
# model without a text, a negative temperature, a full standard output)
# exit 1 with a message.
#
# Environment: NETC (the netc binary), top_srcdir, NETC_RUNTIME_DIR (the
# runtime netc links with, when it is not installed).

LC_ALL=C
export LC_ALL

: "${NETC:?NETC must name the netc binary}"
top=${top_srcdir:-$(dirname "$0")/../..}
top=$(cd "$top" && pwd) || { echo "Bail out! cannot cd to $top"; exit 1; }

lib=$(cd "$(dirname "$0")" && pwd)/tap-lib.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sample.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0
cd "$tmp" || exit 1

. "$lib"
# is TEXT: stdout is exactly the line TEXT.
is() {
  [ "$(cat out)" = "$1" ] && [ "$(wc -l <out)" -eq 1 ]
}

run "$NETC" "$top/models/word_rnn.net" -o word_rnn
ok $rc "netc compiles models/word_rnn.net"
if [ $rc -ne 0 ]; then
  echo "Bail out! cannot compile models/word_rnn.net"
  exit 1
fi

run ./word_rnn train --epochs 1000 --quiet --save w.ckpt
ok $(test $rc -eq 0 && test -s w.ckpt; echo $?) \
  "word_rnn trains 1000 epochs and saves a checkpoint"

# ---- arg-max ----
run ./word_rnn sample --load w.ckpt --start A
ok $(test $rc -eq 0 && is Acknowledgement; echo $?) \
  "sample --start A prints Acknowledgement"
run ./word_rnn sample --load w.ckpt
ok $(test $rc -eq 0 && is Acknowledgement; echo $?) \
  "the default start is the text's first character"
run ./word_rnn sample --load w.ckpt --start Ackn --length 8
ok $(test $rc -eq 0 && is Acknowle; echo $?) \
  "--length counts the start's characters"
run ./word_rnn sample --load w.ckpt --start A --length 40
ok $(test $rc -eq 0 && is Acknowledgement &&
     has "stops at 15" err; echo $?) \
  "--length stops at T + 1 characters, with a note"
run ./word_rnn sample --load w.ckpt --start A --json
ok $(test $rc -eq 0 &&
     is '{"command":"sample","start":"A","text":"Acknowledgement"}' &&
     has Acknowledgement err; echo $?) \
  "--json: one object on stdout, the text on stderr"

# ---- temperature ----
run ./word_rnn sample --start A --temperature 2 --seed 7
first=$(cat out)
ok $(test $rc -eq 0 && test ${#first} -eq 15 &&
     case $first in A*) true ;; *) false ;; esac &&
     has "no --load" err; echo $?) \
  "no --load: 15 characters from the initial weights, with a note"
run ./word_rnn sample --start A --temperature 2 --seed 7
ok $(test $rc -eq 0 && is "$first"; echo $?) \
  "sampling with a temperature is reproducible in its seed"
same=0
for seed in 1 2 3 4 5; do
  run ./word_rnn sample --start A --temperature 2 --seed $seed
  [ "$(cat out)" = "$first" ] && same=$((same + 1))
done
ok $(test $same -lt 5; echo $?) "other seeds draw other texts"
run ./word_rnn sample --load w.ckpt --start A --temperature 0.01 --seed 3
ok $(test $rc -eq 0 && is Acknowledgement; echo $?) \
  "a low temperature follows the trained model"

# ---- errors ----
run ./word_rnn sample --load w.ckpt --start Az
ok $(test $rc -eq 1 && test ! -s out && has "'z'" err &&
     has "not in the text's vocabulary" err; echo $?) \
  "an unknown start character: exit 1 and a message"
run ./word_rnn sample --load w.ckpt --start AcknowledgementAA
ok $(test $rc -eq 1 && has "at most 15 characters" err; echo $?) \
  "a start longer than T + 1 characters: exit 1"
run ./word_rnn sample --load w.ckpt --temperature -1
ok $(test $rc -eq 1 && has "temperature" err; echo $?) \
  "a negative temperature: exit 1"
run ./word_rnn sample --load missing.ckpt
ok $(test $rc -eq 1 && has missing.ckpt err; echo $?) \
  "a missing checkpoint: exit 1"
run "$NETC" "$top/examples/xor.net" -o xor
if [ $rc -eq 0 ]; then
  run ./xor sample
  rc2=$rc
else
  rc2=-1
fi
ok $(test $rc2 -eq 1 && has "sample needs a text model" err; echo $?) \
  "a model without a text: exit 1"

if [ -w /dev/full ]; then
  for c in "sample --load w.ckpt" "sample --load w.ckpt --json" \
      "sample --help"; do
    full ./word_rnn $c
    ok $(stdout_full word_rnn; echo $?) \
      "$c to a full disk: exit 1, naming standard output and the cause"
  done
else
  ok 0 "# SKIP no /dev/full"
fi

# ---- help ----
run ./word_rnn sample --help
ok $(test $rc -eq 0 && has "usage: word_rnn sample" out &&
     has "--start TEXT" out && has "--temperature X" out &&
     has "--length N" out && has "--load FILE" out; echo $?) \
  "sample --help"
run ./word_rnn --help
ok $(test $rc -eq 0 && has "^  sample " out; echo $?) \
  "--help lists sample"

echo "1..$n"
exit $failed
