#!/bin/sh
# The core of curl's banned-function list: none of these in our C code.
. "$TEST_SRCDIR/libtest.sh"

top=$TEST_SRCDIR/..
# Every C file of the tree, found rather than listed, so that a moved or
# renamed folder cannot drop out of the check unnoticed.
find "$top/rootstrap" "$top/modules" "$top/uml-net" "$top/tests" \
    -name '*.c' >files
count=$(wc -l <files)
if [ "$count" -ge 50 ]; then
	ok "found $count C files to check"
else
	not_ok "found only $count C files under $top"
fi

# shellcheck disable=SC2046
hits=$(grep -nE '(^|[^_a-z])(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok|system|mktemp|tmpnam)[[:space:]]*\(' $(cat files))
status=$?
# grep: 0 found, 1 none, 2 an error (a file it could not read): no pass.
if [ $status -gt 1 ]; then
	not_ok "grep failed (status $status)"
elif [ -z "$hits" ]; then
	ok "no banned function is called"
else
	not_ok "banned functions called"
	echo "$hits" | sed 's/^/#   /'
fi
finish
