# runtime/local.mk — libnetrt, the runtime compiled models link against.
#
#   rt_data     datasets: MNIST idx, CSV, synthetic spirals; split, batches
#   rt_seq      sequence sources: text, index recall, binary addition
#   rt_rng      xoshiro256** random numbers, shuffles
#   rt_metrics  accuracy, confusion matrix, classification report, PSNR
#   rt_ckpt     safetensors checkpoints (atomic write, validating read)
#   rt_json     JSON writer (--json outputs) and strict parser
#   rt_util     error formatting shared by the above
#   rt_cpu      the CPU features a model needs, tested: netrt_cpu_lacks
lib_LIBRARIES = runtime/libnetrt.a
include_HEADERS = runtime/netrt.h
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = runtime/netrt.pc
EXTRA_DIST += runtime/netrt.pc.in
runtime_libnetrt_a_SOURCES = \
  runtime/rt_ckpt.c runtime/rt_ckpt.h \
  runtime/rt_data.c runtime/rt_data.h \
  runtime/rt_json.c runtime/rt_json.h \
  runtime/rt_metrics.c runtime/rt_metrics.h \
  runtime/rt_rng.c runtime/rt_rng.h \
  runtime/rt_seq.c runtime/rt_seq.h \
  runtime/rt_util.c runtime/rt_util.h \
  runtime/rt_cpu.c runtime/rt_cpu.h

include runtime/tests.mk
