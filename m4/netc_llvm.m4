# NETC_CHECK_LLVM(MAJOR): find llvm-config for LLVM MAJOR (llvm-config-MAJOR
# first, since a plain llvm-config may be an older LLVM), or the one named by
# --with-llvm-config=PATH; set LLVM_CFLAGS, LLVM_LDFLAGS, LLVM_LIBS.
AC_DEFUN([NETC_CHECK_LLVM], [
  AC_ARG_WITH([llvm-config],
    AS_HELP_STRING([--with-llvm-config=PATH], [llvm-config of LLVM $1 to use]),
    [LLVM_CONFIG=$withval], [LLVM_CONFIG=])
  AS_IF([test -z "$LLVM_CONFIG"],
    [AC_PATH_PROGS([LLVM_CONFIG], [llvm-config-$1 llvm-config], [no])])
  AS_IF([test "x$LLVM_CONFIG" = xno || test ! -x "$LLVM_CONFIG"],
    [AC_MSG_ERROR([LLVM $1 not found: install it with 'apt-get install llvm-$1-dev' or pass --with-llvm-config=PATH])])
  AC_MSG_CHECKING([LLVM version from $LLVM_CONFIG])
  netc_llvm_version=`$LLVM_CONFIG --version`
  AC_MSG_RESULT([$netc_llvm_version])
  AS_CASE([$netc_llvm_version],
    [$1.*], [],
    [AC_MSG_ERROR([LLVM $1 is needed, $LLVM_CONFIG is $netc_llvm_version: install 'llvm-$1-dev' or pass --with-llvm-config=PATH])])
  LLVM_CFLAGS="-I`$LLVM_CONFIG --includedir`"
  LLVM_LDFLAGS=`$LLVM_CONFIG --ldflags`
  LLVM_LIBS=`$LLVM_CONFIG --libs core analysis native passes orcjit`
  LLVM_LIBS="$LLVM_LIBS `$LLVM_CONFIG --system-libs`"
  AC_SUBST([LLVM_CFLAGS])
  AC_SUBST([LLVM_LDFLAGS])
  AC_SUBST([LLVM_LIBS])
  AC_DEFINE_UNQUOTED([NETC_LLVM_CONFIG], ["$LLVM_CONFIG"], [llvm-config used at build time])
])
