# libnet.sh: network namespaces for the tests of uml_net and
# transport=tuntap. Source it after libtest.sh.
#
# Every tap, veth and rule a test makes lives in a namespace the test
# created, named rs<pid><x> by the test,, and removed at exit (also on failure), with
# any process started inside it.

: "${UML_NET:=$TEST_BUILDDIR/../uml-net/uml_net}"
KERNEL_SIDE="$PYTHON3 $TEST_SRCDIR/uml-net-kernel.py"
net_namespaces=
net_pids=

net_cleanup() {
	for p in $net_pids; do
		kill -KILL "$p" 2>/dev/null
	done
	for ns in $net_namespaces; do
		# Anything still running in it, then the namespace.
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns delete "$ns" 2>/dev/null
	done
	net_namespaces=
}
trap 'net_cleanup; test_cleanup' EXIT

# Skip the whole test unless namespaces and the tools can be had.
net_require() {
	[ "$(id -u)" = 0 ] || skip_all "needs root to make network namespaces"
	for t in ip nft setpriv unshare; do
		command -v "$t" >/dev/null || skip_all "needs $t"
	done
	[ -c /dev/net/tun ] || skip_all "needs /dev/net/tun"
	[ -x "$UML_NET" ] || skip_all "uml_net not built: $UML_NET"
}

# net_ns NAME: make the namespace (call it rs$$x) with lo up. Not in a
# subshell: the name is remembered for the cleanup.
net_ns() {
	ip netns add "$1" || return 1
	net_namespaces="$net_namespaces $1"
	ip -n "$1" link set lo up
}

# net_link NS_A ADDR_A NS_B ADDR_B: a veth pair between two namespaces,
# "uplink" in A and "peer" in B, with ADDR/24 on each end.
net_link() {
	ip link add uplink netns "$1" type veth peer name peer netns "$3" &&
	ip -n "$1" addr add "$2/24" dev uplink &&
	ip -n "$3" addr add "$4/24" dev peer &&
	ip -n "$1" link set uplink up &&
	ip -n "$3" link set peer up
}

# in_ns NS COMMAND...: run in the namespace.
in_ns() {
	in_ns_name=$1
	shift
	ip netns exec "$in_ns_name" "$@"
}

# A trusted policy file (root-owned, 0644) for UML_NET_CONF.
net_policy() {
	cat >"$1"
	chmod 0644 "$1"
}
