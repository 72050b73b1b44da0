# examples/local.mk — models that show what the language can do beyond the
# prelude; shipped in the tarball.
EXAMPLES = examples/peephole_lstm.net
EXTRA_DIST += examples/peephole_lstm.net
