#!/bin/sh
# Issue 14, item 2: the README's proxy example, http_proxy=http://10.0.2.2:3128/
# (the guest's view of the host's loopback), works for every path that
# reaches the mirror: rootstrap check's mirror test (the build's
# preflight), the image cache's key, the host-side fetch, and apt in the
# guest, on transport=user and over a host_if tap; written either way
# (10.0.2.2 or 127.0.0.1), each side gets its own view; with
# transport=none the host side too.
#
# The proxy is a real one, Debian's apt-cacher-ng, started by the test on
# the host's loopback (libacng.sh). The builds run in a namespace whose
# only way out is net-relay.py's plain TCP forward from its 127.0.0.1:3128
# and its tap address 192.168.2.1:3128 to apt-cacher-ng: every request
# that reaches the mirror is one apt-cacher-ng served, and its own log
# (apt-cacher.log, Debian archive paths under its "debrep" remapping)
# says so.
. "$TEST_SRCDIR/libtest.sh"
. "$TEST_SRCDIR/libnet.sh"
. "$TEST_SRCDIR/libacng.sh"
net_require
acng_require

P=rs$$p
if ! { net_ns $P &&
    ip -n $P tuntap add tap0 mode tap user root &&
    ip -n $P addr add 192.168.2.1/24 dev tap0 &&
    ip -n $P link set tap0 up; }; then
	not_ok "could not make the namespace"
	finish
fi
if ! acng_start "$TEST_TMP/acng"; then
	not_ok "apt-cacher-ng did not start"
	finish
fi
# The proxy's port on the namespace's loopback (the host's, as the guest
# sees it at 10.0.2.2), and on the tap's host address for transport=tuntap.
if ! { net_relay_host "$TEST_TMP/relay.sock" 127.0.0.1 "$ACNG_PORT" &&
    net_relay $P 127.0.0.1 3128 "$TEST_TMP/relay.sock" relay-127.0.0.1.log &&
    net_relay $P 192.168.2.1 3128 "$TEST_TMP/relay.sock" relay-192.168.2.1.log; }; then
	not_ok "the relays did not start"
	finish
fi
check "the namespace has no other way out" sh -c \
    "! in_ns $P ip route get 192.0.2.1 >/dev/null 2>&1"
in_ns $P curl -s --noproxy '*' --max-time 10 http://127.0.0.1:3128/ >front.html
has "Apt-Cacher NG" front.html

# acng_served PATH WHAT: apt-cacher-ng's log since the last acng_clear
# has a request for the Debian archive's PATH.
acng_served() {
	check "apt-cacher-ng served $2 ($1)" grep -q "|debrep/$1" "$ACNG_LOG"
}
# acng_refused_none WHAT: and it answered none with an error (a refused
# file type, a failed download).
acng_refused_none() {
	check "apt-cacher-ng refused nothing ($1)" sh -c \
	    "! grep '|E|' '$ACNG_LOG'"
}
acng_clear() {
	: >"$ACNG_LOG"
}

cp "$TEST_SRCDIR/../conf/rootstrap.conf" rootstrap.conf
mkdir cache
# The README's example, as written, on the shipped file (transport=user).
printf '[global]\nhttp_proxy=http://10.0.2.2:3128/\n[debian]\ncache=%s\n' \
    "$TEST_TMP/cache" >readme.conf

# rootstrap check asks the mirror as the build's preflight does.
acng_clear
in_ns $P "$ROOTSTRAP" check -c readme.conf >check.out 2>&1
has "mirror: http://deb.debian.org/debian has bookworm" check.out
hasnt "Failed to connect" check.out
acng_served dists/bookworm/InRelease "the preflight"
acng_refused_none "the preflight"
# The image cache's key hashes the mirror's InRelease.
acng_clear
run_status 0 in_ns $P env \
    ROOTSTRAP_CACHE="$TEST_TMP/ic" "$ROOTSTRAP" -n -c readme.conf x.img
check "the image cache's key was made through the proxy" \
    grep -Eq '^cache: [0-9a-f]{64} \(miss\)$' "$TEST_TMP/out"
# The guest's steps keep the guest's view.
has "	http_proxy=http://10.0.2.2:3128/"
hasnt "http_proxy=http://127.0.0.1"
acng_served dists/bookworm/InRelease "the image cache's key"
# The host-side fetch: the indexes, through the proxy.
acng_clear
run_status 0 in_ns $P "$ROOTSTRAP" fetch -n -c readme.conf
acng_served dists/bookworm/InRelease "the host-side fetch"
acng_served dists/bookworm/main/binary-amd64/ "the host-side fetch"
acng_refused_none "the host-side fetch"

# The host's view written instead: the guest gets its own.
printf '[global]\nhttp_proxy=http://127.0.0.1:3128/\n' >host.conf
run_status 0 in_ns $P "$ROOTSTRAP" -n -c host.conf x.img
has "	http_proxy=http://10.0.2.2:3128/"
# The README's line under transport=tuntap: the guest gets host=.
printf '[global]\nhttp_proxy=http://10.0.2.2:3128/\n[network]\ntransport=tuntap\nhost=10.213.47.1\numl=10.213.47.2\n' >tt.conf
run_status 0 in_ns $P "$ROOTSTRAP" -n -c tt.conf x.img
has "	http_proxy=http://10.213.47.1:3128/"
hasnt "http_proxy=http://10.0.2.2"
# transport=tuntap through uml_net: host= exists only while UML runs, so
# the host side asks the loopback.
printf '[global]\nhttp_proxy=http://10.213.47.1:3128/\n[network]\ntransport=tuntap\nhost=10.213.47.1\numl=10.213.47.2\n[debian]\ncache=%s\n' \
    "$TEST_TMP/cache" >tuntap.conf
acng_clear
: >relay-127.0.0.1.log
run_status 0 in_ns $P "$ROOTSTRAP" fetch -n -c tuntap.conf
has "/debian/dists/bookworm/InRelease" relay-127.0.0.1.log
acng_served dists/bookworm/InRelease "tuntap's host side"
# transport=none: the guest has no network, and the README's line, written
# for transport=user, still means the host's loopback on the host side.
printf '[global]\nhttp_proxy=http://10.0.2.2:3128/\n[network]\ntransport=none\n[debian]\ncache=%s\n' \
    "$TEST_TMP/cache-none" >none.conf
mkdir cache-none
acng_clear
: >relay-127.0.0.1.log
run_status 0 in_ns $P "$ROOTSTRAP" fetch -n -c none.conf
hasnt "10.0.2.2"
has "/debian/dists/bookworm/InRelease" relay-127.0.0.1.log
acng_served dists/bookworm/InRelease "transport=none's host side"
acng_served dists/bookworm/main/binary-amd64/ "transport=none's host side"
# Unless the host is on a network holding 10.0.2.2 (a VM behind
# VirtualBox's NAT): there it is a real neighbour, here the address of a
# veth in the namespace with a relay of its own, and the fetch asks it as
# written.
if ip -n $P link add nat0 type veth peer name nat1 &&
    ip -n $P addr add 10.0.2.2/24 dev nat0 &&
    ip -n $P link set nat0 up &&
    net_relay $P 10.0.2.2 3128 "$TEST_TMP/relay.sock" relay-10.0.2.2.log; then
	: >relay-127.0.0.1.log
	run_status 0 in_ns $P "$ROOTSTRAP" fetch -n -c none.conf
	has "/debian/dists/bookworm/InRelease" relay-10.0.2.2.log
	check "the loopback's relay was not asked" test ! -s relay-127.0.0.1.log
else
	not_ok "could not give the namespace 10.0.2.2"
fi
ip -n $P link del nat0 2>/dev/null

# The guest's path: a module that runs apt-get update through
# $http_proxy, into scratch directories on the image (the host's files,
# /var/lib/apt included, are read-only in the guest).
mkdir mods
cat >mods/probe <<'MOD'
#!/bin/sh
echo "guest proxy $http_proxy"
d=$ROOTSTRAP_TARGET/apt
mkdir -p "$d/state/lists/partial" "$d/cache/archives/partial"
echo "deb http://deb.debian.org/debian bookworm main" >"$d/sources.list"
apt-get -o Dir::Etc::SourceList="$d/sources.list" \
    -o Dir::Etc::SourceParts=/nonexistent -o Dir::State="$d/state" \
    -o Dir::Cache="$d/cache" -o Acquire::GzipIndexes=true \
    -o APT::Sandbox::User=root update
echo "apt-get update: status $?"
MOD
chmod 755 mods/probe
rm rootstrap.conf
# probe_conf PROXY NETWORK: a short build that runs the probe, with
# http_proxy=PROXY and NETWORK as its [network] section's lines.
probe_conf() {
	conf_fast mkfs mount network probe umount | tail -n +3
	printf 'modulepath=mods\nhttp_proxy=%s\ninitialsize=128\nmem=256M\n' "$1"
	printf '[network]\n%s\n' "$2"
}
probe_conf http://10.0.2.2:3128/ transport=user >user.conf
acng_clear
run_status 0 in_ns $P "$ROOTSTRAP" -c user.conf -o user.log user.img
has "guest proxy http://10.0.2.2:3128/" user.log
has "apt-get update: status 0" user.log
has "Get:1 http://deb.debian.org/debian bookworm InRelease" user.log
acng_served dists/bookworm/InRelease "apt in the guest (transport=user)"
acng_served dists/bookworm/main/binary-amd64/by-hash/SHA256/ \
    "apt in the guest (transport=user)"
acng_refused_none "apt in the guest (transport=user)"
# Over a host_if tap, written as the host sees it.
probe_conf http://127.0.0.1:3128/ \
    "$(printf 'transport=tuntap\nhost=192.168.2.1\numl=192.168.2.2\nhost_if=tap0')" \
    >tap.conf
acng_clear
run_status 0 in_ns $P "$ROOTSTRAP" -c tap.conf -o tap.log tap.img
has "guest proxy http://192.168.2.1:3128/" tap.log
has "apt-get update: status 0" tap.log
has "/debian/dists/bookworm/InRelease" relay-192.168.2.1.log
acng_served dists/bookworm/InRelease "apt in the guest (host_if tap)"
acng_served dists/bookworm/main/binary-amd64/by-hash/SHA256/ \
    "apt in the guest (host_if tap)"
acng_refused_none "apt in the guest (host_if tap)"
net_cleanup
nothing_left .

finish
