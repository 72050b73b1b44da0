# runtime/driver.mk — the driver of the executables netc builds: the
# command line (train, eval, predict, info, gradcheck, bench, sample), the
# training loop, initializers and checkpoints of a model's buffers.
#
#   rt_main     main(): runs netrt_main_model (a file of its own, so a
#               program with its own main() can call netrt_main())
#   rt_cli      netrt_main(): commands, options, --help, shared helpers
#   rt_driver.h what the files below share (internal)
#   rt_run      buffers, checkpoints, the data source and its split
#   rt_batch    batches in the model's real type (float or double)
#   rt_init     parameter initializers, optimizer state
#   rt_train    the training loop and the train command
#   rt_threads  training steps cut into shards, one per thread
#   rt_eval     evaluation; eval and predict
#   rt_check    gradcheck and bench
#   rt_info     info
#   rt_sample   sample: text from a text model
runtime_libnetrt_a_SOURCES += \
  runtime/rt_main.c \
  runtime/rt_cli.c runtime/rt_driver.h \
  runtime/rt_run.c \
  runtime/rt_batch.c \
  runtime/rt_init.c runtime/rt_init.h \
  runtime/rt_train.c runtime/rt_train.h \
  runtime/rt_threads.c \
  runtime/rt_eval.c \
  runtime/rt_check.c \
  runtime/rt_info.c \
  runtime/rt_sample.c
EXTRA_DIST += runtime/driver.mk runtime/driver-tests.mk
