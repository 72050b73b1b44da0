# models/local.mk — one .net file per model of the experiments in
# EXPERIMENTS.md (A-I); shipped in the tarball.
MODELS = \
  models/autoencoder.net \
  models/binary_add_lstm.net \
  models/char_rnn.net \
  models/char_rnn_nobias.net \
  models/cnn.net \
  models/cnn_cifar.net \
  models/index_recall_gru.net \
  models/index_recall_lstm.net \
  models/index_recall_rnn.net \
  models/mlp.net \
  models/mlp_seed.net \
  models/mlp_torch.net \
  models/mnist_bilstm.net \
  models/mnist_bilstm_b500.net \
  models/mnist_birnn_b500.net \
  models/mnist_gru.net \
  models/mnist_gru_b500.net \
  models/mnist_lstm.net \
  models/mnist_lstm100_b500.net \
  models/mnist_lstm64.net \
  models/mnist_lstm_l2.net \
  models/mnist_rnn.net \
  models/mnist_rnn_b500.net \
  models/tiny_mlp_relu.net \
  models/tiny_mlp_sigmoid.net \
  models/word_rnn.net \
  models/word_rnn_adagrad.net \
  models/word_rnn_edgement.net \
  models/word_rnn_rmsprop.net \
  models/tuned/mnist_birnn_b500_tuned.net \
  models/tuned/mnist_lstm_tuned.net \
  models/tuned/mnist_rnn_tuned.net

EXTRA_DIST += \
  models/autoencoder.net \
  models/binary_add_lstm.net \
  models/char_rnn.net \
  models/char_rnn_nobias.net \
  models/cnn.net \
  models/cnn_cifar.net \
  models/index_recall_gru.net \
  models/index_recall_lstm.net \
  models/index_recall_rnn.net \
  models/mlp.net \
  models/mlp_seed.net \
  models/mlp_torch.net \
  models/mnist_bilstm.net \
  models/mnist_bilstm_b500.net \
  models/mnist_birnn_b500.net \
  models/mnist_gru.net \
  models/mnist_gru_b500.net \
  models/mnist_lstm.net \
  models/mnist_lstm100_b500.net \
  models/mnist_lstm64.net \
  models/mnist_lstm_l2.net \
  models/mnist_rnn.net \
  models/mnist_rnn_b500.net \
  models/tiny_mlp_relu.net \
  models/tiny_mlp_sigmoid.net \
  models/word_rnn.net \
  models/word_rnn_adagrad.net \
  models/word_rnn_edgement.net \
  models/word_rnn_rmsprop.net \
  models/tuned/mnist_birnn_b500_tuned.net \
  models/tuned/mnist_lstm_tuned.net \
  models/tuned/mnist_rnn_tuned.net
