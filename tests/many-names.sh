#!/bin/sh
# tests/many-names.sh — netc --check takes time in proportion to the
# model: a model of 100,000 declarations (constants, parameters, tensors,
# sequences and layers, 20,000 of each) checks within a
# 30 s limit that a scan of every name for every name (minutes) would
# exceed, and its duplicate names and misspellings give the diagnostics
# they give in a small model.
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/many-names.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0

n=0
fails=0
result() {   # result DESCRIPTION: the last command's status, 0 is ok
  status=$?
  n=$((n + 1))
  if [ "$status" -eq 0 ]; then
    echo "ok $n - $1"
  else
    fails=$((fails + 1))
    echo "not ok $n - $1"
    sed 's/^/# /' "$tmp/err" | head -n 10
  fi
}

# many.net: 20,000 of each kind of declaration; the loss reads the last
# tensor and sequence, and every tensor reads the one before it, every
# other one through a layer of its own (a model instantiates at most
# 20,000 layers).
awk -v each=20000 'BEGIN {
  print "input x : float[3, 2]"
  print "target y : class[2]"
  for (i = 0; i < each; i++) {
    printf "layer twice%d(a : float[2]) { return a * 2 }\n", i
    printf "const c%d = %d\n", i, i % 7 + 1
    printf "param p%d : float[2] = zeros\n", i
    if (i == 0)
      print "t0 = x[0] + p0"
    else if (i % 2)
      printf "t%d = twice%d(t%d) * c%d + p%d\n", i, i, i - 1, i, i
    else
      printf "t%d = t%d * c%d + p%d\n", i, i - 1, i, i
    printf "s%d[t] = x[t] * c%d\n", i, i
  }
  printf "loss cross_entropy(dense(t%d + s%d[0], 2), y)\n", each - 1,
         each - 1
}' >"$tmp/many.net"

check() {   # check NETC-ARGS...: netc under the limit; stderr in err
  timeout -k 2 30 "$NETC" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
}

check --check "$tmp/many.net"
result "100,000 declarations check within 30 s"

# The same, ending in a duplicate and a misspelled name.
cp "$tmp/many.net" "$tmp/bad.net"
printf 'c19999 = x[0]\nu = t1999 + p1999x\n' >>"$tmp/bad.net"
last=$(wc -l <"$tmp/bad.net")
dup=$((last - 1))
first=$(grep -n '^const c19999 ' "$tmp/bad.net" | cut -d: -f1)
check --check "$tmp/bad.net"
[ "$?" -eq 1 ]
result "a duplicate among them is an error, within 30 s"
cat >"$tmp/want" <<WANT
$tmp/bad.net:$dup:1: error: 'c19999' is already defined
$(printf '%5d' "$dup") | c19999 = x[0]
      | ^~~~~~
$tmp/bad.net:$first:7: note: the constant 'c19999' is defined here
$(printf '%5d' "$first") | const c19999 = $((19999 % 7 + 1))
      |       ^~~~~~
$tmp/bad.net:$last:13: error: unknown name 'p1999x'; did you mean 'p1999'?
$(printf '%5d' "$last") | u = t1999 + p1999x
      |             ^~~~~~
WANT
diff "$tmp/want" "$tmp/err" >"$tmp/diff"
status=$?
mv "$tmp/diff" "$tmp/err"        # what result shows on a failure
[ "$status" -eq 0 ]
result "the duplicate and the misspelling say what a small model says"

echo "1..$n"
[ "$fails" -eq 0 ]
