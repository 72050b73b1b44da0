# NETC_PROG_FLEX: find flex; stop with a hint naming the Debian package.
AC_DEFUN([NETC_PROG_FLEX], [
  AC_PROG_LEX([noyywrap])
  AS_CASE([$LEX],
    [flex*|*/flex*], [],
    [AC_MSG_ERROR([flex not found: install it with 'apt-get install flex'])])
])

# NETC_PROG_BISON(MIN-VERSION): find bison >= MIN-VERSION (parse.error
# detailed and YYerror need 3.6); stop with a hint when missing or too old.
AC_DEFUN([NETC_PROG_BISON], [
  AC_PATH_PROG([BISON], [bison], [no])
  AS_IF([test "x$BISON" = xno],
    [AC_MSG_ERROR([bison not found: install it with 'apt-get install bison'])])
  AC_CACHE_CHECK([whether bison is at least $1], [netc_cv_bison_ok], [
    netc_bison_version=`$BISON --version | $SED -n '1s/.* \([[0-9]][[0-9.]]*\)$/\1/p'`
    AS_VERSION_COMPARE([$netc_bison_version], [$1],
      [netc_cv_bison_ok=no], [netc_cv_bison_ok=yes], [netc_cv_bison_ok=yes])
  ])
  AS_IF([test "x$netc_cv_bison_ok" != xyes],
    [AC_MSG_ERROR([bison $1 or newer is needed: install it with 'apt-get install bison'])])
  YACC="$BISON -y"
  AC_SUBST([YACC])
])
