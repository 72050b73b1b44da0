#!/bin/sh
# embed.sh NAME FILE: print a C file defining `const char NAME[]` holding
# FILE's text, so the compiler carries its prelude inside the binary.
name=$1
file=$2
echo "/* Generated from $(basename "$file") by tools/embed.sh; do not edit. */"
echo "const char $name[] ="
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/  "/' -e 's/$/\\n"/' "$file"
echo "  ;"
