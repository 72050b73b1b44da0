#!/bin/sh
# tests/codegen.sh — generated code (compiled in memory) against the
# reference interpreter, in f32 and f64: tests/unit/codegen_agree.c on the
# operation models of tests/grad/, every feed-forward model, and models
# with recurrences of fixed length, the MNIST LSTM, GRU and bidirectional
# LSTM among them (the sizes at which hoisted gradients are summed
# transposed).  mnist_rnn.net is not here: 28 tanh steps of random
# inputs part f32 from f64 by 5e-4, more than the f32 tolerance.
: "${CODEGEN_AGREE:?CODEGEN_AGREE must name tests/unit/codegen_agree}"
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top" || exit 1
exec "$CODEGEN_AGREE" tests/grad/elementwise.net tests/grad/losses.net \
  tests/grad/mixed.net tests/grad/per_example.net tests/grad/shapes.net \
  tests/grad/sums_of_products.net \
  tests/grad/target_grad.net tests/grad/width_one.net models/mlp.net \
  models/mlp_seed.net models/mlp_torch.net models/autoencoder.net \
  models/tiny_mlp_relu.net models/tiny_mlp_sigmoid.net tests/grad/lstm.net \
  tests/grad/gru.net tests/grad/rnn_stack.net tests/grad/learned_state.net \
  models/char_rnn.net models/word_rnn.net tests/grad/varlen.net \
  tests/grad/varlen_first_step.net tests/grad/varlen_steps.net \
  tests/grad/bidirectional_steps.net tests/grad/bidirectional_fixed_steps.net \
  models/binary_add_lstm.net models/index_recall_gru.net \
  models/mnist_lstm.net models/mnist_gru.net models/mnist_bilstm.net
