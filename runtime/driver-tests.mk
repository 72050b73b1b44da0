# runtime/driver-tests.mk — tests of the driver without the compiler: a
# hand-written model (tests/runtime/fake_model.c) linked with libnetrt in
# three builds, run through every command by tests/runtime/driver.sh
# (and the sequence models of tests/runtime/fake_seq.c, below).
# The script finds them in the build tree (the current directory of
# `make check`), or where FAKE_MODEL, FAKE_MODEL_F64 and FAKE_MODEL_SGD
# say.
DRIVER_LIBS = runtime/libnetrt.a $(ZLIB_LIBS) -lm
check_PROGRAMS += tests/runtime/fake_model tests/runtime/fake_model_f64 \
  tests/runtime/fake_model_sgd
tests_runtime_fake_model_SOURCES = tests/runtime/fake_model.c
tests_runtime_fake_model_LDADD = $(DRIVER_LIBS)
tests_runtime_fake_model_f64_SOURCES = tests/runtime/fake_model.c
tests_runtime_fake_model_f64_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_F64
tests_runtime_fake_model_f64_LDADD = $(DRIVER_LIBS)
tests_runtime_fake_model_sgd_SOURCES = tests/runtime/fake_model.c
tests_runtime_fake_model_sgd_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_SGD
tests_runtime_fake_model_sgd_LDADD = $(DRIVER_LIBS)
check_PROGRAMS += tests/runtime/fake_model_wrong \
  tests/runtime/fake_model_wrong_f64
tests_runtime_fake_model_wrong_SOURCES = tests/runtime/fake_model.c
tests_runtime_fake_model_wrong_CPPFLAGS = $(AM_CPPFLAGS) \
  -DFAKE_WRONG_GRADIENT
tests_runtime_fake_model_wrong_LDADD = $(DRIVER_LIBS)
tests_runtime_fake_model_wrong_f64_SOURCES = tests/runtime/fake_model.c
tests_runtime_fake_model_wrong_f64_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_F64 \
  -DFAKE_WRONG_GRADIENT
tests_runtime_fake_model_wrong_f64_LDADD = $(DRIVER_LIBS)
TESTS += tests/runtime/driver.sh
EXTRA_DIST += tests/runtime/driver.sh tests/runtime/tap-lib.sh
# Sequences of varying length: tests/runtime/fake_seq.c, a per-step
# logistic regression on binary_add and (-DFAKE_RECALL) a softmax
# regression on index_recall, run by tests/runtime/driver-seq.sh.
check_PROGRAMS += tests/runtime/fake_seq tests/runtime/fake_seq_f64 \
  tests/runtime/fake_seq_long tests/runtime/fake_recall
tests_runtime_fake_seq_SOURCES = tests/runtime/fake_seq.c
tests_runtime_fake_seq_LDADD = $(DRIVER_LIBS)
tests_runtime_fake_seq_f64_SOURCES = tests/runtime/fake_seq.c
tests_runtime_fake_seq_f64_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_F64
tests_runtime_fake_seq_f64_LDADD = $(DRIVER_LIBS)
tests_runtime_fake_seq_long_SOURCES = tests/runtime/fake_seq.c
tests_runtime_fake_seq_long_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_LONG
tests_runtime_fake_seq_long_LDADD = $(DRIVER_LIBS)
tests_runtime_fake_recall_SOURCES = tests/runtime/fake_seq.c
tests_runtime_fake_recall_CPPFLAGS = $(AM_CPPFLAGS) -DFAKE_RECALL
tests_runtime_fake_recall_LDADD = $(DRIVER_LIBS)
TESTS += tests/runtime/driver-seq.sh
EXTRA_DIST += tests/runtime/driver-seq.sh
# sample.sh compiles models/word_rnn.net with $(NETC) and trains it.
TESTS += tests/runtime/sample.sh
EXTRA_DIST += tests/runtime/sample.sh
check_PROGRAMS += tests/runtime/test_init
tests_runtime_test_init_SOURCES = tests/runtime/test_init.c
tests_runtime_test_init_LDADD = $(DRIVER_LIBS)
TESTS += tests/runtime/test_init
# Every hyperparameter of netrt.h's list as an option, on a stub model.
check_PROGRAMS += tests/runtime/test_cli
tests_runtime_test_cli_SOURCES = tests/runtime/test_cli.c \
  tests/runtime/rt_test.h
tests_runtime_test_cli_LDADD = $(DRIVER_LIBS)
TESTS += tests/runtime/test_cli
