# runtime/tests.mk — the runtime's unit tests (TAP), included from
# runtime/local.mk.  Each C test writes the small files it needs (idx,
# CSV, checkpoints) into a temporary directory of its own and removes it;
# fetch-mnist.sh runs tools/fetch-mnist on local folders only (the real
# files when ../shared/data/mnist is beside the checkout, else it skips
# those cases).
RUNTIME_TESTS = \
  tests/runtime/test_data \
  tests/runtime/test_seq \
  tests/runtime/test_metrics \
  tests/runtime/test_ckpt \
  tests/runtime/test_json \
  tests/runtime/test_cpu
check_PROGRAMS += $(RUNTIME_TESTS)
TESTS += $(RUNTIME_TESTS) tests/runtime/fetch-mnist.sh
EXTRA_DIST += tests/runtime/fetch-mnist.sh tools/fetch-mnist

tests_runtime_test_data_SOURCES = tests/runtime/test_data.c \
  tests/runtime/rt_test.h
tests_runtime_test_data_LDADD = runtime/libnetrt.a $(ZLIB_LIBS) -lm
tests_runtime_test_seq_SOURCES = tests/runtime/test_seq.c \
  tests/runtime/rt_test.h
tests_runtime_test_seq_LDADD = runtime/libnetrt.a $(ZLIB_LIBS) -lm
tests_runtime_test_metrics_SOURCES = tests/runtime/test_metrics.c \
  tests/runtime/rt_test.h
tests_runtime_test_metrics_LDADD = runtime/libnetrt.a $(ZLIB_LIBS) -lm
tests_runtime_test_ckpt_SOURCES = tests/runtime/test_ckpt.c \
  tests/runtime/rt_test.h
tests_runtime_test_ckpt_LDADD = runtime/libnetrt.a $(ZLIB_LIBS) -lm
tests_runtime_test_json_SOURCES = tests/runtime/test_json.c \
  tests/runtime/rt_test.h
tests_runtime_test_json_LDADD = runtime/libnetrt.a $(ZLIB_LIBS) -lm
tests_runtime_test_cpu_SOURCES = tests/runtime/test_cpu.c \
  tests/runtime/rt_test.h
tests_runtime_test_cpu_LDADD = runtime/libnetrt.a $(ZLIB_LIBS) -lm
# The lists of rt_cpu.c, for tests/cpu-check.sh (which also builds it for
# AArch64 and runs it under qemu-aarch64, where it can).
check_PROGRAMS += tests/runtime/cpu_list
tests_runtime_cpu_list_SOURCES = tests/runtime/cpu_list.c
tests_runtime_cpu_list_LDADD = runtime/libnetrt.a
