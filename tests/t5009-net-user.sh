#!/bin/sh
# transport=user: rootstrap's own libslirp NAT, the guest on vec0 through
# UML's vector driver (vec0:transport=fd). The guest has 10.0.2.15, reaches
# a server on the host's 127.0.0.1 through the gateway 10.0.2.2, resolves
# and fetches from deb.debian.org; in a build, in `rootstrap run -N user`,
# and no NAT process outlives rootstrap, even one killed with SIGKILL.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
# Run directories here, so every UML process names $TEST_TMP (nothing_left).
export TMPDIR=$TEST_TMP

# A server on the host's loopback, on a free port, with a file to fetch.
mkdir srv
token="rootstrap-$$-$(date +%s)"
echo "$token" >srv/hello
# (Its command line does not name $TEST_TMP: nothing_left is about ours.)
"$PYTHON3" -u -m http.server --bind 127.0.0.1 --directory srv 0 \
    >http.log 2>&1 &
http=$!
for i in $(seq 50); do
	port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' http.log)
	[ -n "$port" ] && break
	sleep 0.1
done
check "the host's HTTP server listens on 127.0.0.1:$port" test -n "$port"

# Bash's /dev/tcp through the gateway: the host's 127.0.0.1. The guest
# scripts are shared with the guest (run -s), so no command line carries
# backslashes into the TAP output.
mkdir share
cat >share/fetch <<SH
exec 3<>/dev/tcp/10.0.2.2/$port &&
printf 'GET /hello HTTP/1.0\r\n\r\n' >&3 && sed -n '\$p' <&3
SH
cat >share/facts <<'SH'
echo interfaces: $(ls /sys/class/net)
echo address: $(hostname -I)
echo fetched: $(bash /share/fetch)
getent hosts deb.debian.org >/dev/null && echo resolved
SH

# --- A build: the network module brings up vec0; a module uses it. ---
mkdir mods
cat >mods/probe <<MOD
#!/bin/bash
echo "interfaces: \$(ls /sys/class/net | tr '\n' ' ')"
echo "fetched: \$(bash $TEST_TMP/share/fetch)"
getent hosts deb.debian.org | sed 's/^/resolved: /'
MOD
chmod +x mods/probe
conf_fast network probe >rootstrap.conf
cat >>rootstrap.conf <<CONF
modulepath=mods
[network]
transport=user
CONF
run_status 0 "$ROOTSTRAP" -n "$TEST_TMP/img"
has " vec0:transport=fd,fd=4"
hasnt "eth0="
run_status 0 "$ROOTSTRAP" -o build.log "$TEST_TMP/img"
show build.log 8
has "rootstrap-builder: vec0: 10.0.2.15/255.255.255.0 via 10.0.2.2" build.log
has_line "interfaces: lo vec0 " build.log
has_line "fetched: $token" build.log
check "the guest resolved deb.debian.org through 10.0.2.3" \
    grep -Eq '^resolved: [0-9.]+ +deb\.debian\.org$' build.log
has "rootstrap: module probe: ok" build.log
nothing_left .

# A config that cannot route is refused before anything runs.
cat >>rootstrap.conf <<CONF
gateway=192.168.1.1
CONF
fails_with 2 "rootstrap.conf:12: gateway: 192.168.1.1 is not another address in the guest's network 10.0.2.15/255.255.255.0" \
    "$ROOTSTRAP" "$TEST_TMP/img2"

# --- rootstrap run -N user, on a copy with room for apt's lists. ---
cp --sparse=always "$img" big.img
truncate -s +768M big.img
e2fsck -fp big.img >/dev/null 2>&1
check "the copy grows to hold apt's lists" resize2fs big.img
share="$TEST_TMP/share:/share"
run_status 0 "$ROOTSTRAP" run -S -N user -s "$share" "$TEST_TMP/big.img" -- \
    bash /share/facts
has_line "interfaces: lo vec0"
has_line "address: 10.0.2.15"
has_line "fetched: $token"
has_line "resolved"
run_status 0 "$ROOTSTRAP" run -S -N user -t 300 "$TEST_TMP/big.img" -- \
    apt-get update
has "http://deb.debian.org/debian bookworm InRelease"
has "Reading package lists..."
hasnt "Err:"
nothing_left .

# The guest's network is the NAT's: without -N user there is none.
run_status 0 "$ROOTSTRAP" run -S -s "$share" "$TEST_TMP/big.img" -- bash -c \
    'bash /share/fetch 2>/dev/null || echo unreachable'
has_line "unreachable"

# A timeout ends UML and the NAT.
fails_with 124 "rootstrap: run: sleep timed out after 3 s; the guest was killed" \
    "$ROOTSTRAP" run -S -N user -t 3 "$TEST_TMP/big.img" -- sleep 600
nothing_left .

# run_up OUT: a run in the background ($rs) whose guest is up and waits.
run_up() {
	"$ROOTSTRAP" run -S -N user "$TEST_TMP/big.img" -- sh -c \
	    'echo up; sleep 600' >"$1" 2>&1 &
	rs=$!
	for i in $(seq 100); do
		grep -qs up "$1" && break
		sleep 0.2
	done
}

# A NAT that dies stops the guest at once, with a message: no hang.
run_up natdied.out
kill -KILL $(pgrep -x -P $rs rootstrap-net)
wait $rs
rc=$?
check "rootstrap run fails (status 1, got $rc) when the NAT dies" test $rc = 1
# The kernel is named by its path: the host's linux.uml or auto's.
check "the cause is said: the user-mode network failed (signal 9)" \
    grep -qE '^rootstrap: run: /[^ ]*/linux\.uml: the user-mode network failed \(signal 9\)$' \
    natdied.out || show natdied.out
nothing_left .

# SIGKILL of rootstrap: UML and the NAT process go with it.
run_up killed.out
net=$(pgrep -x -P $rs rootstrap-net)
check "the NAT runs beside UML as rootstrap-net (pid ${net:-none})" \
    test -n "$net"
uml=$(pgrep -x -P $rs linux.uml)
check "the NAT is in UML's process group (${uml:-no UML})" \
    test -n "$uml" -a "$(ps -o pgid= -p "${net:-0}" | tr -d ' ')" = "$uml"
{ kill -KILL $rs; wait $rs; } 2>/dev/null
gone() { ! ps -o stat= -p "$1" | grep -qv Z; }
for i in $(seq 50); do
	gone "$net" && ! pgrep -f "$TEST_TMP" >/dev/null && break
	sleep 0.1
done
check "the NAT process is gone with rootstrap" gone "$net"
kill $http
wait $http 2>/dev/null

# rootstrap boot: the image's own init with the NAT beside it (t7003 boots
# a built image so); bad arguments are refused before anything starts.
fails_with 2 "rootstrap: boot: no UML arguments (at least ubd0=IMAGE)" \
    "$ROOTSTRAP" boot
fails_with 2 "rootstrap: boot: -N carrier: not user, slirp or none" \
    "$ROOTSTRAP" boot -N carrier ubd0=x
fails_with 2 "rootstrap: boot: no ubd0=IMAGE among the UML arguments" \
    "$ROOTSTRAP" boot mem=64M
fails_with 2 "rootstrap: /nonexistent/linux: not found" \
    "$ROOTSTRAP" boot -k /nonexistent/linux ubd0=x
# A shell as init, on the host's files (read-only), typed to on the
# console once it prompts: the guest has vec0, and halts cleanly.
: >boot.out
feed() {
	for i in $(seq 300); do
		grep -q '^# ' boot.out && break
		sleep 0.2
	done
	printf 'mount -t sysfs sysfs /sys\nls /sys/class/net\nexec /sbin/poweroff -f\n'
	# Stdin stays open until the guest is done with it.
	for i in $(seq 300); do
		grep -qE 'System halted|reboot: Power down' boot.out && break
		sleep 0.2
	done
}
feed | "$ROOTSTRAP" boot -t 90 ubd0=/dev/null mem=64M init=/bin/sh \
    root=/dev/root rootfstype=hostfs rootflags=/ ro quiet >boot.out 2>&1
# 6.1 says "System halted", 7.2 "reboot: Power down".
check "boot ran the kernel until the guest halted ($?)" \
    grep -qE 'System halted|reboot: Power down' boot.out
check "the guest has vec0 beside lo" grep -q 'lo  *vec0' boot.out
show boot.out 5
nothing_left .

finish
