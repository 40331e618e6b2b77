#!/bin/sh
# rootstrap run: a command inside a built image, its stdout, stderr and
# exit status ours; snapshots leave the image as it was, several at once;
# shared host directories; a hang is killed at the timeout.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
sum=$(sha256sum "$img" | cut -d' ' -f1)

# Output streams and the exit status come back separately.
"$ROOTSTRAP" run --snapshot "$img" -- sh -c \
    'echo to-stdout; echo to-stderr >&2; cat /etc/hostname; exit 7' \
    >stdout 2>stderr
rc=$?
check "the command's exit status is ours (7, got $rc)" test $rc = 7
check "stdout carries only the command's stdout" \
    test "$(cat stdout)" = "$(printf 'to-stdout\nrootstrap')"
check "stderr carries only the command's stderr" \
    test "$(cat stderr)" = "to-stderr"

# UML and the host processes carrying the guest's run on one CPU (each
# guest system call is a ptrace round trip), and the kernel's boot-time
# RAID-6/XOR timing is skipped.
"$ROOTSTRAP" run -S "$img" -- sh -c 'cat /proc/cmdline; sleep 5' \
    >cmdline.out 2>&1 &
prun=$!
sleep 3
uml=
for p in $(pgrep -P $prun); do
	case $(tr '\0' ' ' <"/proc/$p/cmdline") in *ubd0=*) uml=$p ;; esac
done
tr '\0' ' ' <"/proc/${uml:-0}/cmdline" >uml.argv 2>/dev/null
one_cpu() {	# PID...: each allowed on a single CPU
	[ $# -gt 0 ] || return 1
	seen=0
	for p; do
		# Gone since it was listed (UML's short-lived helpers): skip.
		l=$(awk '/^Cpus_allowed_list/ {print $2}' "/proc/$p/status" \
		    2>/dev/null) || continue
		[ -n "$l" ] || [ -d "/proc/$p" ] || continue
		echo "$p: $l"
		case $l in ''|*,*|*-*) return 1 ;; esac
		seen=$((seen + 1))
	done
	[ $seen -gt 0 ]
}
check "UML runs on one CPU" one_cpu $uml
check "so do the processes carrying the guest's" one_cpu $(pgrep -P "${uml:-0}")
wait $prun
check "the run's kernel skips the RAID-6 and XOR timing" \
    grep -q "initcall_blacklist=raid6_select_algo,raid6_init,calibrate_xor_blocks" \
    cmdline.out

# Both kernels run the image: kernel=auto's (sid's, in its seccomp mode
# where it has one) and the host's linux.uml (6.1, ptrace).
"$ROOTSTRAP" run -S "$img" -- uname -r >auto.out 2>&1
check "kernel=auto runs it" test "$(sed -n 1p auto.out)" = \
    "$("$ROOTSTRAP" check 2>/dev/null | sed -n 's/^ok *kernel: .*, Linux \([^:]*\):.*/\1/p')"
if "$ROOTSTRAP" check 2>/dev/null | grep -q '^ok *mode: seccomp'; then
	# (UML takes it off the command line the guest sees.)
	check "in its seccomp mode" grep -q " seccomp=auto " uml.argv
fi
if command -v linux.uml >/dev/null; then
	"$ROOTSTRAP" run -S -k "$(command -v linux.uml)" "$img" -- uname -r \
	    >host.out 2>&1
	check "the host's linux.uml runs it" test "$(cat host.out)" = \
	    "$(linux.uml --version 2>/dev/null | sed -n '1s/^\([0-9][^ ]*\).*/\1/p')"
fi

fails_with 127 "sh: 1: no-such-command: not found" \
    "$ROOTSTRAP" run -S "$img" -- sh -c no-such-command
fails_with 127 "rootstrap run: no-such-command: No such file or directory" \
    "$ROOTSTRAP" run -S "$img" no-such-command
run_status 0 "$ROOTSTRAP" run -S -C /etc "$img" -- test -f debian_version
run_status 0 "$ROOTSTRAP" run -S "$img" -- sh -c 'test "$(id -u)" = 0'

# Two snapshot runs of one image at the same time, each writing.
"$ROOTSTRAP" run -S "$img" -- sh -c 'echo A >/root/mark; sleep 2; cat /root/mark' >a.out 2>&1 &
pa=$!
"$ROOTSTRAP" run -S "$img" -- sh -c 'echo B >/root/mark; sleep 2; cat /root/mark' >b.out 2>&1
rb=$?
wait $pa
ra=$?
check "two parallel snapshot runs both succeed ($ra, $rb)" test $ra = 0 -a $rb = 0
check "each saw its own writes" test "$(cat a.out)$(cat b.out)" = AB
check "the image is unchanged after snapshot runs" \
    test "$(sha256sum "$img" | cut -d' ' -f1)" = "$sum"

# Shared directories: read-only unless :rw.
mkdir data
echo hello >data/in
run_status 0 "$ROOTSTRAP" run -S -s "$TEST_TMP/data:/mnt/data" "$img" -- sh -c \
    'cat /mnt/data/in; touch /mnt/data/out 2>/dev/null && echo wrote || echo read-only'
has_line hello
has_line read-only
check "nothing was written through a read-only share" test ! -e data/out
run_status 0 "$ROOTSTRAP" run -S -s "$TEST_TMP/data:/mnt/data:rw" "$img" -- sh -c \
    'echo from-guest >/mnt/data/out'
check "a rw share writes to the host" test "$(cat data/out)" = from-guest

# Without --snapshot the image itself changes; use a copy.
cp "$img" copy.img
run_status 0 "$ROOTSTRAP" run copy.img -- sh -c 'echo kept >/root/kept'
run_status 0 "$ROOTSTRAP" run copy.img -- cat /root/kept
has_line kept
check "the copy is still a clean filesystem" e2fsck -fn copy.img

# A hang is killed at the timeout, with a message and status 124.
fails_with 124 "rootstrap: run: sleep timed out after 3 s; the guest was killed" \
    "$ROOTSTRAP" run -S -t 3 "$img" -- sleep 600
nothing_left .

# On a terminal, as a user types it: UML would stop on the terminal it
# cannot make raw from the background (it hung until the timeout); the
# output comes through a relay, stdout and stderr, and the status.
if command -v script >/dev/null; then
	script -qec "'$ROOTSTRAP' run -S -t 120 '$img' -- sh -c 'echo on-tty; echo err-tty >&2; exit 3'" \
	    tty.log >/dev/null 2>&1 </dev/null
	check "on a terminal: the command's status (3, got $?)" test $? = 3
	# What the terminal shows: the line run drew while the guest booted
	# (CR, erase-line, text) is erased before the command's output.
	tr -d '\r' <tty.log | sed "s/^.*$(printf '\033')\[K//" >tty.out
	has_line "on-tty" tty.out
	has_line "err-tty" tty.out
	hasnt "timed out" tty.out
fi
nothing_left .

# Usage errors.
fails_with 2 "rootstrap: run: no command given" "$ROOTSTRAP" run "$img"
fails_with 2 "rootstrap: --net: invalid transport 'tap' (none, slirp, user, tuntap or tuntap:HOST:GUEST)" \
    "$ROOTSTRAP" run -N tap "$img" true
fails_with 2 "rootstrap: --net: tuntap:10.9.0.1:10.9.0: invalid IPv4 address '10.9.0'" \
    "$ROOTSTRAP" run -N tuntap:10.9.0.1:10.9.0 "$img" true
fails_with 2 "rootstrap: nonexistent.img: No such file or directory" \
    "$ROOTSTRAP" run nonexistent.img true

finish
