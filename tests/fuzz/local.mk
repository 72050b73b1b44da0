# tests/fuzz/local.mk — the fuzz targets (tests/fuzz/TARGET.c, one
# LLVMFuzzerTestOneInput each; see tests/fuzz/fuzz.h and TESTING.md):
#
#   make check                   replays tests/fuzz/regress/ and the seed
#                                corpora through every target, built with
#                                the normal compiler (tests/fuzz-replay.sh)
#   make fuzz                    builds the targets with clang, libFuzzer
#                                and ASan/UBSan (tests/fuzz/fuzz.mk), runs
#                                each for FUZZ_SECONDS and prints how many
#                                inputs it ran (tests/fuzz/run.sh)
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS='csv json'
#   make fuzz-build              only builds them, as tests/fuzz/fuzz-TARGET
FUZZ_TARGETS = frontend idx idx_gz csv text ckpt json
FUZZ_SECONDS = 60

FUZZ_REPLAYS = tests/fuzz/replay-frontend tests/fuzz/replay-idx \
  tests/fuzz/replay-idx_gz tests/fuzz/replay-csv tests/fuzz/replay-text \
  tests/fuzz/replay-ckpt tests/fuzz/replay-json
check_PROGRAMS += $(FUZZ_REPLAYS)
FUZZ_REPLAY_FILES = tests/fuzz/replay.c tests/fuzz/fuzz.h \
  tests/fuzz/fuzz_util.c
FUZZ_REPLAY_LIBS = runtime/libnetrt.a $(ZLIB_LIBS)
tests_fuzz_replay_frontend_SOURCES = $(FUZZ_REPLAY_FILES) \
  tests/fuzz/frontend.c
tests_fuzz_replay_frontend_LDADD = compiler/libnetc.a $(FUZZ_REPLAY_LIBS) \
  $(LLVM_LDFLAGS) $(LLVM_LIBS)
tests_fuzz_replay_idx_SOURCES = $(FUZZ_REPLAY_FILES) tests/fuzz/idx.c
tests_fuzz_replay_idx_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_idx_gz_SOURCES = $(FUZZ_REPLAY_FILES) tests/fuzz/idx_gz.c
tests_fuzz_replay_idx_gz_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_csv_SOURCES = $(FUZZ_REPLAY_FILES) tests/fuzz/csv.c
tests_fuzz_replay_csv_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_text_SOURCES = $(FUZZ_REPLAY_FILES) tests/fuzz/text.c
tests_fuzz_replay_text_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_ckpt_SOURCES = $(FUZZ_REPLAY_FILES) tests/fuzz/ckpt.c
tests_fuzz_replay_ckpt_LDADD = $(FUZZ_REPLAY_LIBS)
tests_fuzz_replay_json_SOURCES = $(FUZZ_REPLAY_FILES) tests/fuzz/json.c
tests_fuzz_replay_json_LDADD = $(FUZZ_REPLAY_LIBS)

# tests/fuzz-replay.sh is in tests/local.mk's TESTS; it finds these:
AM_TESTS_ENVIRONMENT += \
  FUZZ_REPLAY_DIR='$(abs_top_builddir)/tests/fuzz'; export FUZZ_REPLAY_DIR; \
  FUZZ_TARGETS='$(FUZZ_TARGETS)'; export FUZZ_TARGETS;
EXTRA_DIST += tests/fuzz/fuzz.mk tests/fuzz/run.sh tests/fuzz/seeds.sh \
  tests/fuzz/frontend.dict tests/fuzz/corpus tests/fuzz/regress

.PHONY: fuzz fuzz-build
if HAVE_FUZZ_CC
fuzz-build: compiler/libnetc.a runtime/libnetrt.a
	$(MAKE) -f $(srcdir)/tests/fuzz/fuzz.mk fuzz-programs
fuzz: fuzz-build
	srcdir='$(srcdir)' $(SHELL) $(srcdir)/tests/fuzz/run.sh \
	  '$(FUZZ_SECONDS)' $(FUZZ_TARGETS)
else
fuzz fuzz-build:
	@echo "make fuzz: configure found no clang that supports" \
	  "-fsanitize=fuzzer; install one (apt-get install clang-19" \
	  "libclang-rt-19-dev, or tools/setup --fuzz) and run configure" \
	  "again, or give it FUZZ_CC=PATH" >&2; exit 1
endif

clean-local: clean-fuzz
clean-fuzz:
	-rm -rf tests/fuzz/obj tests/fuzz/fuzz-* tests/fuzz/*.log
distclean-local: distclean-fuzz
distclean-fuzz:
	-rm -rf tests/fuzz/work tests/fuzz/crashes
.PHONY: clean-fuzz distclean-fuzz
