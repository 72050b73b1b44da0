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
  GRADCHECK='$(abs_top_builddir)/tests/unit/gradcheck$(EXEEXT)'; \
  export GRADCHECK; \
  CODEGEN_AGREE='$(abs_top_builddir)/tests/unit/codegen_agree$(EXEEXT)'; \
  export CODEGEN_AGREE; \
  CPU_LIST='$(abs_top_builddir)/tests/runtime/cpu_list$(EXEEXT)'; \
  export CPU_LIST; \
  NETC_RUNTIME_DIR='$(abs_top_builddir)/runtime'; export NETC_RUNTIME_DIR; \
  export ROBUST_GEN; \
  MODEL_FILES='$(MODELS) $(EXAMPLES)'; export MODEL_FILES;

check_PROGRAMS += tests/robust-gen tests/unit/test_frontend \
  tests/unit/gradcheck tests/unit/codegen_agree tests/unit/optimizers \
  tests/unit/gemm_kernel tests/unit/varlen_steps
tests_unit_gradcheck_SOURCES = tests/unit/gradcheck.c
tests_unit_codegen_agree_SOURCES = tests/unit/codegen_agree.c
tests_unit_codegen_agree_LDADD = compiler/libnetc.a $(LLVM_LDFLAGS) \
  $(LLVM_LIBS)
tests_unit_optimizers_SOURCES = tests/unit/optimizers.c
tests_unit_optimizers_LDADD = $(tests_unit_codegen_agree_LDADD)
tests_unit_gemm_kernel_SOURCES = tests/unit/gemm_kernel.c
tests_unit_gemm_kernel_LDADD = $(tests_unit_codegen_agree_LDADD)
tests_unit_gradcheck_LDADD = compiler/libnetc.a
tests_unit_test_frontend_SOURCES = tests/unit/test_frontend.c \
  tests/unit/step_cases.h
tests_unit_varlen_steps_SOURCES = tests/unit/varlen_steps.c \
  tests/unit/step_cases.h
tests_unit_varlen_steps_LDADD = $(tests_unit_codegen_agree_LDADD)
tests_unit_test_frontend_LDADD = compiler/libnetc.a
tests_robust_gen_SOURCES = tests/robust-gen.c

# Golden diagnostics: the exact messages of netc --check.
DIAG_CASES = \
  tests/diag/add_shape.net \
  tests/diag/batch_huge.net \
  tests/diag/batch_wrap.net \
  tests/diag/builtin_arity.net \
  tests/diag/cannot_infer.net \
  tests/diag/class_arithmetic.net \
  tests/diag/constants.net \
  tests/diag/data_mismatch.net \
  tests/diag/data_unknown.net \
  tests/diag/define_unknown.net \
  tests/diag/duplicate.net \
  tests/diag/empty.net \
  tests/diag/index_range.net \
  tests/diag/initializers.net \
  tests/diag/int_bounds.net \
  tests/diag/layer_args.net \
  tests/diag/layer_arity.net \
  tests/diag/layer_recursion.net \
  tests/diag/layer_scope.net \
  tests/diag/lexer_errors.net \
  tests/diag/loss_constant.net \
  tests/diag/loss_scalar.net \
  tests/diag/loss_target.net \
  tests/diag/matmul_shape.net \
  tests/diag/no_loss.net \
  tests/diag/optimizer_options.net \
  tests/diag/optimizer_unknown.net \
  tests/diag/recurrence_forms.net \
  tests/diag/recurrence_initial.net \
  tests/diag/steps_before_start.net \
  tests/diag/syntax_recovery.net \
  tests/diag/text_dir.net \
  tests/diag/text_file.net \
  tests/diag/too_many_errors.net \
  tests/diag/train_block.net \
  tests/diag/types.net \
  tests/diag/unknown_function.net \
  tests/diag/unknown_name.net \
  tests/diag/varlen.net \
  tests/diag/varlen_steps.net \
  tests/diag/varlen_steps_default.net

# Other case files: dumps, -D, accepted programs.
CHECK_CASES = \
  tests/check/bidirectional.net \
  tests/check/define.net \
  tests/check/dump_grad.net \
  tests/check/dump_mlp.net \
  tests/check/dump_parse.net \
  tests/check/dump_recurrence.net \
  tests/check/dump_tokens.net \
  tests/check/dump_train.net \
  tests/check/int_bounds.net \
  tests/check/layer_override.net \
  tests/check/mnist_normalize.net \
  tests/check/plan_bidirectional.net \
  tests/check/plan_lstm.net \
  tests/check/plan_lstm_avx2.net \
  tests/check/plan_mlp.net \
  tests/check/plan_varlen.net \
  tests/check/text_data.net \
  tests/check/varlen_steps.net

TESTS += \
  tests/unit/test_frontend \
  tests/unit/varlen_steps \
  tests/unit/optimizers \
  tests/unit/gemm_kernel \
  tests/cli.sh \
  tests/outputs.sh \
  tests/many-names.sh \
  tests/model-shapes.sh \
  tests/gradcheck.sh \
  tests/codegen.sh \
  tests/codegen-batch.sh \
  tests/target.sh \
  tests/cpu-check.sh \
  tests/cross-aarch64.sh \
  tests/bench-gemm.sh \
  tests/bench-run.sh \
  tests/e2e.sh \
  tests/fixed-steps.sh \
  tests/threads.sh \
  tests/gradcheck-noise.sh \
  tests/faults.sh \
  tests/torch-parity.sh \
  tests/line-length.sh \
  tests/include-rule.sh \
  tests/models.sh \
  $(DIAG_CASES) \
  $(CHECK_CASES) \
  tests/robust.sh \
  tests/fuzz-replay.sh

EXTRA_DIST += \
  tests/tap.h \
  tests/cli.sh \
  tests/outputs.sh \
  tests/many-names.sh \
  tests/model-shapes.sh \
  tests/gradcheck.sh \
  tests/codegen.sh \
  tests/target.sh \
  tests/cpu-check.sh \
  tests/cross-aarch64.sh \
  tests/bench-gemm.sh \
  tests/bench-run.sh \
  tests/codegen-batch.sh \
  tests/e2e.sh \
  tests/fixed-steps.sh \
  tests/torch-parity.sh \
  tests/torch_parity.py \
  tests/threads.sh \
  tests/threads/grid.net \
  tests/gradcheck-noise.sh \
  tests/gradcheck/text_gru.net \
  tests/faults.sh \
  tests/faults/big.net \
  tests/ckpt_compare.py \
  tests/e2e/spirals.net \
  tests/e2e/bidirectional_steps.net \
  tests/e2e/bidirectional_text_steps.net \
  tests/e2e/bidirectional_last_step.net \
  tests/grad/bidirectional_fixed_steps.net \
  tests/grad/bidirectional_steps.net \
  tests/grad/elementwise.net \
  tests/grad/gru.net \
  tests/grad/learned_state.net \
  tests/grad/lstm.net \
  tests/grad/rnn_stack.net \
  tests/grad/varlen.net \
  tests/grad/varlen_first_step.net \
  tests/grad/varlen_steps.net \
  tests/grad/losses.net \
  tests/grad/mixed.net \
  tests/grad/per_example.net \
  tests/grad/shapes.net \
  tests/grad/sums_of_products.net \
  tests/grad/target_grad.net \
  tests/grad/width_one.net \
  tests/bless.sh \
  tests/run-case.sh \
  tests/line-length.sh \
  tests/include-rule.sh \
  tests/models.sh \
  tests/robust.sh \
  tests/fuzz-replay.sh \
  $(DIAG_CASES) \
  $(CHECK_CASES)
