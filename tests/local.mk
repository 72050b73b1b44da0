# tests/local.mk — `make check`: TAP tests, run by automake's tap-driver.sh.
#
#   tests/diag/*.net   golden diagnostics: a case file carries its expected
#   tests/check/*.net  exit status, stderr and stdout in trailing comments
#                      (see tests/run-case.sh); list new ones below
#   tests/*.sh         scripts printing TAP
#
# Run one test: make check TESTS=tests/robust.sh
TEST_EXTENSIONS = .net .sh
TAP_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) \
  $(top_srcdir)/build-aux/tap-driver.sh
LOG_DRIVER = $(TAP_DRIVER)
NET_LOG_DRIVER = $(TAP_DRIVER)
SH_LOG_DRIVER = $(TAP_DRIVER)
NET_LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/run-case.sh
SH_LOG_COMPILER = $(SHELL)

AM_TESTS_ENVIRONMENT = \
  NETC='$(abs_top_builddir)/compiler/netc$(EXEEXT)'; export NETC; \
  top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
  ROBUST_GEN='$(abs_top_builddir)/tests/robust-gen$(EXEEXT)'; \
  export ROBUST_GEN; \
  MODEL_FILES='$(MODELS) $(EXAMPLES)'; export MODEL_FILES;

check_PROGRAMS += tests/robust-gen
tests_robust_gen_SOURCES = tests/robust-gen.c

# Golden diagnostics: the exact messages of netc --check.
DIAG_CASES =

# Other case files: dumps, -D, accepted programs.
CHECK_CASES =

TESTS += \
  tests/line-length.sh \
  tests/include-rule.sh \
  tests/models.sh \
  $(DIAG_CASES) \
  $(CHECK_CASES) \
  tests/robust.sh

EXTRA_DIST += \
  tests/tap.h \
  tests/run-case.sh \
  tests/line-length.sh \
  tests/include-rule.sh \
  tests/models.sh \
  tests/robust.sh \
  $(DIAG_CASES) \
  $(CHECK_CASES)
