#!/bin/sh
# Regenerates configure and the Makefile.in files.
exec autoreconf --force --install -I m4 "$@"
