#!/bin/sh
# rootstrap start, then many rootstrap exec in the one instance: stdout and
# stderr apart, stdin's every byte and its end, exit statuses (3, 124 on a
# timeout, 127 not found), -C and -e, eight commands at once, ls and
# ls --json; stop leaves no process and no directory. The shell-test
# pattern of the README: one instance per test file, many execs.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
# Instances and their run directories in here, so nothing_left sees them.
export TMPDIR="$TEST_TMP" XDG_RUNTIME_DIR="$TEST_TMP/runtime"
mkdir -m 700 "$XDG_RUNTIME_DIR"

"$ROOTSTRAP" start -S --name fixture "$img" >out 2>err
rc=$?
check "start -S --name fixture: status 0, prints the name (got $rc)" \
    test "$rc:$(cat out)" = "0:fixture"
show err
ex() { "$ROOTSTRAP" exec fixture "$@"; }

ex -- sh -c 'echo to-out; echo to-err >&2; exit 3' >out 2>err
rc=$?
check "exit status 3 comes back (got $rc)" test "$rc" = 3
check "stdout is the command's stdout alone" test "$(cat out)" = to-out
check "stderr is the command's stderr alone" test "$(cat err)" = to-err

ex -- sh -c 'exec 2>&-; grep -q "ID=debian" /etc/os-release' 2>err
check "the command runs in the image (its /etc/os-release)" test $? = 0

ex -t 1 -- sleep 30 >out 2>err
check "-t 1 on sleep 30: status 124" test $? = 124
ex -- no-such-command >out 2>err
check "a command not found: status 127" test $? = 127
has "no-such-command: No such file or directory" err

"$PYTHON3" -c 'import sys, random
random.seed(5015)
sys.stdout.buffer.write(bytes(range(256)) * 4 +
    bytes(random.getrandbits(8) for _ in range(20000)))' >in.bin
ex -- sh -c 'cat >/tmp/in; wc -c </tmp/in; sha256sum </tmp/in' \
    <in.bin >out 2>err
check "stdin's bytes arrive as sent, then end-of-file" test "$(cat out)" = \
    "$(printf '%s\n' "$(wc -c <in.bin)" "$(sha256sum <in.bin)")"
# 3 MB of binary stdin: far more than the guest tty holds, so the link's
# window (FRAME_LINK_WINDOW) is what keeps UML's console reading.
"$PYTHON3" -c 'import sys, random
random.seed(15)
sys.stdout.buffer.write(random.randbytes(3 * 1024 * 1024))' >big.bin
timeout 600 "$ROOTSTRAP" exec fixture -- sha256sum <big.bin >out 2>err
check "3 MB of binary stdin through sha256sum, every byte" \
    test "$(cat out)" = "$(sha256sum <big.bin)"
# And the link still works after it: twelve here, eight at once below.
good=0
i=1
while [ $i -le 12 ]; do
	[ "$(timeout 60 "$ROOTSTRAP" exec fixture -- echo "after-$i")" = \
	    "after-$i" ] && good=$((good + 1))
	i=$((i + 1))
done
check "12 execs after the 3 MB, each its answer ($good of 12)" \
    test "$good" = 12
ex -- sh -c 'wc -c' <&- >out 2>err
check "a closed stdin reads as empty" test "$(cat out)" = 0

ex -C /etc -e GREETING=hello -e HOME=/tmp -- sh -c 'echo "$PWD $GREETING $HOME"' \
    >out 2>err
check "-C /etc and -e VAR=VALUE (one overriding HOME)" \
    test "$(cat out)" = "/etc hello /tmp"

# Eight at once, each its own answer: the streams do not mix.
i=1
while [ $i -le 8 ]; do
	ex -- sh -c "sleep 0.5; echo answer-$i; echo err-$i >&2; exit $i" \
	    >par.$i 2>parerr.$i &
	eval "pid$i=\$!"
	i=$((i + 1))
done
good=0
i=1
while [ $i -le 8 ]; do
	eval "wait \$pid$i"
	rc=$?
	[ "$rc:$(cat par.$i):$(cat parerr.$i)" = "$i:answer-$i:err-$i" ] &&
	    good=$((good + 1))
	i=$((i + 1))
done
check "8 execs at once: each its own output and status ($good of 8)" \
    test "$good" = 8

# A signalled exec passes the signal on; one whose command ignores it
# still ends (128 + the signal), and the command is killed behind it.
"$ROOTSTRAP" exec fixture -- sleep 30 >out 2>err &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
check "SIGTERM to exec: sleep ends on it, exec with 143 (got $?)" test $? = 143
"$ROOTSTRAP" exec fixture -- sh -c 'trap "" TERM; echo armed; sleep 31
    echo survived' >out 2>err &
pid=$!
# Signalled only once its trap is set.
i=0
while ! grep -q armed out && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM to exec of a command ignoring it: exec ends, 143 (got $rc)" \
    test "$rc" = 143
hasnt survived out
ex -- sh -c 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " <$f; echo; done |
    grep -c "^sleep 3[1]"' >out 2>err
check "and that command was killed (sleep 31 running: $(cat out))" \
    test "$(cat out)" = 0
# A client that stops reading holds its command back (the output window):
# the supervisor does not buffer the endless output meanwhile.
{ "$ROOTSTRAP" exec fixture -- cat /dev/zero; echo "exec=$?" >stalled.rc; } |
    { sleep 5; head -c 1 >/dev/null; } &
stalled=$!
sleep 4
"$ROOTSTRAP" ls --json >out 2>err
sv=$("$PYTHON3" -c 'import json; print(json.load(open("out"))[0]["pid"])')
rss=$(awk '/^VmRSS:/ { print $2 }' /proc/"$sv"/status)
check "the supervisor holds little of it (${rss} kB resident)" \
    test "${rss:-999999}" -lt 32768
check "meanwhile another exec answers" test "$(ex -- echo fine)" = fine
wait $stalled
check "exec whose reader went away ends as by SIGPIPE: $(cat stalled.rc)" \
    test "$(cat stalled.rc)" = exec=141
"$ROOTSTRAP" ls >out 2>err
check "ls lists the instance and its image" \
    grep -q "^fixture .* yes .* $img\$" out
"$ROOTSTRAP" ls --json >out 2>err
check "ls --json: one instance, its name, image and snapshot" \
    "$PYTHON3" -c 'import json, sys
l = json.load(open("out"))
assert len(l) == 1 and l[0]["name"] == "fixture", l
assert l[0]["image"] == sys.argv[1] and l[0]["snapshot"] is True, l
assert isinstance(l[0]["pid"], int) and l[0]["pid"] > 1, l' "$img"
pid=$("$PYTHON3" -c 'import json; print(json.load(open("out"))[0]["pid"])')
dir=$("$PYTHON3" -c 'import json; print(json.load(open("out"))[0]["dir"])')

"$ROOTSTRAP" stop fixture >out 2>err
check "stop: status 0" test $? = 0
# Exited: gone, or a zombie its reaper (PID 1 here) has not collected yet.
check "the supervisor $pid has exited" \
    sh -c "! ps -o stat= -p $pid | grep -qv '^Z'"
check "its directory $dir is gone" test ! -e "$dir"
check "and its name" test ! -e "$XDG_RUNTIME_DIR/rootstrap/fixture"
"$ROOTSTRAP" ls --json >out 2>err
check "ls --json: none left" test "$(tr -d ' \n' <out)" = "[]"
fails_with 125 "rootstrap: no instance named fixture is running (rootstrap ls lists those that are)" \
    "$ROOTSTRAP" exec fixture -- true
nothing_left .
finish
