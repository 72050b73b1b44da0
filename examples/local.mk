# examples/local.mk — model files that show the language, and a C program
# that embeds a compiled model (built and run by make check).
EXAMPLES = examples/peephole_lstm.net examples/xor.net
EXTRA_DIST += $(EXAMPLES) examples/embed.c

check_PROGRAMS += examples/embed
examples_embed_SOURCES = examples/embed.c
nodist_examples_embed_SOURCES = examples/xor.h
examples_embed_LDADD = examples/xor.o -lm
examples_embed_DEPENDENCIES = examples/xor.o
examples_embed_CPPFLAGS = -I$(top_builddir)/examples $(AM_CPPFLAGS)
TESTS += examples/embed
CLEANFILES += examples/xor.o examples/xor.h

examples/xor.h: examples/xor.o
examples/embed-embed.$(OBJEXT): examples/xor.h
examples/xor.o: $(top_srcdir)/examples/xor.net compiler/netc$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) examples && \
	compiler/netc$(EXEEXT) -c -o examples/xor.o $(top_srcdir)/examples/xor.net
