# NETC_PROG_FUZZ_CC: find a clang that builds and links libFuzzer targets
# with -fsanitize=fuzzer,address,undefined (clang-19 first, since it
# matches the LLVM netc uses, then clang), or take FUZZ_CC from the
# environment.  Sets FUZZ_CC (empty when none works) and the conditional
# HAVE_FUZZ_CC; without one, `make fuzz` says how to get it.  Only
# `make fuzz` uses it: the build and `make check` never need clang.
AC_DEFUN([NETC_PROG_FUZZ_CC], [
  AC_ARG_VAR([FUZZ_CC], [clang for the libFuzzer targets of make fuzz])
  AC_CACHE_CHECK([for a clang with -fsanitize=fuzzer], [netc_cv_fuzz_cc], [
    netc_cv_fuzz_cc=no
    AS_IF([test -n "$FUZZ_CC"], [netc_fuzz_try=$FUZZ_CC],
          [netc_fuzz_try="clang-19 clang"])
    cat >conftest-fuzz.c <<'NETC_EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return data && size > 0 && data[[0]] == 'x';
}
NETC_EOF
    for netc_fuzz_cc in $netc_fuzz_try; do
      AS_IF([$netc_fuzz_cc -fsanitize=fuzzer,address,undefined \
               conftest-fuzz.c -o conftest-fuzz$EXEEXT \
               >&AS_MESSAGE_LOG_FD 2>&1],
            [netc_cv_fuzz_cc=$netc_fuzz_cc; break])
    done
    rm -f conftest-fuzz.c conftest-fuzz$EXEEXT
  ])
  AS_IF([test "x$netc_cv_fuzz_cc" = xno], [FUZZ_CC=],
        [FUZZ_CC=$netc_cv_fuzz_cc])
  AM_CONDITIONAL([HAVE_FUZZ_CC], [test -n "$FUZZ_CC"])
])
