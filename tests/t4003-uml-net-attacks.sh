#!/bin/sh
# Issue 13, items 1-4: what a member of the uml-net group tried against
# uml_net, each refused for the reason it states, with the host's state
# (addresses, routes, neighbours, nftables rules) the same afterwards:
# taking over an address the host uses (1), racing del against the tap's
# end (2), unbounded addresses and NAT rules (3), racing up past
# max_taps (4). Everything happens in namespaces made here.
. "$TEST_SRCDIR/libtest.sh"
. "$TEST_SRCDIR/libnet.sh"
net_require

A=rs$$a
B=rs$$b
if ! { net_ns $A && net_ns $B && net_link $A 10.77.0.1 $B 10.77.0.2; }; then
	not_ok "could not make the namespaces"
	finish
fi
NET_NS=$A
export KERNEL_SIDE UML_NET

# The host A: a LAN (uplink, 10.77.0.0/24) whose gateway is B; a network
# behind it with a DNS server (10.60.0.0/24); a route and a nexthop
# object through gateways outside any of its networks; a neighbour and a
# proxy entry; and a tap of
# another user (65534) with a gate and two guest routes, as uml_net would
# have made them for that user. 10.9.0.8 is root's own host route.
peer_mac=$(in_ns $B cat /sys/class/net/peer/address)
in_ns $A sh -e <<SETUP
ip route add default via 10.77.0.2
ip route add 10.60.0.0/24 via 10.77.0.2
ip route add 10.61.0.0/24 via 10.50.0.1 dev uplink onlink
ip nexthop add id 7 via 10.50.0.7 dev uplink onlink
ip neigh replace 10.77.0.2 lladdr $peer_mac dev uplink nud permanent
ip neigh add 10.9.99.9 lladdr 02:00:00:00:99:09 dev uplink nud permanent
ip neigh add proxy 10.9.98.8 dev uplink
ip tuntap add dev umlt65534n0 mode tap user 65534
ip link set umlt65534n0 up
ip addr add 10.9.6.1/32 dev umlt65534n0
ip route add 10.9.5.5/32 dev umlt65534n0 proto static scope link
ip route add 10.9.0.9/32 dev umlt65534n0 proto static scope link
ip route add 10.9.0.8/32 dev uplink proto static scope link
SETUP
check "the host's networks are set up" test $? = 0
taps_before=1

# A policy as wide as the old default, so that only the new checks can
# refuse; it parses in the old helper too (no max_addresses).
net_policy policy.conf <<POLICY
group = 4242
gate_ranges = 10.0.0.0/8
guest_ranges = 10.0.0.0/8
max_taps = 3
POLICY
export UML_NET_CONF=$TEST_TMP/policy.conf

# Item 1, gates: an address the host uses, on the LAN, behind a route, as
# a gateway or a neighbour, or another user's guest, is not made a local
# address of a tap (another user's gate, a local address, was refused
# before; t4001 covers that) (the host would answer ARP for it on the LAN, and keep
# its own traffic to it).
cat >gates <<'CASES'
10.77.0.2	the LAN's gateway	inside 10.77.0.0/24, a network of uplink
10.77.0.200	an unused LAN address	inside 10.77.0.0/24, a network of uplink
10.60.0.1	in a routed network	inside 10.60.0.0/24, which this host routes to uplink
10.50.0.1	a route's gateway	the gateway of a route of this host \(via uplink\)
10.50.0.7	a nexthop's gateway	the gateway of a nexthop of this host \(via uplink\)
10.9.99.9	a neighbour	in this host's neighbour table \(uplink\)
10.9.98.8	a proxy neighbour	in this host's proxy neighbour table \(uplink\)
10.9.5.5	another user's guest	inside 10.9.5.5/32, which this host routes to umlt65534n0
CASES
in_ns $A sh $NET_SNAP >before
while IFS='	' read -r gate what why; do
	kernel "$UML_NET" 4 tuntap up $gate
	refused dgram "item 1: gate $gate, $what" "$why"
done <gates
in_ns $A sh $NET_SNAP >after
check "item 1: the gates refused, the host's state is unchanged" cmp before after

# Item 1, guests: a guest address routed to a tap would take the host's
# own traffic to it (a DNS server at 10.60.0.53) to the caller's guest.
cat >guests <<'CASES'
10.60.0.53	a DNS server behind a route	inside 10.60.0.0/24, which this host routes to uplink
10.77.0.9	a host on the LAN	inside 10.77.0.0/24, a network of uplink
10.77.0.2	the LAN's gateway	inside 10.77.0.0/24, a network of uplink
10.50.0.1	a route's gateway	the gateway of a route of this host \(via uplink\)
10.50.0.7	a nexthop's gateway	the gateway of a nexthop of this host \(via uplink\)
10.9.99.9	a neighbour	in this host's neighbour table \(uplink\)
10.9.98.8	a proxy neighbour	in this host's proxy neighbour table \(uplink\)
10.9.5.5	another user's guest	inside 10.9.5.5/32, which this host routes to umlt65534n0
CASES
cat >guests.sh <<'SCRIPT'
i=0
while IFS='	' read -r addr what why; do
	i=$((i + 1))
	sh $NET_SNAP >before.$i
	$KERNEL_SIDE "$UML_NET" 4 add $UML_TAP $addr 255.255.255.0 >guest.$i 2>&1
	sh $NET_SNAP >after.$i
done <guests
# The caller's own tap does not stand in its way: a neighbour entry of
# its guest on it, and its address added, removed and added again.
$KERNEL_SIDE "$UML_NET" 4 add $UML_TAP 10.9.0.2 255.255.255.0 >own.1 2>&1
ip neigh replace 10.9.0.2 lladdr 02:fd:0a:09:00:02 dev $UML_TAP nud permanent
$KERNEL_SIDE "$UML_NET" 4 del $UML_TAP 10.9.0.2 255.255.255.0 >own.2 2>&1
$KERNEL_SIDE "$UML_NET" 4 add $UML_TAP 10.9.0.2 255.255.255.0 >own.3 2>&1
SCRIPT
kernel --then 'sh guests.sh' "$UML_NET" 4 tuntap up 10.9.0.1
has_line "fds=1"
i=0
while IFS='	' read -r addr what why; do
	i=$((i + 1))
	refused frame "item 1: guest $addr, $what" "$why" guest.$i
	check "item 1: guest $addr: the host's state is unchanged" \
	    cmp before.$i after.$i
done <guests
for i in 1 2 3; do
	has_line "exit=0" own.$i
done
has "removed route 10.9.0.2/32 dev umlt0n0 and its NAT rule" own.2

# Item 1, the defaults: without a policy file, and with the shipped one,
# only the narrow default range is given out, not all of RFC 1918.
cp "$TEST_SRCDIR/../conf/uml-net.conf" shipped.conf
chmod 0644 shipped.conf
for conf in none.conf shipped.conf; do
	export UML_NET_CONF=$TEST_TMP/$conf
	for gate in 192.168.2.1 172.16.0.1 10.9.0.1; do
		kernel "$UML_NET" 4 tuntap up $gate
		refused dgram "item 1: $conf: gate $gate" \
		    "gate $gate: outside the policy's gate_ranges"
	done
done
# Item 3: and at most 16 guest addresses per user by default.
cat >default.sh <<'SCRIPT'
for i in $(seq 2 18); do
	$KERNEL_SIDE "$UML_NET" 4 add $UML_TAP 10.213.47.$i 255.255.255.0 >default.$i 2>&1
done
sh $NET_SNAP >default.snap
SCRIPT
kernel --then 'sh default.sh' "$UML_NET" 4 tuntap up 10.213.47.1
has_line "fds=1"
check "item 3: the default policy gives 16 guest addresses" \
    test "$(cat default.[0-9]* | grep -cx exit=0)" = 16
refused frame "item 3: the 17th address, by default" \
    "uid 0 already has 16 guest addresses, the policy's max_addresses" \
    default.18
hasnt "10.213.47.18" default.snap
export UML_NET_CONF=$TEST_TMP/policy.conf
# The rules of that tap are stale now: out of the way of what follows.
in_ns $A nft delete table ip uml_net

# Item 2: del removes a route only if it is on the caller's tap, and by
# that tap's index. Root's route 10.9.0.8 on uplink and the other user's
# 10.9.0.9 must survive a del of those addresses on the caller's tap,
# also when the tap goes away while del runs (UML closed it).
in_ns $A sh $NET_SNAP >before
kernel --then '$KERNEL_SIDE "$UML_NET" 4 del $UML_TAP 10.9.0.8 255.255.255.0 >del.plain 2>&1' \
    "$UML_NET" 4 tuntap up 10.9.0.1
has_line "exit=0" del.plain
has "uml_net: no route 10.9.0.8/32 dev umlt0n0 to remove" del.plain
# race.sh OUT ADDR WHEN READY: del ADDR on $UML_TAP in the background,
# strace holding each of its netlink sends from the WHEN-th on back for
# a second; return, so that the tap is closed, once its trace matches
# READY: the first send begun (the old helper had checked the tap by
# then, and looked up its index only after), or done (this one has
# checked the tap and its index by then, and looks for the route next).
cat >race.sh <<'SCRIPT'
$KERNEL_SIDE --timeout 20 strace -qq -o $1.trace -e trace=sendto \
    -e inject=sendto:delay_enter=1000000:when=$3 \
    "$UML_NET" 4 del $UML_TAP $2 255.255.255.0 >$1 2>&1 &
i=0
until grep -q "$4" $1.trace 2>/dev/null || [ $i -ge 400 ]; do
	sleep 0.05
	i=$((i + 1))
done
SCRIPT
if command -v strace >/dev/null; then
	kernel --then 'sh race.sh race.1 10.9.0.8 1+ "^sendto("' \
	    "$UML_NET" 4 tuntap up 10.9.0.1
	wait_for race.1 "exit="
	kernel --then 'sh race.sh race.2 10.9.0.9 1+ "^sendto("' \
	    "$UML_NET" 4 tuntap up 10.9.0.1
	wait_for race.2 "exit="
	kernel --then 'sh race.sh race.3 10.9.0.8 2+ "^sendto(.*) = "' \
	    "$UML_NET" 4 tuntap up 10.9.0.1
	wait_for race.3 "exit="
	refused frame "item 2: del 10.9.0.8 as the tap goes" \
	    "device umlt0n0: no such interface" race.1
	refused frame "item 2: del 10.9.0.9 as the tap goes" \
	    "device umlt0n0: no such interface" race.2
	has_line "exit=0" race.3
	has "uml_net: no route 10.9.0.8/32 dev umlt0n0 to remove" race.3
else
	ok "# SKIP item 2's race: no strace"
fi
in_ns $A sh $NET_SNAP >after
has "10.9.0.8 dev uplink proto static scope link" after
has "10.9.0.9 dev umlt65534n0 proto static scope link" after
check "item 2: the host's state is unchanged" diff before after

# Item 3: max_addresses per user, over all the caller's taps, counted as
# they are now (a del gives one back).
net_policy limits.conf <<POLICY
group = 4242
gate_ranges = 10.0.0.0/8
guest_ranges = 10.0.0.0/8
max_addresses = 4
POLICY
export UML_NET_CONF=$TEST_TMP/limits.conf
cat >limits.sh <<'SCRIPT'
add() { $KERNEL_SIDE "$UML_NET" 4 $1 $2 $3 255.255.255.0 >$4 2>&1; }
add add $OUTER 10.9.0.2 lim.1
add add $OUTER 10.9.0.3 lim.2
add add $OUTER 10.9.0.4 lim.3
add add $UML_TAP 10.9.0.12 lim.4
sh $NET_SNAP >lim.before
add add $UML_TAP 10.9.0.13 lim.5
sh $NET_SNAP >lim.after
add del $OUTER 10.9.0.2 lim.6
add add $UML_TAP 10.9.0.13 lim.7
SCRIPT
kernel --then 'OUTER=$UML_TAP $KERNEL_SIDE --then "sh limits.sh" "$UML_NET" 4 tuntap up 10.9.0.11 >lim.inner' \
    "$UML_NET" 4 tuntap up 10.9.0.1
has_line "fds=1" lim.inner
check "item 3: 4 addresses on two taps" \
    test "$(cat lim.1 lim.2 lim.3 lim.4 | grep -cx exit=0)" = 4
refused frame "item 3: a fifth address" \
    "uid 0 already has 4 guest addresses, the policy's max_addresses" lim.5
check "item 3: the fifth refused, the host's state is unchanged" \
    cmp lim.before lim.after
has_line "exit=0" lim.6
has_line "exit=0" lim.7
export UML_NET_CONF=$TEST_TMP/policy.conf

# Item 3: the NAT rules are listed in full. With 300 rules of the other
# user's tap before ours, del still finds and removes ours; and 1000 rules
# of a tap that is gone (umlt0n9) all go at the next add.
{
	echo 'table ip uml_net {'
	echo ' chain postrouting {'
	echo '  type nat hook postrouting priority srcnat; policy accept;'
	for i in $(seq 1 300); do
		a=10.8.$((i / 250)).$((i % 250 + 1))
		echo "  ip saddr $a oifname != \"umlt65534n0\" masquerade comment \"umlt65534n0 $a\""
	done
	echo ' }'
	echo '}'
} >many.nft
{
	echo 'table ip uml_net {'
	echo ' chain postrouting {'
	for i in $(seq 1 1000); do
		a=10.7.$((i / 250)).$((i % 250 + 1))
		echo "  ip saddr $a oifname != \"umlt0n9\" masquerade comment \"umlt0n9 $a\""
	done
	echo ' }'
	echo '}'
} >stale.nft
in_ns $A nft -f many.nft
kernel --then '$KERNEL_SIDE "$UML_NET" 4 add $UML_TAP 10.9.0.2 255.255.255.0 >nat.add 2>&1
    nft list table ip uml_net >nat.mid
    $KERNEL_SIDE "$UML_NET" 4 del $UML_TAP 10.9.0.2 255.255.255.0 >nat.del 2>&1
    nft list table ip uml_net >nat.after
    nft -f stale.nft
    $KERNEL_SIDE "$UML_NET" 4 add $UML_TAP 10.9.0.3 255.255.255.0 >nat.stale 2>&1
    nft list table ip uml_net >nat.swept' \
    "$UML_NET" 4 tuntap up 10.9.0.1
has_line "exit=0" nat.add
has 'comment "umlt0n0 10.9.0.2"' nat.mid
has_line "exit=0" nat.del
has "removed route 10.9.0.2/32 dev umlt0n0 and its NAT rule" nat.del
hasnt 'comment "umlt0n0 10.9.0.2"' nat.after
check "item 3: the other 300 rules stay" \
    test "$(grep -c 'comment "umlt65534n0' nat.after)" = 300
has_line "exit=0" nat.stale
check "item 3: all 1000 rules of the gone tap were removed" \
    test "$(grep -c 'umlt0n9' nat.swept)" = 0
has 'comment "umlt0n0 10.9.0.3"' nat.swept
check "item 3: and the other 300 stay" \
    test "$(grep -c 'comment "umlt65534n0' nat.swept)" = 300
in_ns $A nft delete table ip uml_net

# Item 4: twelve up requests at once, each held back in its ioctls (the
# tap's creation) by strace, with max_taps 3: three taps, and nine
# refusals for max_taps, not for the lock.
if command -v strace >/dev/null; then
	for i in $(seq 1 12); do
		in_ns $A $KERNEL_SIDE --timeout 15 --then 'sleep 3' \
		    strace -qq -o /dev/null -e trace=ioctl \
		    -e inject=ioctl:delay_enter=100000 \
		    "$UML_NET" 4 tuntap up 10.9.1.$i >par.$i 2>&1 &
	done
	wait
	check "item 4: 12 racing up requests, max_taps 3: 3 taps" \
	    test "$(cat par.* | grep -cx fds=1)" = 3
	check "item 4: 9 refused for max_taps" \
	    test "$(grep -l "already has 3 taps, the policy's max_taps" par.* | wc -l)" = 9
	check "item 4: none gave no answer" \
	    test "$(cat par.* | grep -c '^exit=0$\|^exit=1$')" = 12
	check "item 4: the taps are gone afterwards" test "$(taps)" = 1
else
	ok "# SKIP item 4's race: no strace"
fi

# Item 4: the lock is uml_net's own executable, which a caller can read
# and so hold: then a request waits for it and is refused in protocol,
# rather than going ahead unlocked or hanging UML.
ip netns exec $A sh -c 'exec 9<"$1"; flock -x 9; exec sleep 30' sh "$UML_NET" &
holder=$!
net_pids="$net_pids $holder"
sleep 0.5
kernel "$UML_NET" 4 tuntap up 10.9.0.1
refused dgram "item 4: the lock held by someone else" \
    "another request has held the lock \(uml_net's executable\) for 5 s"
kill -KILL $holder
wait $holder 2>/dev/null
kernel "$UML_NET" 4 tuntap up 10.9.0.1
has_line "fds=1"

finish
