#!/bin/sh
# tests/codegen-batch.sh — generated code called with fewer examples
# than it was compiled for, against the reference interpreter: code
# compiled for 16 examples run on 3, so that the choices made at run time
# from the call's batch (a pack that no longer pays: dot products instead
# of the packed GEMM) are checked as well as the compiled ones.
: "${CODEGEN_AGREE:?CODEGEN_AGREE must name tests/unit/codegen_agree}"
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top" || exit 1
exec "$CODEGEN_AGREE" --batch 3 --compiled-batch 16 models/mlp.net \
  models/autoencoder.net tests/grad/lstm.net tests/grad/gru.net \
  tests/grad/rnn_stack.net models/char_rnn.net tests/grad/varlen.net \
  tests/grad/bidirectional_steps.net
