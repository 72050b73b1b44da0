# bench/native.mk — the benchmarks' native programs, included from
# bench/local.mk.  None is built by `make`, so the libraries they link
# need not be installed to build netc; `tools/setup --bench` installs
# them.
#
#   bench/peak          the FMA peak of the machine (pthreads)
#   bench/gemm_blas     OpenBLAS's sgemm on the models' shapes
#   bench/gemm_blis     BLIS's sgemm on the same shapes, one thread
#   bench/gemm_xsmm     libxsmm's JIT kernels on the same shapes
#   bench/gemm_netc     netc's generated GEMM kernels on the same shapes
#   bench/dnnl_rnn      oneDNN's fused RNN layers, forward and backward
#   bench/interp_bench  the reference interpreter (libnetc) on a model
#
# Each prints JSON Lines on stdout; `PROGRAM --help` says what it takes.
#
# peak, dnnl_rnn and interp_bench are EXTRA_PROGRAMS: built only when a
# rule asks for them (`make bench`, or `make bench-native`).  The GEMM
# programs are check_PROGRAMS, for their smoke test (tests/bench-gemm.sh):
# gemm_netc always, each baseline when configure found its library
# (m4/netc_bench.m4).  Each baseline is a program of its own: OpenBLAS
# and BLIS both define sgemm_.
#
# Not BENCH_NATIVE_PROGRAMS: automake reads any X_PROGRAMS as programs to
# install in $(Xdir), and stops.
BENCH_GEMM_PROGS = bench/gemm_netc
if HAVE_OPENBLAS
BENCH_GEMM_PROGS += bench/gemm_blas
endif
if HAVE_BLIS
BENCH_GEMM_PROGS += bench/gemm_blis
endif
if HAVE_XSMM
BENCH_GEMM_PROGS += bench/gemm_xsmm
endif
BENCH_NATIVE_PROGS = bench/peak bench/dnnl_rnn bench/interp_bench \
  $(BENCH_GEMM_PROGS)

# automake accepts `+=` only after a first `=`: this is the first.
EXTRA_PROGRAMS = bench/peak bench/dnnl_rnn bench/interp_bench
check_PROGRAMS += $(BENCH_GEMM_PROGS)
CLEANFILES += $(EXTRA_PROGRAMS)

# The command-line helpers and the clock every program shares, and the
# GEMM shapes of the models.
BENCH_ARGS = bench/bench_args.c bench/bench_args.h
GEMM_SHAPES = bench/gemm_shapes.c bench/gemm_shapes.h

bench_peak_SOURCES = bench/peak.c $(BENCH_ARGS)
bench_peak_LDADD = -lpthread

# Debian's libopenblas-dev: cblas.h and -lopenblas.
bench_gemm_blas_SOURCES = bench/gemm_blas.c $(BENCH_ARGS) $(GEMM_SHAPES)
bench_gemm_blas_LDADD = $(OPENBLAS_LIBS) -lm

# Debian's libblis-dev (BLIS 0.9, its OpenMP build): blis.h and -lblis.
bench_gemm_blis_SOURCES = bench/gemm_blis.c $(BENCH_ARGS) $(GEMM_SHAPES)
bench_gemm_blis_LDADD = $(BLIS_LIBS)

# Debian's libxsmm-dev (libxsmm 1.17, static): libxsmm.h, -lxsmm and the
# BLAS stubs of -lxsmmnoblas (m4/netc_bench.m4).
bench_gemm_xsmm_SOURCES = bench/gemm_xsmm.c $(BENCH_ARGS) $(GEMM_SHAPES)
bench_gemm_xsmm_LDADD = $(XSMM_LIBS)

# libnetc's code generator and JIT: built with netc, nothing to install.
bench_gemm_netc_SOURCES = bench/gemm_netc.c $(BENCH_ARGS) $(GEMM_SHAPES)
bench_gemm_netc_LDADD = compiler/libnetc.a $(LLVM_LDFLAGS) $(LLVM_LIBS) -lm

# Debian's libdnnl-dev (oneDNN 2.6), whose CPU threads are OpenMP's:
# the program sets their number with omp_set_num_threads.
bench_dnnl_rnn_SOURCES = bench/dnnl_rnn.c $(BENCH_ARGS)
bench_dnnl_rnn_LDADD = -ldnnl -lgomp

bench_interp_bench_SOURCES = bench/interp_bench.c $(BENCH_ARGS)
bench_interp_bench_LDADD = compiler/libnetc.a -lm

.PHONY: bench-native
bench-native: $(BENCH_NATIVE_PROGS)
