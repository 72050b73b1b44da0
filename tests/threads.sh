#!/bin/sh
# tests/threads.sh — train --threads N trains every parameter, and trains
# it as one thread does, over a grid rather than at a point: parameter
# counts that are prime (97), smaller than a cache line (7), a multiple
# of every thread count times a cache line (960 reals of f64) and one more
# (961); 1 to 5 and 8 threads (more than this machine's cores); without
# and with clipping and an L2 penalty; batches of 20 (the compiled one), 7
# (which no thread count but 1 divides) and 3 (fewer than most thread
# counts: one thread takes it).  Each run starts from the same saved
# parameters and takes 10 to 67 steps in f64; every real of every
# parameter must have moved, and agree with one thread's to 1e-12.
# NETRT_CORES=8 has every thread run (on this machine's few cores).  Then
# the same in f32 for models/tiny_mlp_relu.net (322 reals), whose b2 four
# and five threads never updated; and more threads than cores: fewer
# threads compute the same shards, to the same bits, with one warning.
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
top=$(cd "${top_srcdir:-$(dirname "$0")/..}" && pwd) || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/threads.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0
cd "$tmp" || exit 1
n=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3
compare() { "$py" "$top/tests/ckpt_compare.py" "$@"; }
# A step this small would run on one thread: force the threads.
NETRT_SHARD_MIN_FLOPS=0 NETRT_CORES=8
export NETRT_SHARD_MIN_FLOPS NETRT_CORES

# model NAME HIDDEN EXTRA L2 [DTYPE]: compiles grid.net into NAME
model() {
  sed -e "s/^const hidden = .*/const hidden = $2/" \
      -e "s/^const extra = .*/const extra = $3/" \
      -e "s/seed 5 }/seed 5  l2 $4 }/" "$top/tests/threads/grid.net" >"$1.net"
  if [ "$3" = 0 ]; then
    sed -i -e '/^param p /d' -e 's/ + 0\.1 \* mean(tanh(p \* point\[0\]))//' \
      "$1.net"
  fi
  "$NETC" --dtype="${5:-f64}" -o "$1" "$1.net" 2>"$1.err"
}

# grid NAME REALS: every thread count, clipping and batch against one
# thread, from the same initial parameters
grid() {
  ./"$1" train --epochs 0 --save "$1.init" >/dev/null 2>&1
  for clip in "" "--clip-norm 0.05"; do
    for batch in 20 7 3; do
      for threads in 1 2 3 4 5 8; do
        # shellcheck disable=SC2086
        ./"$1" train --resume "$1.init" --epochs 1 --batch $batch $clip \
          --threads $threads --save "$1.$threads.ckpt" >/dev/null \
          2>"$1.$threads.err"
      done
      for threads in 2 3 4 5 8; do
        what="$2 reals, ${clip:-no clipping}, batch $batch, $threads threads"
        if out=$(compare "$1.init" "$1.1.ckpt" "$1.$threads.ckpt" 1e-12); then
          pass "$what: $out"
        else
          fail "$what: $out"
          sed 's/^/# /' "$1.$threads.err"
        fi
      done
    done
  done
}

for l2 in 0 0.01; do
  for size in 1:0:7 3:80:97 3:943:960 3:944:961; do
    hidden=${size%%:*} rest=${size#*:} extra=${rest%%:*} reals=${rest#*:}
    name=grid$reals what=$reals
    [ "$l2" = 0 ] || name=grid${reals}_l2 what="$reals (l2 $l2)"
    if model "$name" "$hidden" "$extra" "$l2"; then
      grid "$name" "$what"
    else
      fail "netc compiles the $reals-real model (l2 $l2)"
      sed 's/^/# /' "$name.err"
    fi
  done
done

# f32: the tiny MLP, whose last 2 reals (b2) 4 and 5 threads left alone
if "$NETC" -o tiny "$top/models/tiny_mlp_relu.net" 2>tiny.err; then
  ./tiny train --epochs 0 --save tiny.init >/dev/null 2>&1
  for threads in 1 4 5; do
    ./tiny train --resume tiny.init --epochs 1 --threads $threads \
      --save tiny.$threads.ckpt >/dev/null 2>&1
  done
  for threads in 4 5; do
    if out=$(compare tiny.init tiny.1.ckpt tiny.$threads.ckpt 1e-3); then
      pass "tiny_mlp_relu (f32) on $threads threads: $out"
    else
      fail "tiny_mlp_relu (f32) on $threads threads: $out"
    fi
  done
else
  fail "netc compiles models/tiny_mlp_relu.net"
fi

# More threads than cores: as many threads as cores compute the shards
# of --threads N, so the result is N threads', bit for bit.
cores=$(nproc)
for threads in 3 5 8; do
  [ "$threads" -gt "$cores" ] || continue
  env -u NETRT_CORES ./grid961 train --resume grid961.init --epochs 1 \
    --batch 7 --threads $threads --save capped.ckpt >/dev/null 2>capped.err
  NETRT_CORES=$threads ./grid961 train --resume grid961.init --epochs 1 \
    --batch 7 --threads $threads --save real.ckpt >/dev/null 2>&1
  what="--threads $threads on $cores cores trains as $threads running threads"
  if out=$(compare grid961.init real.ckpt capped.ckpt 0); then
    pass "$what: $out"
  else
    fail "$what: $out"
  fi
  if [ "$(grep -c 'warning: --threads' capped.err)" = 1 ]; then
    pass "--threads $threads on $cores cores warns once"
  else
    fail "--threads $threads on $cores cores warns once"
    sed 's/^/# /' capped.err
  fi
done
if command -v taskset >/dev/null 2>&1 &&
   env -u NETRT_CORES taskset -c 0 ./grid961 train --epochs 1 --threads 2 \
     >/dev/null 2>pinned.err; then
  if grep -q 'warning: --threads 2 is more than the 1 core ' pinned.err; then
    pass "--threads 2 pinned to one core (taskset) warns"
  else
    fail "--threads 2 pinned to one core (taskset) warns"
    sed 's/^/# /' pinned.err
  fi
fi
echo "1..$n"
