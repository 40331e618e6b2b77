#!/bin/sh
# Generate the build system; run ./configure unless NOCONFIGURE is set.
set -e
test -n "$srcdir" || srcdir=$(dirname "$0")
cd "$srcdir"
autoreconf --force --install --verbose
if test -z "$NOCONFIGURE"; then
	exec ./configure "$@"
fi
