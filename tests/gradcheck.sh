#!/bin/sh
# tests/gradcheck.sh — gradient checks (tests/unit/gradcheck.c) of the
# operation models in tests/grad/, and of every model that lowers to the
# IR: the feed-forward ones and the recurrent ones (of fixed or varying
# length; with noise in the padding of the latter, which must change
# nothing).
: "${GRADCHECK:?GRADCHECK must name tests/unit/gradcheck}"
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top" || exit 1
exec "$GRADCHECK" tests/grad/*.net models/mlp.net models/mlp_seed.net \
  models/mlp_torch.net models/autoencoder.net models/tiny_mlp_relu.net \
  models/tiny_mlp_sigmoid.net models/char_rnn.net models/char_rnn_nobias.net \
  models/word_rnn.net models/word_rnn_edgement.net \
  models/binary_add_lstm.net models/index_recall_gru.net \
  models/index_recall_lstm.net models/index_recall_rnn.net \
  examples/peephole_lstm.net
