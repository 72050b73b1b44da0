# NETC_CHECK_BENCH_GEMM: the GEMM libraries that make bench's baselines
# link (bench/native.mk), each optional.  A library found sets its
# conditional and its LIBS: its program is built by `make check` (its
# smoke test, tests/bench-gemm.sh) and by `make bench`.  A library not
# found leaves its program out: the test skips it and bench/run's table
# says it is not built.  `tools/setup --bench` installs them all.
#
#   OpenBLAS (libopenblas-dev)  HAVE_OPENBLAS  OPENBLAS_LIBS  gemm_blas
#   BLIS (libblis-dev)          HAVE_BLIS      BLIS_LIBS      gemm_blis
#   libxsmm (libxsmm-dev)       HAVE_XSMM      XSMM_LIBS      gemm_xsmm
#
# Debian's libxsmm is static: libxsmm.a calls the BLAS for the products
# it does not generate, which libxsmmnoblas.a stubs out (gemm_xsmm calls
# only generated kernels), so it links no BLAS to clash with another.
AC_DEFUN([NETC_CHECK_BENCH_GEMM], [
  OPENBLAS_LIBS=
  AC_CHECK_HEADER([cblas.h],
    [AC_CHECK_LIB([openblas], [openblas_get_corename],
       [OPENBLAS_LIBS=-lopenblas])])
  AC_SUBST([OPENBLAS_LIBS])
  AM_CONDITIONAL([HAVE_OPENBLAS], [test -n "$OPENBLAS_LIBS"])
  BLIS_LIBS=
  AC_CHECK_HEADER([blis.h],
    [AC_CHECK_LIB([blis], [bli_sgemm], [BLIS_LIBS="-lblis -lm"], [],
       [-lm])])
  AC_SUBST([BLIS_LIBS])
  AM_CONDITIONAL([HAVE_BLIS], [test -n "$BLIS_LIBS"])
  XSMM_LIBS=
  netc_xsmm_deps="-lxsmmnoblas -lpthread -lrt -ldl -lm"
  AC_CHECK_HEADER([libxsmm.h],
    [AC_CHECK_LIB([xsmm], [libxsmm_smmdispatch],
       [XSMM_LIBS="-lxsmm $netc_xsmm_deps"], [], [$netc_xsmm_deps])])
  AC_SUBST([XSMM_LIBS])
  AM_CONDITIONAL([HAVE_XSMM], [test -n "$XSMM_LIBS"])
])
