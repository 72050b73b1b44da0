#!/bin/sh
# tests/bless.sh CASE.net... — write a case's expectations from netc's
# current output: exit status, stderr, and stdout when there is any and
# the case has no EXPECT-STDOUT-CONTAINS lines (those are kept as they are).
# Run it from the top of the source tree after building; read the diff
# before committing: a golden file is only as right as its review.
#   NETC=build/compiler/netc tests/bless.sh tests/diag/foo.net
set -eu
: "${NETC:=build/compiler/netc}"
for case in "$@"; do
  args=$(sed -n 's/^# ARGS:[ ]\{0,1\}//p' "$case" | tail -n 1)
  [ -n "$args" ] || args=--check
  body=$(mktemp)
  awk '/^# (EXPECT-|ARGS:)/ { exit } { print }' "$case" >"$body"
  set +e
  # shellcheck disable=SC2086
  "$NETC" $args "$case" >"$body.out" 2>"$body.err"
  status=$?
  set -e
  {
    cat "$body"
    grep '^# ARGS:' "$case" | tail -n 1 || true
    contains=$(grep '^# EXPECT-STD[A-Z]*-CONTAINS:' "$case" || true)
    [ -z "$contains" ] || printf '%s\n' "$contains"
    echo "# EXPECT-EXIT: $status"
    echo "# EXPECT-STDERR:"
    sed -e 's/^/# /' -e 's/^# $/#/' "$body.err"
    if [ -s "$body.out" ] && [ -z "$contains" ]; then
      echo "# EXPECT-STDOUT:"
      sed -e 's/^/# /' -e 's/^# $/#/' "$body.out"
    fi
  } >"$case.new"
  mv "$case.new" "$case"
  rm -f "$body" "$body.out" "$body.err"
done
