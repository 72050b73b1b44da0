#!/bin/sh
# tests/outputs.sh — netc's outputs: a write that fails (/dev/full, a
# missing or read-only directory, a file size limit) exits 1 with the
# file's name and the cause, and nothing netc writes goes unchecked,
# standard output included; every output goes through a temporary file
# renamed into place, so a failed write leaves the previous output and no
# temporary, while devices, pipes and symbolic links are written through.
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/outputs.XXXXXX") || exit 1
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' 0

n=0
fails=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
  n=$((n + 1))
  fails=$((fails + 1))
  echo "not ok $n - $1"
  sed 's/^/# /' "$tmp/err" | head -n 10
}

# errs DESCRIPTION PATTERN: the command just run exited 1 with PATTERN in
# its stderr, $tmp/err.
errs() {
  status=$?
  if [ "$status" -eq 1 ] && grep -q -e "$2" "$tmp/err"; then
    pass "$1"
  else
    fail "$1 (exit status $status)"
  fi
}

# fails DESCRIPTION PATTERN -- ARGS...: netc exits 1, and its stderr has
# one error, matching PATTERN, and nothing from LLVM.
fails() {
  desc=$1 pattern=$2
  shift 3
  "$NETC" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  status=$?
  if [ "$status" -eq 1 ] && grep -q -e "$pattern" "$tmp/err" &&
     [ "$(grep -c . "$tmp/err")" -eq 1 ]; then
    pass "$desc"
  else
    fail "$desc (exit status $status)"
  fi
}

# fails_stdout DESCRIPTION -- ARGS...: the same with stdout on /dev/full.
fails_stdout() {
  desc=$1
  shift 2
  "$NETC" "$@" >/dev/full 2>"$tmp/err" </dev/null
  status=$?
  if [ "$status" -eq 1 ] && [ "$(grep -c . "$tmp/err")" -eq 1 ] &&
     grep -q 'netc: error: cannot write standard output: No space left' \
       "$tmp/err"; then
    pass "$desc"
  else
    fail "$desc (exit status $status)"
  fi
}

printf 'input x : float[2]\ntarget y : class[2]\n' >"$tmp/m.net"
printf 'loss cross_entropy(dense(x, 2), y)\n' >>"$tmp/m.net"
full='No space left on device'

if [ -c /dev/full ]; then
  fails "--emit-llvm -o /dev/full" "cannot write '/dev/full': $full" \
    -- --emit-llvm -o /dev/full "$tmp/m.net"
  fails "-S -o /dev/full" "cannot write '/dev/full': $full" \
    -- -S -o /dev/full "$tmp/m.net"
  fails "-c -o /dev/full" "cannot write '/dev/full': $full" \
    -- -c -o /dev/full "$tmp/m.net"
  for what in tokens parse ast ir grad; do
    fails_stdout "--dump=$what to a full stdout" -- --dump=$what "$tmp/m.net"
  done
  fails_stdout "--emit-llvm -o - to a full stdout" \
    -- --emit-llvm -o - "$tmp/m.net"
  fails_stdout "-S -o - to a full stdout" -- -S -o - "$tmp/m.net"
  fails_stdout "-c -o - to a full stdout" -- -c -o - "$tmp/m.net"
  fails_stdout "--help to a full stdout" -- --help
  fails_stdout "--version to a full stdout" -- --version
  fails_stdout "--prelude to a full stdout" -- --prelude
else
  n=$((n + 1))
  echo "ok $n # SKIP no /dev/full here"
fi

for flag in -c -S --emit-llvm ""; do
  fails "${flag:-an executable} into a missing directory" \
    "cannot write '$tmp/none/m.out': .*: No such file or directory" \
    -- $flag -o "$tmp/none/m.out" "$tmp/m.net"
done

# survives DESCRIPTION FILE: FILE still holds "previous", and no
# temporary is left beside it.
survives() {
  if [ "$(cat "$2")" = previous ] &&
     [ -z "$(find "$(dirname "$2")" -name '*.tmp*')" ]; then
    pass "$1"
  else
    fail "$1"
  fi
}

# A file size limit stands in for a full disk (SIGXFSZ ignored, the
# write fails with EFBIG): the limit is 1 block, the outputs are larger.
mkdir "$tmp/limit"
for flag in -c -S --emit-llvm ""; do
  out="$tmp/limit/m${flag:+.}${flag#-}"
  echo previous >"$out"
  (trap '' XFSZ; ulimit -f 1 && exec "$NETC" $flag -o "$out" "$tmp/m.net") \
    >"$tmp/out" 2>"$tmp/err"
  errs "${flag:-an executable} over the file size limit fails" \
    'cannot write .*: File too large'
  survives "${flag:-an executable}: the previous output survives" "$out"
done

# A linker that writes part of the executable, then fails.
printf '#!/bin/sh\necho partial >"$2"\nexit 1\n' >"$tmp/badcc"
chmod +x "$tmp/badcc"
echo previous >"$tmp/limit/linked"
CC="$tmp/badcc" "$NETC" -o "$tmp/limit/linked" "$tmp/m.net" \
  >"$tmp/out" 2>"$tmp/err"
errs "a failed link is an error" "linking '$tmp/limit/linked' failed"
survives "a failed link leaves the previous executable" "$tmp/limit/linked"

# A read-only directory: root writes in one, so root tries as nobody.
unprivileged=
if [ "$(id -u)" -eq 0 ]; then
  chmod 755 "$tmp"
  chmod 644 "$tmp/m.net"
  unprivileged="setpriv --reuid=65534 --regid=65534 --clear-groups"
  $unprivileged "$NETC" --version >/dev/null 2>&1 || unprivileged=none
fi
if [ "$unprivileged" != none ]; then
  mkdir "$tmp/ro"
  echo previous >"$tmp/ro/m.o"
  chmod a+w "$tmp/ro/m.o"      # the file is writable, its directory not
  chmod a-w "$tmp/ro"
  $unprivileged "$NETC" -c -o "$tmp/ro/m.o" "$tmp/m.net" 2>"$tmp/err"
  errs "a read-only directory is an error" \
    "cannot write '$tmp/ro/m.o': .*: Permission denied"
  survives "a read-only directory keeps its file" "$tmp/ro/m.o"
else
  n=$((n + 1))
  echo "ok $n # SKIP root writes in read-only directories, and no setpriv"
fi

# Written in place: what is not a regular file, and symbolic links'
# targets.  written DESCRIPTION TEST...: the test holds after a -S.
mkdir "$tmp/place"
cd "$tmp/place" || exit 1
written() {
  desc=$1
  shift
  if "$@" && [ -z "$(find . -name '*.tmp*')" ]; then
    pass "$desc"
  else
    fail "$desc"
  fi
}
"$NETC" -S -o - "$tmp/m.net" >want.s
ln -s real.s link.s
"$NETC" -S -o link.s "$tmp/m.net" 2>"$tmp/err"
written "a symbolic link stays a link" test -L link.s
written "its target gets the output" cmp -s real.s want.s
mkfifo fifo
cat fifo >from-fifo &
"$NETC" -S -o fifo "$tmp/m.net" 2>"$tmp/err"
wait
written "a pipe stays a pipe" test -p fifo
written "what reads it gets the output" cmp -s from-fifo want.s
"$NETC" -S -o /dev/stdout "$tmp/m.net" >stdout.s 2>"$tmp/err"
written "-o /dev/stdout writes stdout's file" cmp -s stdout.s want.s
"$NETC" -S -o done.s "$tmp/m.net" 2>"$tmp/err"
written "a written output leaves no temporary" cmp -s done.s want.s
cd "$tmp" || exit 1

# An output that is the model file itself is refused, by inode: the
# model is left as it was.
mkdir "$tmp/self"
cp "$tmp/m.net" "$tmp/self/m.net"
cp "$tmp/m.net" "$tmp/self/m.h"
ln "$tmp/self/m.net" "$tmp/self/hard.ll"
ln -s m.net "$tmp/self/soft.s"
refused() {   # refused DESCRIPTION MODEL -- ARGS...
  desc=$1 model=$2
  shift 3
  fails "$desc" "would overwrite the model file '$model'" -- "$@" "$model"
  n=$((n + 1))
  if cmp -s "$model" "$tmp/m.net"; then
    echo "ok $n - $desc: the model is unchanged"
  else
    fails=$((fails + 1))
    echo "not ok $n - $desc: the model is unchanged"
  fi
}
refused "an executable named like the model" "$tmp/self/m.net" \
  -- -o "$tmp/self/m.net"
refused "--emit-llvm -o the model" "$tmp/self/m.net" \
  -- --emit-llvm -o "$tmp/self/./m.net"
refused "-S -o a symbolic link to the model" "$tmp/self/m.net" \
  -- -S -o "$tmp/self/soft.s"
refused "--emit-llvm -o a hard link to the model" "$tmp/self/m.net" \
  -- --emit-llvm -o "$tmp/self/hard.ll"
refused "-c whose header would be the model" "$tmp/self/m.h" \
  -- -c -o "$tmp/self/m.o"

# The model's path goes into the header's comment: no path can end the
# comment and inject code, and the names derived from it are identifiers.
cc=${CC:-cc}
runtime=${top_srcdir:-$(dirname "$0")/..}/runtime
header_compiles() {   # header_compiles HEADER EXPRESSION: a C use compiles
  printf '#include "%s"\nint main(void) { return %s; }\n' "$1" "$2" \
    >"$tmp/use.c"
  "$cc" -std=c11 -Wall -Wextra -Werror -I"$runtime" -c -o "$tmp/use.o" \
    "$tmp/use.c" >"$tmp/err" 2>&1
}
if command -v "$cc" >/dev/null 2>&1 && [ -f "$runtime/netrt.h" ]; then
  mkdir -p "$tmp/inj/x*/ int injected = 42; "
  model="$tmp/inj/x*/ int injected = 42; /*.net"
  cp "$tmp/m.net" "$model"
  cp "$tmp/m.net" "$tmp/inj/9 lives-2.net"
  "$NETC" -c -o "$tmp/inj/a.o" "$model" 2>"$tmp/err" &&
  "$NETC" -c -o "$tmp/inj/b.o" "$tmp/inj/9 lives-2.net" 2>>"$tmp/err" ||
    fail "-c with odd model paths"
  if header_compiles "$tmp/inj/a.h" "netc_model__.abi_version"; then
    pass "a header from a path with '*/' in it compiles"
  else
    fail "a header from a path with '*/' in it compiles"
  fi
  if ! header_compiles "$tmp/inj/a.h" "injected"; then
    pass "the path injects nothing into the header"
  else
    fail "the path injects nothing into the header"
  fi
  if header_compiles "$tmp/inj/b.h" "netc_model_9_lives_2.abi_version"
  then
    pass "a name from a path with spaces and digits is an identifier"
  else
    fail "a name from a path with spaces and digits is an identifier"
  fi
else
  n=$((n + 1))
  echo "ok $n # SKIP no C compiler ($cc) or no runtime/netrt.h"
fi

# -c replaces only a header that netc wrote (or an empty one): another
# is an error, before anything is written.
mkdir "$tmp/hdr"
echo 'int mine;' >"$tmp/hdr/mine.h"
fails "-c refuses a header netc did not write" \
  "'$tmp/hdr/mine.h' exists and netc did not write it.*remove it" \
  -- -c -o "$tmp/hdr/mine.o" "$tmp/m.net"
if [ "$(cat "$tmp/hdr/mine.h")" = 'int mine;' ] &&
   [ ! -e "$tmp/hdr/mine.o" ]; then
  pass "the header is kept, and no object written"
else
  fail "the header is kept, and no object written"
fi
printf '/* %s: generated by netc from m.net; do not edit. */\n' \
  "$tmp/hdr/old.h" >"$tmp/hdr/old.h"
: >"$tmp/hdr/empty.h"
for h in ours old empty; do
  [ $h = ours ] && "$NETC" -c -o "$tmp/hdr/ours.o" "$tmp/m.net"
  if "$NETC" -c -o "$tmp/hdr/$h.o" "$tmp/m.net" 2>"$tmp/err" &&
     grep -q 'netc_model_m;' "$tmp/hdr/$h.h"; then
    pass "-c replaces the header ($h)"
  else
    fail "-c replaces the header ($h)"
  fi
done

echo "1..$n"
[ "$fails" -eq 0 ]
