#!/bin/sh
# rootstrap run -N tuntap: the command's guest on a tap made by our
# uml_net, reaching a server on the host's end, on kernel=auto's kernel
# (the tap handed to the vector driver) and the host's (UML runs uml_net
# itself); the tap and its rules gone after. Inside a namespace made here.
. "$TEST_SRCDIR/libtest.sh"
. "$TEST_SRCDIR/libnet.sh"
net_require

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"

A=rs$$a
net_ns $A || { not_ok "could not make the namespace"; finish; }
net_policy policy.conf <<POLICY
group = 0
gate_ranges = 10.9.1.0/24
guest_ranges = 10.9.1.0/24
POLICY
export UML_NET_CONF=$TEST_TMP/policy.conf

net_gate $A
for i in $(seq 100); do
	in_ns $A bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080' 2>/dev/null && break
	sleep 0.1
done

ask='exec 3<>/dev/tcp/10.9.1.1/8080 && cat <&3'
in_ns $A "$ROOTSTRAP" run -S -N tuntap:10.9.1.1:10.9.1.2 "$img" -- \
    bash -c "$ask" >out 2>&1
check "the guest on the tap reaches the host's end (status $?)" \
    grep -qx "gate answers 10.9.1.2" out
show out 5
in_ns $A ip -o link show >links
hasnt "umlt" links
in_ns $A nft list ruleset >nft
hasnt "10.9.1.2" nft

if command -v linux.uml >/dev/null; then
	in_ns $A "$ROOTSTRAP" run -S -k linux.uml \
	    -N tuntap:10.9.1.1:10.9.1.3 "$img" -- bash -c "$ask" >out 2>&1
	check "so does it on the host's kernel, through eth0=tuntap" \
	    grep -qx "gate answers 10.9.1.3" out
	show out 5
	in_ns $A ip -o link show >links
	hasnt "umlt" links
fi

# Without -N the guest has no network.
in_ns $A "$ROOTSTRAP" run -S "$img" -- bash -c "$ask || echo unreachable" \
    >out 2>&1
has_line unreachable

nothing_left .
finish
