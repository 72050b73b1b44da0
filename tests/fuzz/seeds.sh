#!/bin/sh
# tests/fuzz/seeds.sh — writes the fuzz targets' seed corpora
# (tests/fuzz/corpus/TARGET/) and issue 14's reproducers
# (tests/fuzz/regress/TARGET/issue14-*) from the repository's own files:
# the models, examples and test cases for the front end; small idx, CSV
# and text files written here for the readers; checkpoints and --json
# outputs of a model compiled from models/tiny_mlp_relu.net.
#
# usage: tests/fuzz/seeds.sh [BUILD-DIR]   (default: build)
#
# Run from the top of the source tree after `make -C BUILD-DIR
# fuzz-build`: of each target's candidates it keeps only those that
# reach code the others do not (libFuzzer's -merge=1), under their
# names, so that each corpus stays a few dozen small files.  The corpora
# are committed; run it again when a format changes.  The readers'
# inputs start with the option bytes their targets take (see each
# tests/fuzz/TARGET.c).
set -eu

build=${1:-build}
netc=$build/compiler/netc
[ -x "$netc" ] || { echo "seeds.sh: no $netc: build first" >&2; exit 1; }
NETC_RUNTIME_DIR=$(cd "$build/runtime" && pwd)
export NETC_RUNTIME_DIR
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-seeds.XXXXXX")
trap 'rm -rf "$tmp"' 0

# byte N...: the bytes N (0 to 255) as they are.
byte() {
  for b in "$@"; do
    # shellcheck disable=SC2059
    printf "\\$(printf %03o "$b")"
  done
}

# be32 N: N as 4 big-endian bytes; be16 N: as 2.
be32() { byte $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) \
              $(($1 & 255)); }
be16() { byte $(($1 >> 8 & 255)) $(($1 & 255)); }

# pixels N: N bytes of a gradient.
pixels() {
  i=0
  while [ "$i" -lt "$1" ]; do
    byte $((i * 7 % 256))
    i=$((i + 1))
  done
}

# ---- front end: model files as they are -----------------------------------
# Of the diagnostics' cases, those of the lexer, the parser's recovery and
# a few of the checker's: the others' paths are a mutation away.
mkdir -p "$tmp/frontend"
for f in models/*.net examples/*.net tests/check/*.net tests/grad/*.net \
         tests/e2e/*.net tests/threads/*.net; do
  cp "$f" "$tmp/frontend/$(echo "$f" | tr / _)"
done
for c in lexer_errors syntax_recovery too_many_errors types recurrence_forms \
         layer_recursion data_mismatch initializers optimizer_options \
         train_block varlen constants; do
  f=tests/diag/$c.net
  cp "$f" "$tmp/frontend/$(echo "$f" | tr / _)"
done

# ---- idx: classes-1, the images file's length, images, labels --------------
# idx_pair NAME CLASSES COUNT ROWS COLS LABEL...
idx_pair() {
  name=$1 classes=$2 count=$3 rows=$4 cols=$5
  shift 5
  { be32 2051; be32 "$count"; be32 "$rows"; be32 "$cols"
    pixels $((count * rows * cols)); } >"$tmp/images"
  { be32 2049; be32 "$count"; byte "$@"; } >"$tmp/labels"
  mkdir -p "$tmp/idx" "$tmp/idx_gz"
  { byte $((classes - 1)); be16 "$(wc -c <"$tmp/images")"
    cat "$tmp/images" "$tmp/labels"; } >"$tmp/idx/$name"
  gzip -9 -n -c "$tmp/images" >"$tmp/images.gz"
  gzip -9 -n -c "$tmp/labels" >"$tmp/labels.gz"
  { byte $((classes - 1)); be16 "$(wc -c <"$tmp/images.gz")"
    cat "$tmp/images.gz" "$tmp/labels.gz"; } >"$tmp/idx_gz/$name.gz"
  cp "$tmp/idx/$name" "$tmp/idx_gz/$name"
}
idx_pair small 3 2 3 2 0 2
idx_pair mnist 10 1 28 28 7
idx_pair one-pixel 256 3 1 1 0 128 255
idx_pair wide 2 1 1 300 1
idx_pair bad-label 2 2 2 2 0 2
idx_pair no-images 10 0 28 28
{ byte 2; be16 16; be32 2051; be32 1; be32 2; be32 2; be32 2049; be32 1
  byte 0; } >"$tmp/idx/truncated"
{ byte 2; be16 21; be32 2051; be32 1; be32 1; be32 1; byte 9 9 9 9 9
  be32 2049; be32 1; byte 0 1; } >"$tmp/idx/trailing"
{ byte 9; be16 8; be32 2049; be32 1; be32 2051; be32 1; be32 28; be32 28
} >"$tmp/idx/swapped"

# ---- csv: features, classes, label column, header; then the file -----------
# csv NAME FEATURES CLASSES LABEL-COLUMN HEADER TEXT
csv() {
  mkdir -p "$tmp/csv"
  { byte "$2" "$3" $(($4 & 255)) "$5"; printf '%b' "$6"; } >"$tmp/csv/$1"
}
csv xor 0 2 -1 0 '0,0,0\n0,1,1\n1,0,1\n1,1,0\n'
csv header 0 3 -1 1 'x,y,label\n0.5,1.5,2\n-1e-3,2e2,0\n'
csv quoted 2 2 0 0 '"1", 0.25 ,"3.5"\r\n0,  1,2\r\n\r\n'
csv regression 0 0 -1 0 '1,2,3.5\n4,5,-6.25\n\n  \t\n7,8,9e-9\n'
csv label-middle 0 4 1 0 '1,3,2\n4,0.0,6\n'
csv features 3 10 -1 0 '1,2,3,9\n4,5,6,0\n'
csv errors 0 2 -1 0 '1,x,0\n1,,1\n1,2\n'
{ byte 0 2 255 0; printf '0,0,0\n0,1,1\n1,0,1\n1,1,0\n' | gzip -9 -n -c; } \
  >"$tmp/csv/xor.gz"

# ---- text: the file as it is ------------------------------------------------
mkdir -p "$tmp/text"
printf 'You are a good guy' >"$tmp/text/guy"
printf 'ab' >"$tmp/text/two-bytes"
printf 'a' >"$tmp/text/one-byte"
printf 'line one\r\nline two\r\n\ttabbed\n' >"$tmp/text/crlf"
head -c 2000 README.md >"$tmp/text/readme"
i=1
while [ "$i" -lt 256 ]; do byte "$i"; i=$((i + 1)); done >"$tmp/text/bytes"
printf 'a\000b' >"$tmp/text/nul"

# ---- checkpoints and JSON: from a small compiled model ----------------------
mkdir -p "$tmp/ckpt" "$tmp/json" "$tmp/m"
"$netc" -D hidden=2 models/tiny_mlp_relu.net -o "$tmp/m/tiny"
"$netc" -D hidden=2 --dtype=f64 models/tiny_mlp_relu.net -o "$tmp/m/tiny64"
{ "$tmp/m/tiny" train --epochs 0 --quiet --save "$tmp/ckpt/tiny-f32"
  "$tmp/m/tiny64" train --epochs 1 --quiet --save "$tmp/ckpt/tiny-f64"
  "$tmp/m/tiny" train --epochs 1 --quiet --json >"$tmp/json/train"
  "$tmp/m/tiny" info --json >"$tmp/json/info"
  "$tmp/m/tiny" eval --load "$tmp/ckpt/tiny-f32" --json >"$tmp/json/eval"
} 2>/dev/null

# header_length CKPT: the JSON header's length, the file's first 8 bytes.
header_length() {
  od -An -t u8 -N 8 "$1" | tr -d ' '
}
for c in tiny-f32 tiny-f64; do
  n=$(header_length "$tmp/ckpt/$c")
  dd if="$tmp/ckpt/$c" of="$tmp/json/$c-header" bs=1 skip=8 count="$n" \
    2>/dev/null
done

# ckpt_of NAME JSON: a checkpoint of that header and no data.
ckpt_of() {
  n=$(printf '%s' "$2" | wc -c)
  { byte $((n & 255)) $((n >> 8 & 255)) 0 0 0 0 0 0; printf '%s' "$2"; } \
    >"$tmp/ckpt/$1"
}
ckpt_of empty '{}'
ckpt_of meta-only '{"__metadata__":{"format":"netc","dtype":"f32"}}'
ckpt_of zero-size \
  '{"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}'
ckpt_of scalar-i64 \
  '{"step":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}'
printf '\001\000\000\000\000\000\000\000' >>"$tmp/ckpt/scalar-i64"

printf '{"a":[1,-0,0.5e-3,1E+2,18446744073709551615,18446744073709551616]}' \
  >"$tmp/json/numbers"
printf '["\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/", "caf\303\251", ""]' \
  >"$tmp/json/strings"
printf ' {"t":true,"f":false,"n":null,"o":{},"a":[]} \r\n' \
  >"$tmp/json/literals"
i=0
while [ "$i" -lt 64 ]; do printf '['; i=$((i + 1)); done >"$tmp/json/deep"
while [ "$i" -gt 0 ]; do printf ']'; i=$((i - 1)); done >>"$tmp/json/deep"

# ---- keep what adds coverage, under the candidates' names -------------------
for t in frontend idx idx_gz csv text ckpt json; do
  prog=$build/tests/fuzz/fuzz-$t
  [ -x "$prog" ] || { echo "seeds.sh: no $prog: make fuzz-build" >&2
                      exit 1; }
  mkdir -p "$tmp/merged-$t"
  "$prog" -merge=1 -use_counters=0 -close_fd_mask=3 "$tmp/merged-$t" \
    "$tmp/$t" \
    >"$tmp/merge-$t.log" 2>&1
  rm -rf "tests/fuzz/corpus/$t"
  mkdir -p "tests/fuzz/corpus/$t"
  for f in "$tmp/$t"/*; do
    sum=$(sha1sum <"$f" | cut -d' ' -f1)
    if [ -f "$tmp/merged-$t/$sum" ]; then
      cp "$f" "tests/fuzz/corpus/$t/"
    fi
  done
  echo "seeds.sh: $t: $(ls "tests/fuzz/corpus/$t" | wc -l) of" \
       "$(ls "$tmp/$t" | wc -l) candidates kept"
done

# ---- issue 14's reproducers -------------------------------------------------
r=tests/fuzz/regress
mkdir -p "$r/frontend" "$r/csv" "$r/ckpt"
for b in 3e9 4294967297 1e300; do
  sed "s/batch 4 }/batch $b }/" examples/xor.net \
    >"$r/frontend/issue14-batch-$b.net"
done
sed 's/^data text("You are a good guy")/data text("You are\x00 a good guy")/' \
  models/char_rnn.net >"$r/frontend/issue14-nul-in-string.net"
csv float-overflow 0 2 -1 0 '1e39,0\n0.5,1\n'
cp "$tmp/csv/float-overflow" "$r/csv/issue14-float-overflow.csv"
cp "$tmp/ckpt/tiny-f32" "$r/ckpt/issue14-nan-param.ckpt"
printf '\000\000\300\177' |
  dd of="$r/ckpt/issue14-nan-param.ckpt" bs=1 \
    seek=$((8 + $(header_length "$tmp/ckpt/tiny-f32"))) conv=notrunc \
    2>/dev/null
