# libnet.sh: network namespaces for the tests of uml_net and
# transport=tuntap. Source it after libtest.sh.
#
# Every tap, veth and rule a test makes lives in a namespace the test
# created, named rs<pid><x> by the test, and removed at exit (also on
# failure), with any process started inside it.

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

# net_gate NS: a TCP server on port 8080 in namespace NS that answers
# each connection with "gate answers ADDR", the caller's address: a guest
# shows it reached the host side, and from which address. net_cleanup
# kills it.
net_gate() {
	in_ns "$1" "$PYTHON3" -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080))
s.listen(4)
while True:
    c, a = s.accept()
    c.sendall(b"gate answers %s\n" % a[0].encode())
    c.close()
' &
	net_pids="$net_pids $!"
}

# net_relay_host SOCKET [HOST PORT]: net-relay.py's host half, joining
# each connection on SOCKET to HOST:PORT (deb.debian.org:80), until
# SOCKET exists. Its PID is net_relay_pid; net_cleanup kills it.
net_relay_host() {
	rm -f "$1"
	"$PYTHON3" "$TEST_SRCDIR/net-relay.py" host "$@" &
	net_relay_pid=$!
	net_pids="$net_pids $net_relay_pid"
	for i in $(seq 100); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# net_relay NS ADDR PORT SOCKET LOG: net-relay.py's proxy half in NS, from
# ADDR:PORT to SOCKET, logging request lines to LOG, until ADDR:PORT
# accepts connections (rootstrap asks the mirror before it starts).
net_relay() {
	in_ns "$1" "$PYTHON3" "$TEST_SRCDIR/net-relay.py" proxy "$2" "$3" \
	    "$4" "$5" &
	net_pids="$net_pids $!"
	for i in $(seq 100); do
		in_ns "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null &&
		    return 0
		sleep 0.1
	done
	return 1
}

# A trusted policy file (root-owned, 0644) for UML_NET_CONF.
net_policy() {
	cat >"$1"
	chmod 0644 "$1"
}

# The namespace kernel, taps and refused act in: the test sets it.
NET_NS=

# kernel ARGS...: the UML kernel's side in $NET_NS; its report in out.
kernel() {
	in_ns $NET_NS $KERNEL_SIDE --timeout 10 "$@" >"$TEST_TMP/out" 2>&1
}

# How many umlt* interfaces $NET_NS has.
taps() {
	in_ns $NET_NS ip -o link show | grep -c 'umlt'
}

# refused KIND DESC PATTERN [FILE]: the call reported in FILE (out) was
# answered in protocol (one datagram without a descriptor, or one whole
# frame), exit 1, with text matching PATTERN, and no tap is left other
# than $taps_before.
refused() {
	r_out=${4:-out}
	r_ok=1
	case $1 in
	dgram)	for l in datagrams=1 fds=0 nul_terminated=yes exit=1 \
		    second=no; do
			grep -qx "$l" "$r_out" || r_ok=0
		done ;;
	frame)	n=$(sed -n 's/^frame=//p' "$r_out")
		[ -n "$n" ] && grep -qx "len=$n" "$r_out" || r_ok=0
		for l in nul_terminated=yes exit=1; do
			grep -qx "$l" "$r_out" || r_ok=0
		done ;;
	esac
	grep -qE "^text=.uml_net: .*($3)" "$r_out" || r_ok=0
	[ "$(taps)" = "${taps_before:-0}" ] || r_ok=0
	if [ $r_ok = 1 ]; then
		ok "$2: refused in protocol ($1)"
	else
		not_ok "$2: not refused in protocol ($1), expected /$3/"
		show "$r_out"
	fi
}

# The host's state uml_net could change, as text, for before and after
# comparisons: IPv4 only (a new tap's IPv6 link-local address comes and
# goes on its own). A script, so that commands run by the kernel's side
# inside a namespace can call it too: sh $NET_SNAP >FILE.
NET_SNAP=$TEST_TMP/net-snap.sh
cat >"$NET_SNAP" <<'SNAP'
ip -4 -o addr show
ip -4 route show table all
ip -4 neigh show
ip -4 neigh show proxy
nft list ruleset
cat /proc/sys/net/ipv4/ip_forward
SNAP
export NET_SNAP
