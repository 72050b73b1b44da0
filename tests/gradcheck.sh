#!/bin/sh
# tests/gradcheck.sh — gradient checks (tests/unit/gradcheck.c) of the
# operation models in tests/grad/ and of every feed-forward model.
: "${GRADCHECK:?GRADCHECK must name tests/unit/gradcheck}"
top=${top_srcdir:-$(dirname "$0")/..}
cd "$top" || exit 1
exec "$GRADCHECK" tests/grad/*.net models/mlp.net models/mlp_seed.net \
  models/mlp_torch.net models/autoencoder.net models/tiny_mlp_relu.net \
  models/tiny_mlp_sigmoid.net
