#!/bin/sh
# tests/fuzz/run.sh — `make fuzz`: runs each libFuzzer target in turn for
# SECONDS seconds and prints how many inputs each ran.
#
# usage: tests/fuzz/run.sh SECONDS TARGET...   (in the build directory)
#
# A target starts from its seed corpus ($srcdir/tests/fuzz/corpus/TARGET/)
# and what its earlier runs found (tests/fuzz/work/TARGET/, where it adds
# the inputs that reach new code), with the words of
# $srcdir/tests/fuzz/TARGET.dict when there is one.  One process and one
# worker at a time: the machine's cores are shared.  An input that
# crashes is saved as tests/fuzz/crashes/TARGET-crash-SHA1 (copy it into
# $srcdir/tests/fuzz/regress/TARGET/ with its fix); each run's output is
# in tests/fuzz/TARGET.log.  The targets' own stdout and stderr (the
# front end's diagnostics) are closed, libFuzzer's and the sanitizers'
# reports are not.  Exit status: 1 when a target found something.
# Environment: srcdir (default: the directory above this script's).

seconds=$1
shift
targets=$*
srcdir=${srcdir:-$(dirname "$0")/../..}
status=0
total=0

printf '%-10s %12s %8s %10s  %s\n' target executions seconds "per second" \
  result
for t in $targets; do
  mkdir -p "tests/fuzz/work/$t" tests/fuzz/crashes
  log=tests/fuzz/$t.log
  dict=$srcdir/tests/fuzz/$t.dict
  set --                          # the options of this target alone
  [ -f "$dict" ] && set -- -dict="$dict"
  "tests/fuzz/fuzz-$t" "$@" -max_total_time="$seconds" -timeout=10 \
    -close_fd_mask=3 -print_final_stats=1 \
    -artifact_prefix="tests/fuzz/crashes/$t-" \
    "tests/fuzz/work/$t" "$srcdir/tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  runs=${runs:-0}
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
  took=${took:-$seconds}
  total=$((total + runs))
  result="no crash"
  if [ "$rc" -ne 0 ]; then
    result="FAILED (status $rc: a crash, leak, hang or OOM): see $log"
    status=1
  fi
  printf '%-10s %12s %8s %10s  %s\n' "$t" "$runs" "$took" \
    "$((runs / (took > 0 ? took : 1)))" "$result"
done
printf '%-10s %12s\n' total "$total"
exit $status
