#!/bin/sh
# tests/include-rule.sh — the include rules of STYLE.md R13.
#
#  1. Only compiler/codegen*.c, their codegen_internal.h and
#     compiler/emit.c include <llvm-c/...>: LLVM stays behind our own IR.
#  2. No file includes LLVM's C++ headers (<llvm/...>).
#  3. The runtime is built on its own: runtime/ includes neither LLVM nor
#     a compiler header.
#  4. runtime/netrt.h is the runtime's contract: compiler/ includes no
#     other runtime header.
#  5. compiler/codegen_internal.h is the code generator's own: only
#     compiler/codegen*.c include it.
#  6. The plan comes before code generation: compiler/plan.c and plan.h
#     include neither codegen.h nor codegen_internal.h.
# Environment: top_srcdir.

LC_ALL=C
export LC_ALL
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top" || { echo "Bail out! cannot cd to $top"; exit 1; }

echo "1..6"

# files PATTERN...: the existing source files among the patterns, skipping
# flex and bison output shipped in tarballs.
files() {
  for f in "$@"; do
    [ -f "$f" ] || continue
    case $f in
      compiler/lexer.c|compiler/parser.c|compiler/parser.h) continue ;;
      compiler/prelude.c) continue ;;
    esac
    echo "$f"
  done
}

# includes FILE...: "file: #include line" for each include directive.
includes() {
  [ $# -eq 0 ] ||
    grep -H '^[[:space:]]*#[[:space:]]*include' "$@" 2>/dev/null |
    sed 's/:[[:space:]]*#[[:space:]]*include[[:space:]]*/: /'
}

# report N DESCRIPTION OFFENDERS
report() {
  if [ -z "$3" ]; then
    echo "ok $1 - $2"
  else
    echo "not ok $1 - $2"
    printf '%s\n' "$3" | sed 's/^/#   /'
  fi
}

fails=0
compiler_src=$(files compiler/*.c compiler/*.h compiler/*.l compiler/*.y)
runtime_src=$(files runtime/*.c runtime/*.h)

# shellcheck disable=SC2086
bad=$(includes $compiler_src | grep '[<"]llvm-c/' |
      grep -Ev '^compiler/(codegen[^:]*\.c|codegen_internal\.h|emit\.c):')
report 1 "only compiler/codegen*.c, codegen_internal.h and emit.c include \
llvm-c/" "$bad"
[ -z "$bad" ] || fails=$((fails + 1))

# shellcheck disable=SC2046,SC2086
bad=$(includes $compiler_src $runtime_src $(files tests/*.c) |
      grep '[<"]llvm/')
report 2 "no file includes LLVM's C++ headers (llvm/)" "$bad"
[ -z "$bad" ] || fails=$((fails + 1))

# uses HEADER...: the include lines, read from stdin, that name one of
# the headers (base names); one grep, with a pattern per line.
uses() {
  grep -F "$(for h in "$@"; do printf '"%s"\n<%s>\n' "$h" "$h"; done)"
}

basenames() {
  for f in "$@"; do
    [ -f "$f" ] && basename "$f"
  done
}

# shellcheck disable=SC2086
inc=$(includes $runtime_src)
# shellcheck disable=SC2046
bad=$( { printf '%s\n' "$inc" | grep '[<"]llvm-c/'
         printf '%s\n' "$inc" | uses $(basenames compiler/*.h); } |
       sed '/^$/d')
report 3 "runtime/ includes neither llvm-c/ nor compiler headers" "$bad"
[ -z "$bad" ] || fails=$((fails + 1))

# shellcheck disable=SC2086
inc=$(includes $compiler_src)
# shellcheck disable=SC2046
bad=$(printf '%s\n' "$inc" |
      uses $(basenames runtime/*.h | grep -vx 'netrt.h') | sed '/^$/d')
report 4 "compiler/ includes runtime/netrt.h and no other runtime header" \
  "$bad"
[ -z "$bad" ] || fails=$((fails + 1))

# shellcheck disable=SC2086
bad=$(includes $compiler_src | uses codegen_internal.h |
      grep -Ev '^compiler/codegen[^:]*\.c:')
report 5 "only compiler/codegen*.c include codegen_internal.h" "$bad"
[ -z "$bad" ] || fails=$((fails + 1))

# shellcheck disable=SC2046
bad=$(includes $(files compiler/plan.c compiler/plan.h) |
      uses codegen.h codegen_internal.h)
report 6 "compiler/plan.c and plan.h include no code generator header" \
  "$bad"
[ -z "$bad" ] || fails=$((fails + 1))

[ "$fails" -eq 0 ]
