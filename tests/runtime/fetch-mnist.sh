#!/bin/sh
# tests/runtime/fetch-mnist.sh — tools/fetch-mnist from local folders:
# wrong bytes are refused and nothing lands; with the real MNIST beside
# the checkout (../shared/data/mnist), gzipped and plain copies both
# verify and land.  Never downloads.  Environment: top_srcdir.

top=${top_srcdir:-$(dirname "$0")/../..}
real="$top/../shared/data/mnist"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-mnist.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' 0
n=0
fetch() { bash "$top/tools/fetch-mnist" "$@"; }
check() {   # check DESCRIPTION COMMAND...
  what=$1
  shift
  n=$((n + 1))
  if "$@" >"$tmp/out" 2>&1; then
    echo "ok $n - $what"
  else
    echo "not ok $n - $what"
    sed 's/^/#   /' "$tmp/out"
  fi
}
fails_with() {   # fails_with PHRASE COMMAND...: fails, saying PHRASE
  phrase=$1
  shift
  ! "$@" && grep -q -- "$phrase" "$tmp/out"
}
says() {   # says PHRASE COMMAND...: succeeds, saying PHRASE
  phrase=$1
  shift
  "$@" && grep -q -- "$phrase" "$tmp/out"
}
no_files() { ! ls "$1"/*.gz >/dev/null 2>&1; }

echo "1..7"
check "--help" fetch --help
mkdir "$tmp/fake"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte \
         t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  echo "not MNIST" | gzip -n >"$tmp/fake/$f.gz"
done
check "wrong bytes: refused with the SHA-256 sums" \
  fails_with "SHA-256 of its content is" fetch --from "$tmp/fake" \
  "$tmp/d1"
check "wrong bytes: nothing lands" no_files "$tmp/d1"
check "a missing source folder" \
  fails_with "no directory" fetch --from "$tmp/none" "$tmp/d2"
if [ ! -d "$real" ]; then
  for i in 5 6 7; do
    echo "ok $i # SKIP no ../shared/data/mnist beside the checkout"
  done
  exit 0
fi
check "the gzipped files verify and land" \
  says "verified MNIST in" fetch --from "$real" "$tmp/d3"
check "a second run finds them verified" \
  says "already holds verified" fetch --from "$real" "$tmp/d3"
mkdir "$tmp/plain"
for f in "$real"/*.gz; do
  b=$(basename "$f" .gz)
  gzip -dc "$f" >"$tmp/plain/$b"
done
check "plain files (as the npm package has them) verify too" \
  fetch --from "$tmp/plain" "$tmp/d4"
