# NETC_CROSS_AARCH64: the C cross compiler that builds libnetrt for
# aarch64-linux-gnu, so that netc --target=aarch64-linux-gnu links
# executables.  --with-cross-aarch64=CC names it, --without-cross-aarch64
# turns it off; by default configure tries aarch64-linux-gnu-gcc and goes
# without when it is missing or cannot link a program with zlib, libm and
# pthreads (what the runtime needs; tools/setup --cross installs them).
# A compiler named with --with-cross-aarch64 that fails stops configure.
# Sets CROSS_AARCH64_CC (empty without one), CROSS_AARCH64_AR, the
# conditional HAVE_CROSS_AARCH64 and, in config.h, NETC_CROSS_AARCH64_CC:
# the compiler netc links aarch64 executables with by default.
AC_DEFUN([NETC_CROSS_AARCH64], [
  AC_ARG_WITH([cross-aarch64],
    AS_HELP_STRING([--with-cross-aarch64@<:@=CC@:>@],
      [build libnetrt for aarch64-linux-gnu with the C cross compiler CC
       (default: aarch64-linux-gnu-gcc, when it works)]),
    [], [with_cross_aarch64=check])
  AC_ARG_VAR([CROSS_AARCH64_CFLAGS],
    [C compiler flags of the aarch64 runtime (default: -g -O2)])
  AS_IF([test "${CROSS_AARCH64_CFLAGS+set}" != set],
    [CROSS_AARCH64_CFLAGS="-g -O2"])
  netc_cross_cc=
  AS_CASE([$with_cross_aarch64],
    [no], [],
    [yes|check], [netc_cross_cc=aarch64-linux-gnu-gcc],
    [netc_cross_cc=$with_cross_aarch64])
  CROSS_AARCH64_CC=
  AS_IF([test -n "$netc_cross_cc"], [
    AC_MSG_CHECKING([whether $netc_cross_cc links aarch64 programs with zlib])
    cat >conftest-cross.c <<'NETC_EOF'
#include <math.h>
#include <pthread.h>
#include <zlib.h>
int main(int argc, char **argv) {
  gzFile f = gzopen(argv[[0]], "rb");
  (void)pthread_self();
  return f && sqrt((double)argc) > 0 ? 0 : 1;
}
NETC_EOF
    AS_IF([$netc_cross_cc $CROSS_AARCH64_CFLAGS conftest-cross.c \
             -o conftest-cross -lz -lm -lpthread >&AS_MESSAGE_LOG_FD 2>&1 &&
           od -An -tx1 -j18 -N2 conftest-cross | grep ' b7 00' >/dev/null],
          [CROSS_AARCH64_CC=$netc_cross_cc; AC_MSG_RESULT([yes])],
          [AC_MSG_RESULT([no])])
    rm -f conftest-cross.c conftest-cross
    AS_IF([test -z "$CROSS_AARCH64_CC" &&
           test "x$with_cross_aarch64" != xcheck],
      [AC_MSG_ERROR([--with-cross-aarch64: '$netc_cross_cc' cannot link an
aarch64 program with -lz -lm -lpthread (see config.log; tools/setup
--cross installs what it needs)])])
  ])
  AC_ARG_VAR([CROSS_AARCH64_AR],
    [archiver of the aarch64 runtime (default: the compiler's ar)])
  AS_IF([test -n "$CROSS_AARCH64_CC"], [
    AC_MSG_CHECKING([for the archiver of $CROSS_AARCH64_CC])
    AS_IF([test -z "$CROSS_AARCH64_AR"], [
      netc_cross_ar=`$CROSS_AARCH64_CC -print-prog-name=ar 2>/dev/null`
      AS_IF([test -x "$netc_cross_ar"], [CROSS_AARCH64_AR=$netc_cross_ar],
            [CROSS_AARCH64_AR=$AR])])
    AC_MSG_RESULT([$CROSS_AARCH64_AR])
    AC_DEFINE_UNQUOTED([NETC_CROSS_AARCH64_CC], ["$CROSS_AARCH64_CC"],
      [the C compiler netc links aarch64-linux-gnu executables with])
  ])
  AC_MSG_CHECKING([for a libnetrt for aarch64-linux-gnu])
  AS_IF([test -n "$CROSS_AARCH64_CC"], [AC_MSG_RESULT([yes])],
    [test "x$with_cross_aarch64" = xno], [AC_MSG_RESULT([no])],
    [AC_MSG_RESULT([no (tools/setup --cross installs a cross compiler)])])
  AC_SUBST([CROSS_AARCH64_CC])
  AM_CONDITIONAL([HAVE_CROSS_AARCH64], [test -n "$CROSS_AARCH64_CC"])
])
