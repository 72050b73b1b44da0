# tests/runtime/tap-lib.sh — TAP helpers shared by the runtime's shell
# tests (sourced, not run).  Commands run in the test's own directory.
n=0
failed=0
# ok STATUS DESCRIPTION: STATUS 0 passes.
ok() {
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    failed=1
    for f in out err; do
      [ -s $f ] && sed "s/^/# $f: /" $f | head -20
    done
  fi
}
# run CMD...: runs it, keeping stdout in out, stderr in err, status in rc.
run() {
  "$@" >out 2>err
  rc=$?
}
# full CMD...: runs it with stdout on /dev/full (a full disk), keeping
# stderr in err and the status in rc.
full() {
  "$@" >/dev/full 2>err
  rc=$?
}
# stdout_full PROG: the last run exited 1 and said, in PROG's name, that
# standard output could not be written, and why.
stdout_full() {
  test $rc -eq 1 && has "^$1: error: standard output: cannot write: No \
space left on device$" err
}
# json EXPR: evaluates EXPR on the JSON object in out (as d); prints it.
json() {
  python3 -c "import json,math,sys; d=json.load(sys.stdin); print($1)" <out
}
# check EXPR: a Python condition on the JSON object in out, as a status.
check() {
  [ "$(json "bool($1)" 2>/dev/null)" = True ]
}
# has TEXT FILE: FILE holds TEXT.
has() {
  grep -q -- "$1" "$2"
}
