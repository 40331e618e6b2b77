#!/bin/sh
# transport=tuntap: a build whose guest fetches packages over a tap made
# by our uml_net, and an image that brings the same network up at its
# first boot. All inside namespaces made here: A holds UML and its tap,
# B (behind a veth) a proxy whose only way out is a relay, in the host's
# namespace, to deb.debian.org.
. "$TEST_SRCDIR/libtest.sh"
. "$TEST_SRCDIR/libnet.sh"
net_require
command -v linux.uml >/dev/null || skip_all "needs linux.uml (user-mode-linux)"

A=rs$$a
B=rs$$b
if ! { net_ns $A && net_ns $B && net_link $A 10.77.0.1 $B 10.77.0.2; }; then
	not_ok "could not make the namespaces"
	finish
fi
"$PYTHON3" "$TEST_SRCDIR/net-relay.py" host "$TEST_TMP/relay.sock" &
net_pids="$net_pids $!"
sleep 1
in_ns $B "$PYTHON3" "$TEST_SRCDIR/net-relay.py" proxy 10.77.0.2 3128 \
    "$TEST_TMP/relay.sock" "$TEST_TMP/relay.log" &
net_pids="$net_pids $!"
# rootstrap asks the mirror (through the proxy) before it starts: wait
# until the proxy listens.
for i in $(seq 100); do
	in_ns $A bash -c 'exec 3<>/dev/tcp/10.77.0.2/3128' 2>/dev/null && break
	sleep 0.1
done

net_policy policy.conf <<POLICY
group = 0
gate_ranges = 10.9.0.0/24
guest_ranges = 10.9.0.0/24
POLICY
export UML_NET_CONF=$TEST_TMP/policy.conf

# The shared package cache, if the suite has one, less the packages that
# must then come over the tap.
mkdir cache
[ -d "$TEST_CACHE/bookworm" ] && cp "$TEST_CACHE/bookworm"/*.deb cache/ 2>/dev/null
rm -f cache/systemd_* cache/udev_* cache/libsystemd*

cat >tuntap.conf <<CONF
[global]
PATH=/usr/sbin:/usr/bin:/sbin:/bin
http_proxy=http://10.77.0.2:3128/
freespace=160
timeout=1800
[network]
transport=tuntap
host=10.9.0.1
uml=10.9.0.2
netmask=255.255.255.0
nameserver=10.77.0.2
[debian]
# The classic method: debootstrap in the guest fetches over the tap.
method=debootstrap
dist=bookworm
variant=minbase
include=systemd-sysv udev
cache=$TEST_TMP/cache
CONF

# The build runs on kernel=auto's kernel. Without the legacy transports
# (Linux 6.16 on) rootstrap asks uml_net for the tap itself and hands it
# to the vector driver; on an older kernel UML runs uml_net.
"$ROOTSTRAP" check -c tuntap.conf 2>&1 | grep '^ok *transports:' >transports
run_status 0 in_ns $A "$ROOTSTRAP" -c tuntap.conf -o build.log tuntap.img
show build.log 15
if grep -q tuntap transports; then
	has "eth0=tuntap,,,10.9.0.1" build.log
else
	has "vec0:transport=fd,fd=5,vec=0" build.log
	check "rootstrap made the tap through uml_net" grep -q \
	    '^rootstrap: .*uml_net: 10.9.0.1 (tap umlt[0-9a-z]* for 10.9.0.2)$' build.log
fi
has "rootstrap: module network: ok" build.log
has "rootstrap: module debian: ok" build.log
check "the relay carried requests from the guest" test -s relay.log
has "/debian/dists/bookworm/InRelease" relay.log
has "/debian/pool/main/s/systemd/systemd_" relay.log
in_ns $A nft list ruleset >nft.after
hasnt "10.9.0.2" nft.after
in_ns $A ip -o link show >links.after
hasnt "umlt" links.after
check_e2fsck() { e2fsck -fn tuntap.img; }
check "e2fsck -fn finds the image clean" check_e2fsck
image_cat tuntap.img /etc/systemd/network/10-rootstrap.network >net
has "Address=10.9.0.2/24" net
has "Gateway=10.9.0.1" net
image_cat tuntap.img /etc/resolv.conf >resolv
has "nameserver 10.77.0.2" resolv

# First boot with the documented command line, on the host's kernel (the
# legacy tuntap transport runs uml_net itself): our uml_net first on PATH.
net_gate $A
in_ns $A env PATH="$ROOTSTRAP_LIBEXECDIR:$PATH" "$PYTHON3" \
    "$TEST_SRCDIR/uml-console.py" --timeout 300 \
    --transcript "$TEST_TMP/console.log" "$TEST_TMP/boot.cow,tuntap.img" \
    mem=256M eth0=tuntap,,,10.9.0.1 -- \
    'for i in $(seq 30); do grep -q "^eth0	00000000	0100090A" /proc/net/route && break; sleep 1; done' \
    'echo "addresses: $(hostname -I)"' \
    'awk '"'"'$2 == "00000000" { print "default route via " $3 " dev " $1 }'"'"' /proc/net/route' \
    'exec 3<>/dev/tcp/10.9.0.1/8080 && cat <&3' \
    'apt-get -o Acquire::http::Proxy=http://10.77.0.2:3128/ -o Acquire::Languages=none update' \
    >out 2>&1
check "booted the image and ran the commands (uml-console: $?)" test $? = 0
hasnt "uml-console: command"
# minbase has neither ip(8) nor D-Bus for networkctl: ask /proc.
has "addresses: 10.9.0.2"
# 10.9.0.1 in /proc/net/route's byte order.
has "default route via 0100090A dev eth0"
has "gate answers 10.9.0.2"
has "Reading package lists"
hasnt "Failed to fetch"
in_ns $A nft list ruleset >nft.boot
hasnt "10.9.0.2" nft.boot
in_ns $A ip -o link show >links.boot
hasnt "umlt" links.boot

finish
