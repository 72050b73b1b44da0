#!/bin/sh
# tests/line-length.sh — source lines fit in 80 columns (HACKING.md).
#
# Checks compiler/*.c *.h *.y *.l, every file in runtime/, tests/*.c and
# the fuzz targets (tests/fuzz/*.c *.h);
# a tab counts to the next multiple of 8, a UTF-8 character as one
# column.  Generated files (flex and bison output, compiler/prelude.c)
# are skipped.  Lists every offender as file:line: (N columns).
# Environment: top_srcdir.

LC_ALL=C
export LC_ALL
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top" || { echo "Bail out! cannot cd to $top"; exit 1; }

max=80
tmp=$(mktemp "${TMPDIR:-/tmp}/line-length.XXXXXX") || exit 1
trap 'rm -f "$tmp"' 0

n=0
for f in compiler/*.c compiler/*.h compiler/*.y compiler/*.l runtime/* \
         tests/*.c tests/fuzz/*.c tests/fuzz/*.h; do
  [ -f "$f" ] || continue
  case $f in
    compiler/lexer.c|compiler/parser.c|compiler/parser.h) continue ;;
    compiler/prelude.c) continue ;;
  esac
  n=$((n + 1))
  # Drop UTF-8 continuation bytes so that each character is one byte.
  tr -d '\200-\277' <"$f" | expand -t 8 |
    awk -v f="$f" -v max="$max" \
      'length($0) > max { printf "%s:%d: (%d columns)\n", f, NR, length($0) }' \
      >>"$tmp"
done

echo "1..1"
if [ ! -s "$tmp" ]; then
  echo "ok 1 - $n files, every line at most $max columns"
  exit 0
fi
echo "not ok 1 - $(wc -l <"$tmp") lines longer than $max columns"
sed 's/^/#   /' "$tmp"
exit 1
