#!/bin/sh
# tests/model-shapes.sh — the checked models of models/ have the shapes
# and parameter counts their PyTorch counterparts have (nn.LSTM's weights
# are 4*hidden rows, nn.GRU's 3*hidden, and so on).
LC_ALL=C
export LC_ALL
: "${NETC:?NETC must name the netc binary}"
top=${top_srcdir:-$(dirname "$0")/..}
n=0
fails=0
expect() {   # expect MODEL LINE: `netc --dump=ast` prints LINE (spaces
  model=$1   # squeezed) among its parameters
  shift
  n=$((n + 1))
  if "$NETC" --dump=ast "$top/models/$model.net" 2>&1 | tr -s ' ' |
       grep -qxF -e " $*"; then
    echo "ok $n - $model: $*"
  else
    fails=$((fails + 1))
    echo "not ok $n - $model: $*"
  fi
}
total() {    # total MODEL TENSORS VALUES
  n=$((n + 1))
  line="parameters: $2 tensors, $3 values"
  if "$NETC" --dump=ast "$top/models/$1.net" 2>&1 | grep -qxF "$line"; then
    echo "ok $n - $1: $line"
  else
    fails=$((fails + 1))
    echo "not ok $n - $1: $line"
  fi
}

expect mnist_lstm h.Wx float[512, 28] 14336
expect mnist_lstm h.Wh float[512, 128] 65536
total mnist_lstm 6 82186
expect mnist_lstm64 h.Wh float[256, 64] 16384
expect mnist_gru h.Wx float[384, 28] 10752
total mnist_gru 6 61962
total mnist_rnn 6 21514
expect mnist_bilstm h.bwd.Wx float[512, 28] 14336
expect mnist_bilstm logits.W float[10, 256] 2560
total mnist_bilstm 10 164362
expect char_rnn Wxh float[50, 10] 500
expect char_rnn Why float[10, 50] 500
total char_rnn_nobias 3 3500
expect word_rnn h.Wx float[20, 12] 240
expect mlp W1 float[64, 784] 50176
total mlp 4 50890
expect autoencoder W4 float[784, 32] 25088
total autoencoder 8 53104
expect cnn c2.conv2d.W float[16, 8, 3, 3] 1152
expect cnn logits.dense2.W float[48, 1936] 92928
expect binary_add_lstm h.Wx float[20, 2] 40
expect binary_add_lstm p.W float[1, 5] 5
expect index_recall_gru h.Wh float[30, 10] 300
total tiny_mlp_relu 4 322
echo "1..$n"
[ "$fails" -eq 0 ]
