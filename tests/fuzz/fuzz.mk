# tests/fuzz/fuzz.mk — builds the libFuzzer targets with clang (GNU make).
# `make fuzz` runs `make -f tests/fuzz/fuzz.mk fuzz-programs` in the build
# directory (tests/fuzz/local.mk), and this file reads the build's own
# Makefile for the sources of libnetc and libnetrt, the flags, the
# libraries, FUZZ_CC and FUZZ_TARGETS.
#
# Every source is compiled again with the sanitizers and libFuzzer's
# coverage counters, into tests/fuzz/obj/; tests/fuzz/fuzz-TARGET links
# tests/fuzz/TARGET.c, tests/fuzz/fuzz_util.c and both libraries.

include Makefile
.DEFAULT_GOAL := fuzz-programs

SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=undefined
# The build's warnings and LLVM's -I, without -Werror (clang warns about
# other things than gcc) and without the sanitizer flags of a
# --enable-sanitizers build (SANITIZE has them all).
FUZZ_CFLAGS = $(filter-out -Werror -fsanitize=% -fno-sanitize-recover=%, \
  $(AM_CFLAGS))
FUZZ_COMPILE = $(FUZZ_CC) $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) \
  $(CPPFLAGS) $(FUZZ_CFLAGS) -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer-no-link $(SANITIZE) -MMD -MP
FUZZ_LIBS = $(LLVM_LDFLAGS) $(LLVM_LIBS) $(ZLIB_LIBS) $(LIBS)
FUZZ_OBJ = tests/fuzz/obj

# A library's .c files: its .l and .y count as the .c files the build
# made of them, found in the build directory (or, from a tarball, in the
# source tree, as every other source is).
c_files = $(patsubst %.y,%.c,$(patsubst %.l,%.c,$(filter %.c %.l %.y,$(1))))
objects = $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(call c_files,$(1)))
vpath %.c $(srcdir)

FUZZ_NETC_OBJECTS = $(call objects,$(compiler_libnetc_a_SOURCES) \
  $(nodist_compiler_libnetc_a_SOURCES))
FUZZ_NETRT_OBJECTS = $(call objects,$(runtime_libnetrt_a_SOURCES))
FUZZ_PROGRAMS = $(patsubst %,tests/fuzz/fuzz-%,$(FUZZ_TARGETS))

fuzz-programs: $(FUZZ_PROGRAMS)

$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  FUZZCC   $<"
	@$(FUZZ_COMPILE) -c $< -o $@

$(FUZZ_OBJ)/libnetc.a: $(FUZZ_NETC_OBJECTS)
	@rm -f $@
	@$(AR) rcs $@ $^

$(FUZZ_OBJ)/libnetrt.a: $(FUZZ_NETRT_OBJECTS)
	@rm -f $@
	@$(AR) rcs $@ $^

tests/fuzz/fuzz-%: $(FUZZ_OBJ)/tests/fuzz/%.o \
    $(FUZZ_OBJ)/tests/fuzz/fuzz_util.o $(FUZZ_OBJ)/libnetc.a \
    $(FUZZ_OBJ)/libnetrt.a
	@echo "  FUZZLD   $@"
	@$(FUZZ_CC) -fsanitize=fuzzer $(SANITIZE) $^ $(FUZZ_LIBS) -o $@

.PHONY: fuzz-programs
.SECONDARY:

-include $(shell find $(FUZZ_OBJ) -name '*.d' 2>/dev/null)
