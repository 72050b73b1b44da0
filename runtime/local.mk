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

# libnetrt for aarch64-linux-gnu, when configure found a cross compiler
# (--with-cross-aarch64, m4/netc_cross.m4): runtime/cross.mk builds
# runtime/aarch64-linux-gnu/libnetrt.a, where netc --target=aarch64-...
# finds it in the build tree; it installs in $(libdir)/netc/TRIPLE/.
EXTRA_DIST += runtime/cross.mk
CROSS_AARCH64_LIBDIR = $(pkglibdir)/aarch64-linux-gnu
all-local: cross-aarch64
install-data-local: install-cross-aarch64
uninstall-local: uninstall-cross-aarch64
clean-local: clean-cross-aarch64
if HAVE_CROSS_AARCH64
cross-aarch64:
	@$(MAKE) --no-print-directory -f $(srcdir)/runtime/cross.mk \
	  CROSS_TRIPLE=aarch64-linux-gnu CROSS_CC='$(CROSS_AARCH64_CC)' \
	  CROSS_AR='$(CROSS_AARCH64_AR)' \
	  CROSS_CFLAGS='$(CROSS_AARCH64_CFLAGS)' cross-runtime
install-cross-aarch64: cross-aarch64
	$(MKDIR_P) '$(DESTDIR)$(CROSS_AARCH64_LIBDIR)'
	$(INSTALL_DATA) runtime/aarch64-linux-gnu/libnetrt.a \
	  '$(DESTDIR)$(CROSS_AARCH64_LIBDIR)/libnetrt.a'
uninstall-cross-aarch64:
	rm -f '$(DESTDIR)$(CROSS_AARCH64_LIBDIR)/libnetrt.a'
	-rmdir '$(DESTDIR)$(CROSS_AARCH64_LIBDIR)' '$(DESTDIR)$(pkglibdir)' \
	  2>/dev/null
else
cross-aarch64 install-cross-aarch64 uninstall-cross-aarch64:
	@:
endif
clean-cross-aarch64:
	-rm -rf runtime/aarch64-linux-gnu
.PHONY: cross-aarch64 install-cross-aarch64 uninstall-cross-aarch64 \
  clean-cross-aarch64
