#!/bin/sh
# What run and boot say of themselves. run on a terminal: a line while the
# guest boots, erased before the command's first output (or at its end);
# its stdout and stderr on a pipe are the command's bytes alone. boot: a
# step line before the kernel's first.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
on_pty() {
	name=$1
	shift
	"$PYTHON3" "$TEST_SRCDIR/pty-capture.py" --cols 200 \
	    --screen "$name.screen" \
	    --redraws "$name.redraws" "$name.raw" "$@" >out 2>&1
}

on_pty echo "$ROOTSTRAP" run -S "$img" -- echo hello
check "run on a terminal: the command's status" test $? = 0
has "rootstrap: booting $img for echo" echo.redraws
check "the screen shows the command's output alone" \
    test "$(cat echo.screen)" = hello

# Output without a newline at its end stays; no output, nothing stays.
on_pty printf "$ROOTSTRAP" run -S "$img" -- printf abc
check "a last line without a newline is not erased" \
    test "$(cat printf.screen)" = abc
on_pty true "$ROOTSTRAP" run -S "$img" -- true
has "rootstrap: booting $img for true" true.redraws
check "no output: the screen is left empty" test ! -s true.screen

# On pipes, stdout and stderr are the command's bytes alone.
"$ROOTSTRAP" run -S "$img" -- sh -c 'printf "a\rb"; echo err >&2' \
    >piped.out 2>piped.err
check "run on a pipe: stdout byte-exact" \
    test "$(od -An -c piped.out | tr -d ' ')" = 'a\rb'
check "run on a pipe: stderr is the command's alone" \
    test "$(cat piped.err)" = err

# -v shows the kernel's messages as they come: no line drawn over them.
on_pty verbose "$ROOTSTRAP" run -v -S "$img" -- true
check "run -v on a terminal: the command's status" test $? = 0
hasnt "booting" verbose.redraws

# boot: its step line on stdout, before the kernel's messages.
ulimit -c 0
"$ROOTSTRAP" boot -N none -t 60 ubd0=/dev/null mem=64M init=/bin/true \
    </dev/null >boot.out 2>&1
check "boot's step line comes first" sh -c \
    "head -n 1 boot.out | grep -qx 'rootstrap: booting /dev/null on .*linux.uml, the console on stdin and stdout'"
nothing_left .

finish
