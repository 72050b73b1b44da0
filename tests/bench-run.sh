#!/bin/sh
# tests/bench-run.sh — bench/run, the driver of `make bench`, on one tiny
# model and one GEMM shape with tiny time budgets: it exits 0, and its
# --json report has every row it should: training at each thread count,
# inference (bench --predict) at batch 1 and 64 on each, the batch of 64
# cut over 2 threads, and the GEMM shape from netc and from each baseline
# that is built (one not built is a note), with the ratios computed.
# PyTorch's figures are checked when /usr/bin/python3 has torch.
# Timings are never asserted.
#
# Environment: NETC, top_srcdir; BENCH_DIR, where the native programs
# are (default: bench/ of the current directory, the build tree).
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
top=$(cd "${top_srcdir:-$(dirname "$0")/..}" && pwd) || exit 1
BENCH_DIR=${BENCH_DIR:-$(pwd)/bench}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-run.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0

if ! command -v python3 >/dev/null 2>&1; then
  echo "1..0 # SKIP python3 not found (bench/run is python)"
  exit 0
fi

n=0
fails=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
  n=$((n + 1))
  fails=$((fails + 1))
  echo "not ok $n - $1"
  sed 's/^/# /' "$tmp/err" | tail -n 20
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
# report DESCRIPTION EXPR: EXPR holds of the report d (its --json).
report() {
  if python3 - "$tmp/report.json" "$2" >>"$tmp/err" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
def only(entries, **key):
    found = [e for e in entries
             if all(e.get(k) == v for k, v in key.items())]
    assert len(found) == 1, (key, found)
    return found[0]
assert eval("(" + sys.argv[2] + ")"), sys.argv[2]
EOF
  then pass "$1"; else fail "$1"; fi
}

# Two cores stand for the machine's, so that 2 threads run anywhere.
NETRT_CORES=2 python3 "$top/bench/run" --netc "$NETC" \
  --native-dir "$BENCH_DIR" --models tiny_mlp_relu --threads 1,2 \
  --seconds 0.02 --gemm-shapes 5x7x3:T --json "$tmp/report.json" \
  >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ] && [ -s "$tmp/report.json" ]; then
  pass "bench/run exits 0 and writes its --json report"
else
  fail "bench/run exits 0 and writes its --json report (exit status $rc)"
  echo "1..$n"
  exit 1
fi

report "training rows at 1 and 2 threads, netc's figures" \
  '[e["threads"] for e in d["models"]] == [1, 2] and
   all(e["model"] == "tiny_mlp_relu" and e["netc_samples_per_second"] > 0
       for e in d["models"])'
report "inference rows at batch 1 and 64, on 1 and 2 threads" \
  '[(e["threads"], e["batch"]) for e in d["inference"]] ==
   [(1, 1), (1, 64), (2, 1), (2, 64)] and
   all(e["netc_samples_per_second"] > 0 for e in d["inference"])'
report "inference at batch 64 on 2 threads cuts the batch in 2" \
  'only(d["inference"], threads=2, batch=64)["netc_threads_used"] == 2 and
   only(d["inference"], threads=2, batch=1)["netc_threads_used"] == 1 and
   only(d["rows"], suite="netc-infer", threads=2,
        batch=64)["max_rel_diff_one_thread"] <= 1e-5'
report "the GEMM shape's netc row, its product checked" \
  'only(d["gemm"], shape="5x7x3:T", threads=1)["netc_gflops"] > 0 and
   only(d["rows"], suite="gemm", name="netc 5x7x3:T")["max_error"] <= 1e-4'
for lib in blas:openblas blis:blis xsmm:xsmm; do
  prog=gemm_${lib%%:*} key=${lib#*:}
  if [ -x "$BENCH_DIR/$prog" ]; then
    report "$prog: its column and netc over the best baseline" \
      'only(d["gemm"], shape="5x7x3:T", threads=1)["'"$key"'_gflops"] > 0
       and only(d["gemm"], shape="5x7x3:T", threads=1)["netc_over_best"]
       > 0'
  else
    report "$prog not built: a note, and no figure in its column" \
      'any(x.startswith("'"$prog"': not built") for x in d["notes"]) and
       only(d["gemm"], shape="5x7x3:T", threads=1)["'"$key"'_gflops"]
       is None'
  fi
done
if grep -q '^shape .*BLIS  *libxsmm .*netc/best' "$tmp/out" &&
   grep -q '^Inference, samples/s' "$tmp/out"; then
  pass "the tables: the GEMM columns and the inference rows"
else
  fail "the tables: the GEMM columns and the inference rows"
fi
if /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  report "PyTorch: the forward passes under no_grad beside netc's" \
    'all(e["pytorch_samples_per_second"] > 0 and
         e["netc_over_pytorch"] > 0 for e in d["inference"])'
else
  skip "PyTorch: the forward passes under no_grad beside netc's" \
    "/usr/bin/python3 has no torch (tools/setup --bench)"
fi

# --march: netc's code for that CPU, the baselines held to AVX2 with it.
if grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo
then
  python3 "$top/bench/run" --netc "$NETC" --native-dir "$BENCH_DIR" \
    --march haswell --models tiny_mlp_relu --threads 1 --seconds 0.02 \
    --gemm-shapes 5x7x3 --json "$tmp/report.json" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  report "--march=haswell: a report, the baselines held to AVX2" \
    ''"$rc"' == 0 and any(x.startswith("--march=haswell: netc") and
     "OPENBLAS_CORETYPE=Haswell" in x for x in d["notes"]) and
     only(d["gemm"], shape="5x7x3", threads=1)["netc_gflops"] > 0'
else
  skip "--march=haswell: a report, the baselines held to AVX2" \
    "this machine has no AVX2 and FMA"
fi

echo "1..$n"
[ $fails -eq 0 ]
