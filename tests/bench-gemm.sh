#!/bin/sh
# tests/bench-gemm.sh — the GEMM programs of `make bench` (bench/gemm_*)
# on small shapes, every transpose and sizes that leave partial tiles,
# with a tiny time budget: each exits 0 and prints one row per shape
# (and thread count) whose product it checked against the product in
# double precision (max_error, at most 1e-4), and a wrong shape is a
# usage error.  A baseline whose library configure did not find is not
# built: its tests skip, saying which package brings it.  Timings are
# never asserted.
#
# Environment: BENCH_DIR, where the programs are (default: bench/ of the
# current directory, the build tree when make check runs this).
LC_ALL=C
export LC_ALL
BENCH_DIR=${BENCH_DIR:-$(pwd)/bench}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-gemm.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0

if ! command -v python3 >/dev/null 2>&1; then
  echo "1..0 # SKIP python3 not found (it reads the JSON rows)"
  exit 0
fi

n=0
fails=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
  n=$((n + 1))
  fails=$((fails + 1))
  echo "not ok $n - $1"
  sed 's/^/# /' "$tmp/out" "$tmp/err" | head -n 20
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

SHAPES="5x7x3 5x7x3:T 5x7x3:N:T 5x7x3:T:T 33x17x9 17x33x40:T"
NSHAPES=6

# rows LIB THREADS...: every row of $tmp/out is LIB's, one per shape and
# thread count in order, with a checked product and a timing.
rows() {
  python3 - "$tmp/out" "$SHAPES" "$@" <<'EOF'
import json, sys
path, shapes, lib, threads = sys.argv[1], sys.argv[2].split(), \
    sys.argv[3], [int(t) for t in sys.argv[4:]]
rows = [json.loads(l) for l in open(path) if l.startswith("{")]
want = [(s, t) for s in shapes for t in threads]
got = [(r["name"], r["threads"]) for r in rows]
if got != [(lib + " " + s, t) for s, t in want]:
    sys.exit("rows %s, not %s" % (got, want))
for r in rows:
    if r["suite"] != "gemm" or not r["max_error"] <= 1e-4:
        sys.exit("%s: max_error %s" % (r["name"], r.get("max_error")))
    if r["calls"] < 3 or not r["gflops"] > 0:
        sys.exit("%s: %d calls, %s GFLOP/s" % (r["name"], r["calls"],
                                               r["gflops"]))
EOF
}

# gemm PROG LIB PACKAGE THREADS [OPTIONS...]: PROG's tests, or skips
# naming PACKAGE when it is not built.
gemm() {
  name=$1 prog=$BENCH_DIR/$1 lib=$2 package=$3 threads=$4
  shift 4
  if [ ! -x "$prog" ]; then
    why="configure found no $package: apt-get install it (tools/setup"
    why="$why --bench), then configure again"
    skip "$name: the shapes' products" "$why"
    skip "$name: a bad shape is a usage error" "$why"
    return
  fi
  # shellcheck disable=SC2086
  "$prog" --seconds 0.005 "$@" $SHAPES >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ $rc -eq 0 ] && rows "$lib" $threads 2>>"$tmp/err"; then
    pass "$name: $NSHAPES shapes, each product checked in double precision"
  else
    fail "$name: $NSHAPES shapes, each product checked (exit status $rc)"
  fi
  "$prog" 5x7 >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ $rc -eq 2 ] && grep -q "bad shape '5x7'" "$tmp/err"; then
    pass "$name: a bad shape is a usage error"
  else
    fail "$name: a bad shape is a usage error (exit status $rc)"
  fi
}

gemm gemm_netc netc "(nothing: it is netc's)" 1
gemm gemm_blas openblas libopenblas-dev "1 2" --threads 1,2
# BLIS runs on one thread, whatever its environment says
BLIS_NUM_THREADS=2 OMP_NUM_THREADS=2 gemm gemm_blis blis libblis-dev 1
gemm gemm_xsmm xsmm libxsmm-dev 1

echo "1..$n"
[ $fails -eq 0 ]
