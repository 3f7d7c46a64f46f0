#!/bin/sh
# Usage: embed-text.sh NAME FILE > out.c
# Writes FILE as a NUL-terminated C string named NAME, so the daemon can
# serve it without finding files at run time.
set -eu
name=$1
file=$2
printf '/* Generated from %s by embed-text.sh: do not edit. */\n' "$(basename "$file")"
printf 'extern const char %s[];\nconst char %s[] =\n' "$name" "$name"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' "$file"
printf ';\n'
