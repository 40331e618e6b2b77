#!/bin/sh
# rootstrap run passes its stdin to the command: every byte value, the
# end of the input seen as end-of-file, a command that stops reading (or
# never starts) with endless input still ends; a terminal is not read.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"

echo x | "$ROOTSTRAP" run -S "$img" -- cat >out 2>err
rc=$?
check "echo x | rootstrap run IMG -- cat prints x (status $rc)" \
    test "$rc:$(cat out)" = "0:x"

# Every byte value, a tty's control characters among them (^C, ^D, ^S,
# ^Q, CR, NUL), and more than one frame's worth: as sent, to the end.
"$PYTHON3" -c 'import sys, random
random.seed(5010)
sys.stdout.buffer.write(bytes(range(256)) * 4 +
    bytes(random.getrandbits(8) for _ in range(20000)))' >in.bin
"$ROOTSTRAP" run -S "$img" -- sh -c 'cat >/tmp/in; wc -c </tmp/in;
    sha256sum </tmp/in' <in.bin >out 2>err
check "the bytes arrive as sent, then end-of-file" test "$(cat out)" = \
    "$(printf '%s\n' "$(wc -c <in.bin)" "$(sha256sum <in.bin)")"

# stdin, stdout and stderr stay apart.
printf 'one\ntwo\n' | "$ROOTSTRAP" run -S "$img" -- sh -c \
    'read a; read b; echo "out $a"; echo "err $b" >&2' >out 2>err
check "stdin read line by line, answers on stdout and stderr" \
    test "$(cat out)/$(cat err)" = "out one/err two"

# Endless input: a command that stops reading, and one that never reads.
yes | "$ROOTSTRAP" run -S "$img" -- head -n 2 >out 2>err
rc=$?
check "yes | run -- head -n 2: two lines, status 0 (got $rc)" \
    test "$rc:$(cat out)" = "$(printf '0:y\ny')"
yes | "$ROOTSTRAP" run -S "$img" -- sh -c 'exit 3' >out 2>err
check "yes | run -- sh -c 'exit 3': status 3" test $? = 3

# A closed stdin is an empty one.
"$ROOTSTRAP" run -S "$img" -- sh -c 'wc -c; echo read' <&- >out 2>err
check "a closed stdin reads as empty" test "$(cat out)" = "$(printf '0\nread')"

# A terminal is not read (the guest has none to give the command): the
# command's stdin is /dev/null, and what is typed stays in the terminal.
"$PYTHON3" - "$ROOTSTRAP" "$img" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    for n, name in ((1, "out"), (2, "err")):
        os.dup2(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), n)
    os.execv(sys.argv[1], [sys.argv[1], "run", "-S", sys.argv[2], "--",
                           "readlink", "/proc/self/fd/0"])
os.write(fd, b"typed\n")
os.waitpid(pid, 0)
PY
check "from a terminal the command's stdin is /dev/null" \
    test "$(cat out)" = /dev/null

nothing_left .
finish
