#!/bin/sh
# The core of curl's banned-function list: none of these in our C code.
. "$TEST_SRCDIR/libtest.sh"

hits=$(grep -nE '(^|[^_a-z])(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok|system|mktemp|tmpnam)[[:space:]]*\(' \
    "$TEST_SRCDIR"/../rootstrap/*.c "$TEST_SRCDIR"/../modules/*.c \
    "$TEST_SRCDIR"/unit/*.c "$TEST_SRCDIR"/fuzz/*.c \
    "$TEST_SRCDIR"/../uml-net/*.c 2>/dev/null)
if [ -z "$hits" ]; then
	ok "no banned function is called"
else
	not_ok "banned functions called"
	echo "$hits" | sed 's/^/#   /'
fi
finish
