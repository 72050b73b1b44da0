# bench/local.mk — `make bench`: netc's compiled models against the same
# models in PyTorch (training and inference), oneDNN's RNN layers, the
# reference interpreter and the machine's FMA peak, and netc's GEMM
# kernels against OpenBLAS's, BLIS's and libxsmm's; bench/run prints the
# tables.
# Never part of `make`; `make check` builds the GEMM programs for their
# smoke test (bench/native.mk).
#
#   make bench                        every model, 1 and 2 threads
#   make bench BENCH_FLAGS=--quick    short runs
#   make bench BENCH_FLAGS='--models mlp,mnist_lstm --markdown --memory'
#
# The native programs that cannot be built (a library missing) are left
# out, and the table says so.
include bench/native.mk

BENCH_FLAGS =

EXTRA_DIST += bench/run bench/torch_models.py bench/native.mk \
  bench/peak.c bench/gemm_blas.c bench/gemm_blis.c bench/gemm_xsmm.c \
  bench/gemm_netc.c bench/dnnl_rnn.c \
  bench/interp_bench.c bench/gemm_shapes.c bench/gemm_shapes.h \
  bench/bench_args.c bench/bench_args.h

.PHONY: bench
bench: all
	-$(MAKE) $(AM_MAKEFLAGS) -k $(BENCH_NATIVE_PROGS)
	$(srcdir)/bench/run --netc compiler/netc$(EXEEXT) --native-dir bench \
	  $(BENCH_FLAGS)
