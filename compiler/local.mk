# compiler/local.mk — libnetc (the stages) and the netc driver.
noinst_LIBRARIES += compiler/libnetc.a
compiler_libnetc_a_SOURCES = \
  compiler/arena.c compiler/arena.h \
  compiler/names.c compiler/names.h \
  compiler/diag.c compiler/diag.h \
  compiler/lexer.l compiler/lexer.h \
  compiler/parser.y compiler/parse.h \
  compiler/ast.c compiler/ast.h \
  compiler/shape.c compiler/shape.h \
  compiler/builtins.c compiler/builtins.h \
  compiler/check.c compiler/check.h compiler/model.h \
  compiler/check_internal.h compiler/check_scope.c compiler/check_options.c \
  compiler/check_expr.c compiler/check_builtin.c compiler/check_layer.c \
  compiler/check_stmt.c compiler/check_recur.c compiler/check_data.c \
  compiler/steps.c compiler/steps.h \
  compiler/dump.c \
  compiler/ir.c compiler/ir.h compiler/ir_ops.h \
  compiler/lower.c compiler/grad.c \
  compiler/interp.c compiler/interp.h \
  compiler/plan.c compiler/plan.h compiler/plan_tile.c \
  compiler/target.c compiler/target.h \
  compiler/codegen.c compiler/codegen.h compiler/codegen_internal.h \
  compiler/codegen_builders.c compiler/codegen_values.c \
  compiler/codegen_losses.c compiler/codegen_gemm.c compiler/codegen_loops.c \
  compiler/codegen_optimizer.c compiler/codegen_descriptor.c \
  compiler/emit.c compiler/emit.h \
  compiler/outfile.c compiler/outfile.h \
  compiler/frontend.c compiler/frontend.h
nodist_compiler_libnetc_a_SOURCES = compiler/prelude.c
BUILT_SOURCES += compiler/parser.h compiler/prelude.c
CLEANFILES += compiler/prelude.c

compiler/prelude.c: $(top_srcdir)/compiler/prelude.net $(top_srcdir)/tools/embed.sh
	$(AM_V_GEN)$(MKDIR_P) compiler && \
	$(SHELL) $(top_srcdir)/tools/embed.sh prelude_source \
	  $(top_srcdir)/compiler/prelude.net > $@-t && mv $@-t $@

bin_PROGRAMS += compiler/netc
compiler_netc_SOURCES = compiler/main.c
compiler_netc_LDADD = compiler/libnetc.a runtime/libnetrt.a \
  $(LLVM_LDFLAGS) $(LLVM_LIBS) $(ZLIB_LIBS)

pkgdata_DATA = compiler/prelude.net
EXTRA_DIST += compiler/prelude.net
