#!/bin/sh
# tests/faults.sh — a training run that is killed, or whose disk is full
# or read-only, never loses a checkpoint.
#
# kill -9: tests/faults/big.net writes a 48 MB checkpoint at the end of
# each one-epoch run; FAULT_KILLS (default 20) runs are killed at a
# random moment of their second half (a fixed seed), and the kills must
# include some during a save (when none falls in one, as on a busy
# machine, more kills look for the save's moment by bisection).  After every
# kill the checkpoint must be a complete one, the old or the new (eval
# --load reads and checks all of it, and its epoch is one of the two);
# then the run goes on from it to epoch 25, and the checkpoint must equal
# that of an uninterrupted run byte for byte.
#
# A full disk (a 1 MB tmpfs) and a read-only one: the save fails with the
# cause, exit status 1, the previous checkpoint intact and no temporary
# left.  Each is skipped, with the reason, where tmpfs cannot be mounted
# (not root, or no mount namespace).
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
top=$(cd "${top_srcdir:-$(dirname "$0")/..}" && pwd) || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/faults.XXXXXX") || exit 1
mounts=""
cleanup() {
  for m in $mounts; do umount "$m" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup 0
n=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
cd "$tmp" || exit 1
py=/usr/bin/python3
[ -x "$py" ] || py=python3
epoch_of() {    # epoch_of CKPT: the epoch a checkpoint's metadata gives
  "$py" "$top/tests/ckpt_compare.py" --meta "$1" epoch 2>/dev/null
}

if ! "$NETC" -o big "$top/tests/faults/big.net" 2>err; then
  fail "netc compiles tests/faults/big.net"
  sed 's/^/# /' err
  echo "1..$n"
  exit 0
fi

# ---- kill -9 during saves ----
kills=${FAULT_KILLS:-20}
./big train --epochs 0 --save ck >/dev/null 2>&1
# the kills fall in the second half of a run, where its save is: a run
# is timed first
start=$(date +%s.%N)
./big train --resume ck --epochs 1 --save timed >/dev/null 2>&1
took=$(echo "$start $(date +%s.%N)" | awk '{ print $2 - $1 }')
delays=$(awk -v k="$kills" -v t="$took" 'BEGIN { srand(14);
  for (i = 0; i < k; i++) printf "%.3f ", t * (0.5 + rand() / 2) }')
torn=0 mid=0
# kill_once DELAY: one run killed after DELAY seconds; late=1 when the
# run had saved by then, mid=+1 when the kill fell in its save.
kill_once() {
  delay=$1
  before=$(epoch_of ck)
  ./big train --resume ck --epochs $((before + 1)) --save ck >/dev/null \
    2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  after=$(epoch_of ck)
  if ! ./big eval --load ck >/dev/null 2>&1 ||
     { [ "$after" != "$before" ] && [ "$after" != $((before + 1)) ]; }; then
    torn=$((torn + 1))
    echo "# after a kill at $delay s: epoch '$after' (was $before)"
    ./big train --epochs 0 --save ck >/dev/null 2>&1
  fi
  late=0
  [ "$after" = $((before + 1)) ] && late=1
  # a kill during the save leaves that run's temporary file
  if ls ck.tmp$pid.* >/dev/null 2>&1; then
    mid=$((mid + 1))
    late=0
  fi
}
for delay in $delays; do
  kill_once "$delay"
done
# On a busy machine the runs take longer than the timed one and the
# kills can miss every save: then the save's moment is sought by
# bisection, from kills that came too early or too late.
lo=0 hi=$(awk -v t="$took" 'BEGIN { print 3 * t }') tries=0
while [ $mid = 0 ] && [ $tries -lt 20 ]; do
  delay=$(awk -v a="$lo" -v b="$hi" 'BEGIN { printf "%.3f", (a + b) / 2 }')
  kill_once "$delay"
  if [ $late = 1 ]; then hi=$delay; else lo=$delay; fi
  tries=$((tries + 1))
  kills=$((kills + 1))
done
# (with no kill during a save the test would prove nothing)
if [ $torn = 0 ] && [ $mid -gt 0 ]; then
  pass "$kills kill -9s, $mid of them during a save: every checkpoint \
complete, the old or the new"
else
  fail "$kills kill -9s, $mid during a save: $torn checkpoints torn or \
unreadable"
fi
./big train --resume ck --epochs 25 --save ck >/dev/null 2>&1
# the killed saves' temporaries (48 MB each) go with the next save
if ls ck.tmp* >/dev/null 2>&1; then
  fail "the killed saves' temporary files are gone after the next save"
  ls ck.tmp* | sed 's/^/# /'
else
  pass "the killed saves' temporary files are gone after the next save"
fi
./big train --epochs 25 --save straight >/dev/null 2>&1
if cmp -s ck straight; then
  pass "the killed and resumed run ends as an uninterrupted one, \
byte for byte"
else
  fail "the killed and resumed run ends as an uninterrupted one, \
byte for byte"
fi

# ---- a full disk, a read-only one ----
# mount_tmpfs DIR OPTIONS: true if a tmpfs is mounted on DIR
mount_tmpfs() {
  mkdir -p "$1" && mount -t tmpfs -o "$2" tmpfs "$1" 2>/dev/null &&
    mounts="$mounts $tmp/$1"
}
if mount_tmpfs full size=1m; then
  # a small model's checkpoint fits; then the disk is filled
  "$NETC" -o tiny "$top/tests/e2e/spirals.net" 2>/dev/null
  ./tiny train --epochs 1 --save full/ck >/dev/null 2>&1
  cp full/ck tiny.ck
  dd if=/dev/zero of=full/filler bs=64k 2>/dev/null
  ./tiny train --epochs 2 --save full/ck >/dev/null 2>err
  rc=$?
  if [ $rc = 1 ] && grep -q 'No space left on device' err &&
     cmp -s full/ck tiny.ck && ! ls full/ck.tmp* >/dev/null 2>&1; then
    pass "a save to a full disk fails with the cause, and the checkpoint \
it replaced is intact"
  else
    fail "a save to a full disk fails with the cause, and the checkpoint \
it replaced is intact (exit $rc)"
    sed 's/^/# /' err
  fi
else
  skip "cannot mount a tmpfs here (not root?): no full-disk test"
fi
if mount_tmpfs ro ro,size=1m; then
  ./big train --epochs 1 --save ro/ck >/dev/null 2>err
  rc=$?
  if [ $rc = 1 ] && grep -q 'Read-only file system' err; then
    pass "a save to a read-only file system fails with the cause"
  else
    fail "a save to a read-only file system fails with the cause (exit $rc)"
    sed 's/^/# /' err
  fi
else
  skip "cannot mount a tmpfs here (not root?): no read-only test"
fi
echo "1..$n"
