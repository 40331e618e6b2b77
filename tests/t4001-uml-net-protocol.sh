#!/bin/sh
# uml_net answers the UML kernel in protocol 4 on every path, does only
# what its policy allows, and leaves nothing behind; uml-net-kernel.py
# plays the kernel's side. Everything happens in namespaces made here.
. "$TEST_SRCDIR/libtest.sh"
. "$TEST_SRCDIR/libnet.sh"
net_require

A=rs$$a
B=rs$$b
if ! { net_ns $A && net_ns $B && net_link $A 10.77.0.1 $B 10.77.0.2; }; then
	not_ok "could not make the namespaces"
	finish
fi

net_policy policy.conf <<POLICY
# the test's policy
group = 4242
gate_ranges = 10.0.0.0/8
guest_ranges = 10.9.0.0/16, 10.77.0.0/16
nat = yes
ip_forward = yes
max_taps = 8
POLICY
export UML_NET_CONF=$TEST_TMP/policy.conf

NET_NS=$A

# 1. up: one datagram, one tap descriptor, the gate on a tap that is up.
kernel --then 'ip -o link show $UML_TAP >link; ip -o -4 addr show $UML_TAP >addr;
    cat /sys/class/net/$UML_TAP/owner >owner' \
    "$UML_NET" 4 tuntap up 10.9.0.1
for l in kind=dgram datagrams=1 fds=1 ctrunc=no name_nul=yes \
    nul_terminated=yes name=umlt0n0 tunname=umlt0n0 fdlink=/dev/net/tun \
    tunflags=tap,no_pi second=no exit=0; do
	has_line "$l"
done
has "text='uml_net: umlt0n0 up, host side 10.9.0.1/32"
check "len is at most 4095" test "$(sed -n 's/^len=//p' out)" -le 4095
check "the tap was up" grep -qE '<([A-Z_]+,)*UP[,>]' link
has "inet 10.9.0.1/32" addr
check "the tap was owned by the caller (uid 0)" test "$(cat owner)" = 0
check "the tap is gone once its descriptor is closed" test "$(taps)" = 0

# 2. up refusals.
for g in 999.1.1.1 1.2.3 abc 1.2.3.4x; do
	kernel "$UML_NET" 4 tuntap up $g
	refused dgram "gate $g" "not a dotted-quad IPv4 address"
done
for g in 0.0.0.0 127.0.0.1 224.0.0.1 255.255.255.255; do
	kernel "$UML_NET" 4 tuntap up $g
	refused dgram "gate $g" "a reserved address"
done
kernel "$UML_NET" 4 tuntap up 192.168.5.1
refused dgram "gate outside the policy" "outside the policy's gate_ranges"
kernel "$UML_NET" 4 tuntap up 10.77.0.1
refused dgram "gate of the uplink" "already an address of this host"
kernel "$UML_NET" 4 tuntap up
refused dgram "no gate" "needs the host-side address"
in_ns $A unshare --mount sh -c 'mount -t tmpfs none /dev/net &&
    exec "$@"' sh $KERNEL_SIDE "$UML_NET" 4 tuntap up 10.9.0.1 >out 2>&1
refused dgram "/dev/net/tun missing" "/dev/net/tun: No such file"

# 3. argv and protocol misuse: answered in the form fd 1 asks for.
for v in 5 0 x; do
	kernel "$UML_NET" $v tuntap up 10.9.0.1
	refused dgram "version $v" "protocol version '$v' is not supported"
done
kernel "$UML_NET" 5 add umlt0n0 10.9.0.2 255.255.255.0
refused frame "version 5 add" "protocol version '5'"
kernel "$UML_NET" 4 ethertap tap0 3 10.9.0.1
refused frame "ethertap" "unsupported request 'ethertap tap0'"
kernel "$UML_NET" 4 slip up 10.9.0.1
refused frame "slip" "unsupported request 'slip up'"
kernel "$UML_NET" 4 tuntap add umlt0n0 10.9.0.2 255.255.255.0
refused dgram "tuntap add" "unsupported request 'tuntap add'"
kernel "$UML_NET" 4 tuntap up 10.9.0.1 extra
refused dgram "an extra argument" "unsupported request"
kernel "$UML_NET" 4 add umlt0n0 10.9.0.2
refused frame "add without netmask" "unsupported request 'add umlt0n0'"

in_ns $A "$UML_NET" 4 tuntap up 10.9.0.1 >stdout.file 2>out
check "stdout a file: exit 1" test $? = 1
check "stdout a file: nothing written to it" test ! -s stdout.file
has "fd 1 is not the unix datagram socket the UML kernel passes; nothing done"
check "stdout a file: no tap made" test "$(taps)" = 0
{ in_ns $A "$UML_NET" 4 add umlt0n0 10.9.0.2 255.255.255.0 2>out
	echo $? >status; } | cat >pipe.out
check "stdout a pipe: exit 1, nothing written" test "$(cat status)" = 1 -a ! -s pipe.out
has "fd 1 is not the unix stream socket"
kernel --kind stream --timeout 2 "$UML_NET" 4 tuntap up 10.9.0.1
has_line "exit=1"
has "fd 1 is not the unix datagram socket"
kernel --kind dgram --timeout 2 "$UML_NET" 4 del umlt0n0 10.9.0.2 255.255.255.0
has_line "exit=1"
has "fd 1 is not the unix stream socket"
check "no tap after the misuse" test "$(taps)" = 0
in_ns $A "$UML_NET" >out 2>&1
check "no arguments: exit 1" test $? = 1
has "usage: uml_net 4 tuntap up GATE"

# 4, 5. add and del refusals, each leaving the state as it was, then an
# add and a del that work. Taps of another uid and without the prefix:
in_ns $A ip tuntap add dev umlt0n7 mode tap user 65534
in_ns $A ip tuntap add dev othertap0 mode tap user 0
cat >cases <<'CASES'
add uplink 10.9.0.2 255.255.255.0 not one of the caller's taps
del uplink 10.9.0.2 255.255.255.0 not one of the caller's taps
add lo 10.9.0.2 255.255.255.0 not one of the caller's taps
add nosuch0 10.9.0.2 255.255.255.0 not one of the caller's taps
add umlt0n9 10.9.0.2 255.255.255.0 no such interface
add tap0;id 10.9.0.2 255.255.255.0 not an interface name
add umlt0n0123456789 10.9.0.2 255.255.255.0 not an interface name
add umlt0n7 10.9.0.2 255.255.255.0 owned by uid 65534
add othertap0 10.9.0.2 255.255.255.0 not one of the caller's taps
add TAP 10.77.0.1 255.255.255.0 already an address of this host
add TAP 10.9.0.1 255.255.255.0 already an address of this host
add TAP 10.9.0.0 255.255.255.0 the network or broadcast address
add TAP 10.9.0.255 255.255.255.0 the network or broadcast address
add TAP 224.0.0.5 255.255.255.0 a reserved address
add TAP 192.168.7.2 255.255.255.0 outside the policy's guest_ranges
add TAP 10.9.0.2x 255.255.255.0 not a dotted-quad
add TAP 10.9.0.2 255.0.255.0 not a contiguous IPv4 netmask
del TAP 10.9.0.2 255.0.0.255 not a contiguous IPv4 netmask
CASES
cat >cases.sh <<'SCRIPT'
# IPv4 only: a new tap's IPv6 link-local address changes on its own.
snap() { ip -4 -j addr; ip -4 -j route; nft list ruleset; cat /proc/sys/net/ipv4/ip_forward; }
i=0
while read -r op dev addr mask why; do
	i=$((i + 1))
	[ "$dev" = TAP ] && dev=$UML_TAP
	snap >before.$i
	$KERNEL_SIDE "$UML_NET" 4 $op "$dev" $addr $mask >case.$i 2>&1
	snap >after.$i
done <cases
ip route >route.before
$KERNEL_SIDE "$UML_NET" 4 add $UML_TAP 10.9.0.2 255.255.255.0 >add.out 2>&1
ip route >route.mid
nft list ruleset >nft.mid
cat /proc/sys/net/ipv4/ip_forward >fwd.mid
$KERNEL_SIDE "$UML_NET" 4 del $UML_TAP 10.9.0.2 255.255.255.0 >del.out 2>&1
ip route >route.after
nft list ruleset >nft.after
SCRIPT
export KERNEL_SIDE UML_NET
kernel --then 'sh cases.sh' "$UML_NET" 4 tuntap up 10.9.0.1
has_line "fds=1"
i=0
taps_before=1		# umlt0n7
while read -r op dev addr mask why; do
	i=$((i + 1))
	cp case.$i out
	refused frame "$op $dev $addr $mask" "$why"
	check "$op $dev $addr $mask: state unchanged" cmp before.$i after.$i
done <cases
taps_before=0
cp add.out out
for l in kind=stream nul_terminated=yes exit=0; do
	has_line "$l"
done
has "text='uml_net: route 10.9.0.2/32 dev umlt0n0; masquerading its traffic; ip_forward on"
check "frame length is the text's, NUL included" test "$(sed -n 's/^frame=//p' out)" = "$(sed -n 's/^len=//p' out)"
has "10.9.0.2 dev umlt0n0 proto static scope link" route.mid
has 'ip saddr 10.9.0.2 oifname != "umlt0n0" masquerade comment "umlt0n0 10.9.0.2"' nft.mid
check "ip_forward on after add" test "$(cat fwd.mid)" = 1
cp del.out out
has_line "exit=0"
has "text='uml_net: removed route 10.9.0.2/32 dev umlt0n0 and its NAT rule"
check "del restores the routes" cmp route.before route.after
hasnt "masquerade" nft.after
in_ns $A ip link delete umlt0n7
in_ns $A ip link delete othertap0

# A UML killed before its del: the rule stays until its tap name is
# used again or the next add or del finds the tap gone.
kernel --then '$KERNEL_SIDE "$UML_NET" 4 add $UML_TAP 10.9.0.3 255.255.255.0 >/dev/null' \
    "$UML_NET" 4 tuntap up 10.9.0.1
in_ns $A nft list ruleset >out
has 'comment "umlt0n0 10.9.0.3"'
kernel --then 'nft list ruleset >nft.reused' "$UML_NET" 4 tuntap up 10.9.0.1
hasnt "10.9.0.3" nft.reused
kernel --then '$KERNEL_SIDE "$UML_NET" 4 add $UML_TAP 10.9.0.4 255.255.255.0 >/dev/null' \
    "$UML_NET" 4 tuntap up 10.9.0.1
in_ns $A ip tuntap add dev umlt0n5 mode tap user 0
kernel --then '$KERNEL_SIDE "$UML_NET" 4 add $UML_TAP 10.9.0.5 255.255.255.0 >/dev/null;
    nft list ruleset >nft.gc' "$UML_NET" 4 tuntap up 10.9.0.1
hasnt "10.9.0.4" nft.gc
has 'comment "umlt0n0 10.9.0.5"' nft.gc
in_ns $A ip link delete umlt0n5

# 6. Hardening: nothing of the caller's environment, descriptors or
# signal state is used.
mkdir evil
for p in sh bash ip ifconfig route arp modprobe; do
	printf '#!/bin/sh\ntouch %s/marker.%s\n' "$TEST_TMP" $p >evil/$p
	chmod +x evil/$p
done
printf 'touch %s/marker.env\n' "$TEST_TMP" >evil/env.sh
kernel --env BASH_ENV=$TEST_TMP/evil/env.sh --env ENV=$TEST_TMP/evil/env.sh \
    --env PATH=$TEST_TMP/evil --extra-fd $TEST_TMP/fd7 --stdin-pipe \
    --hostile-signals \
    --then '$KERNEL_SIDE --env BASH_ENV=$PWD/evil/env.sh --env PATH=$PWD/evil \
    --stdin-pipe --hostile-signals --extra-fd fd7 \
    "$UML_NET" 4 add $UML_TAP 10.9.0.2 255.255.255.0 >hard.add' \
    "$UML_NET" 4 tuntap up 10.9.0.1
has_line "fds=1"
has_line "exit=0"
has_line "exit=0" hard.add
check "no marker: nothing run, no BASH_ENV/ENV/PATH used" sh -c '! ls marker.* 2>/dev/null | grep -q .'
check "the inherited fd 7 got nothing" test ! -s fd7

# 7. Eight at once get eight taps; the ninth is over the quota. Each of
# the eight holds its tap until told (or 60 s pass), and the ninth asks
# only once all eight are up, however loaded the machine.
hold='i=0; while [ ! -e release ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done'
for i in 1 2 3 4 5 6 7 8; do
	in_ns $A $KERNEL_SIDE --then "$hold" "$UML_NET" 4 tuntap up 10.9.1.$i \
	    >par.$i 2>&1 &
done
for i in $(seq 300); do
	[ "$(taps)" = 8 ] && break
	sleep 0.1
done
kernel "$UML_NET" 4 tuntap up 10.9.1.9
r_taps=$(taps)
touch release
wait
check "8 parallel calls: 8 descriptors" test "$(cat par.* | grep -cx fds=1)" = 8
check "8 parallel calls: 8 distinct names" test "$(sed -n 's/^name=//p' par.* | sort -u | wc -l)" = 8
grep -qE "^text=.uml_net: .*max_taps" out && grep -qx fds=0 out
check "the ninth is refused: max_taps" test $? = 0 -a "$r_taps" = 8
check "all gone afterwards" test "$(taps)" = 0

# Unprivileged callers. Without privileges: refused in protocol.
cp "$UML_NET" plain_uml_net
chmod 755 plain_uml_net
nobody="setpriv --reuid=65534 --regid=65534 --groups=4242 --"
kernel $nobody "$TEST_TMP/plain_uml_net" 4 tuntap up 10.9.0.1
refused dgram "nobody without CAP_NET_ADMIN" "/dev/net/tun: Permission denied|Operation not permitted"
kernel setpriv --reuid=65534 --regid=65534 --groups=4243 -- \
    "$TEST_TMP/plain_uml_net" 4 tuntap up 10.9.0.1
refused dgram "nobody outside the group" "uid 65534 is not in group '4242'"

# With a file-capability copy: works for nobody, whose tap it is. It
# reads only the compiled-in policy (AT_SECURE), so that file, a
# /dev/net/tun nobody may open, and the copy are set up in a private
# mount namespace; nothing on the host changes.
conf=$("$UML_NET" 2>&1 | sed -n 's/.*policy: //p')
if command -v cc >/dev/null; then
	cat >evil.c <<C
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
/* Leaves marker.preload.PROGRAM behind wherever it is loaded. */
__attribute__((constructor)) static void
f(void)
{
	char	 path[512];

	snprintf(path, sizeof path, "$TEST_TMP/marker.preload.%s",
	    program_invocation_short_name);
	open(path, O_CREAT | O_WRONLY, 0644);
}
C
	cc -shared -fPIC -o evil.so evil.c
fi
net_policy deny.conf <<POLICY
group = 4243
POLICY
mkdir priv
cat >caps.sh <<SCRIPT
set -e
mount -t tmpfs -o mode=755 none $TEST_TMP/priv
cp "$UML_NET" priv/uml_net
chmod 755 priv/uml_net
setcap cap_net_admin+ep priv/uml_net
mknod priv/tun c 10 200
chmod 666 priv/tun
mount --bind priv/tun /dev/net/tun
d=\$(dirname "$conf")
[ -d "\$d" ] || d=\$(dirname "\$d")
mount -t tmpfs -o mode=755 none "\$d"
mkdir -p "\$(dirname "$conf")"
cp policy.conf "$conf"
$KERNEL_SIDE --env LD_PRELOAD=$TEST_TMP/evil.so --env UML_NET_CONF=$TEST_TMP/deny.conf \
    --then 'cat /sys/class/net/\$UML_TAP/owner >caps.owner;
    $KERNEL_SIDE $nobody priv/uml_net 4 add \$UML_TAP 10.9.0.2 255.255.255.0 >caps.add 2>&1
    nft list ruleset >caps.nft
    $KERNEL_SIDE $nobody priv/uml_net 4 add umlt0n0 10.9.0.3 255.255.255.0 >caps.other 2>&1
    $KERNEL_SIDE $nobody priv/uml_net 4 del \$UML_TAP 10.9.0.2 255.255.255.0 >caps.del 2>&1' \
    $nobody priv/uml_net 4 tuntap up 10.9.0.1
# Installed setuid root instead, it becomes nobody with CAP_NET_ADMIN.
cp "$UML_NET" priv/suid_uml_net
chmod 4755 priv/suid_uml_net
$KERNEL_SIDE --then 'cat /sys/class/net/\$UML_TAP/owner >suid.owner' \
    $nobody priv/suid_uml_net 4 tuntap up 10.9.0.1 >suid.up 2>&1
SCRIPT
if [ -d "$(dirname "$(dirname "$conf")")" ] || [ -d "$(dirname "$conf")" ]; then
	in_ns $A unshare --mount sh caps.sh >out 2>&1
	has_line "fds=1"
	has_line "name=umlt65534n0"
	check "nobody's tap is owned by nobody" test "$(cat caps.owner)" = 65534
	has_line "exit=0" caps.add
	has 'comment "umlt65534n0 10.9.0.2"' caps.nft
	has "not one of the caller's taps" caps.other
	has_line "exit=0" caps.del
	if [ -f evil.so ]; then
		check "LD_PRELOAD works on setpriv (the control)" test -e marker.preload.setpriv
		check "LD_PRELOAD was not honoured by uml_net" test ! -e marker.preload.uml_net
	fi
	has_line "fds=1" suid.up
	has_line "name=umlt65534n0" suid.up
	check "setuid: the tap is owned by nobody" test "$(cat suid.owner)" = 65534
	check "no tap left" test "$(taps)" = 0
else
	ok "# SKIP the compiled-in policy directory $conf has no parent to cover"
fi

# 8. NAT for real: a frame the guest writes into the tap reaches B from
# A's address; after del the rule is gone.
in_ns $B $PYTHON3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.2", 5000))
s.settimeout(20)
with open(sys.argv[1], "a") as f:
    while True:
        d, a = s.recvfrom(100)
        f.write("%s %s\n" % (a[0], d.decode()))
        f.flush()
' "$TEST_TMP/received" 2>/dev/null &
net_pids="$net_pids $!"
sleep 1
kernel --then '$KERNEL_SIDE "$UML_NET" 4 add $UML_TAP 10.9.0.2 255.255.255.0 >nat.add' \
    --udp 10.9.0.2:4000:10.77.0.2:5000:masqueraded \
    --then '$KERNEL_SIDE "$UML_NET" 4 del $UML_TAP 10.9.0.2 255.255.255.0 >nat.del;
    nft list ruleset >nat.after' \
    "$UML_NET" 4 tuntap up 10.9.0.1
has_line "exit=0" nat.add
has_line "10.77.0.1 masqueraded" received
has_line "exit=0" nat.del
hasnt "10.9.0.2" nat.after

finish
