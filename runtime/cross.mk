# runtime/cross.mk — libnetrt for another machine (GNU make), built by a
# C cross compiler.  runtime/local.mk runs, in the build directory,
#
#   make -f runtime/cross.mk CROSS_TRIPLE=aarch64-linux-gnu \
#     CROSS_CC=aarch64-linux-gnu-gcc CROSS_AR=... CROSS_CFLAGS='-g -O2'
#
# and this file reads the build's own Makefile for the runtime's sources
# and the warning flags.  Every .c file of libnetrt is compiled into
# runtime/TRIPLE/ and archived as runtime/TRIPLE/libnetrt.a, where netc
# --target=TRIPLE finds it in the build tree.  Neither the host's LLVM
# flags nor the sanitizers (whose libraries a cross toolchain may lack)
# reach the cross compiler.

include Makefile
.DEFAULT_GOAL := cross-runtime

CROSS_DIR = runtime/$(CROSS_TRIPLE)
CROSS_WARNINGS = $(filter-out $(LLVM_CFLAGS) -fsanitize=% \
  -fno-sanitize-recover=% -fno-omit-frame-pointer, $(AM_CFLAGS))
CROSS_COMPILE = $(CROSS_CC) $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) \
  $(CROSS_WARNINGS) $(CROSS_CFLAGS) -MMD -MP
CROSS_OBJECTS = $(patsubst runtime/%.c,$(CROSS_DIR)/%.o, \
  $(filter %.c,$(runtime_libnetrt_a_SOURCES)))
vpath %.c $(srcdir)

cross-runtime: $(CROSS_DIR)/libnetrt.a

$(CROSS_DIR)/%.o: runtime/%.c
	@mkdir -p $(@D)
	$(AM_V_GEN)$(CROSS_COMPILE) -c $< -o $@

$(CROSS_DIR)/libnetrt.a: $(CROSS_OBJECTS)
	$(AM_V_at)rm -f $@
	$(AM_V_GEN)$(CROSS_AR) rcs $@ $^

.PHONY: cross-runtime

-include $(wildcard $(CROSS_DIR)/*.d)
