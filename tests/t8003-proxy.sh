#!/bin/sh
# Issue 14, item 2: the README's proxy example, http_proxy=http://10.0.2.2:3128/
# (the guest's view of the host's loopback), works for every path that
# reaches the mirror: rootstrap check's mirror test (the build's
# preflight), the image cache's key, the host-side fetch, and the guest.
# All in a namespace whose only way to the mirror is the proxy on its
# loopback (net-relay.py, relaying to deb.debian.org alone). The guest's
# path is a short build whose module fetches through $http_proxy, on
# transport=user and over a host_if tap; written either way (10.0.2.2 or
# 127.0.0.1), each side gets its own view.
. "$TEST_SRCDIR/libtest.sh"
. "$TEST_SRCDIR/libnet.sh"
net_require

P=rs$$p
if ! { net_ns $P &&
    ip -n $P tuntap add tap0 mode tap user root &&
    ip -n $P addr add 192.168.2.1/24 dev tap0 &&
    ip -n $P link set tap0 up; }; then
	not_ok "could not make the namespace"
	finish
fi
"$PYTHON3" "$TEST_SRCDIR/net-relay.py" host "$TEST_TMP/relay.sock" &
net_pids="$net_pids $!"
sleep 1
# The proxy on the namespace's loopback (the host's, as the guest sees it
# at 10.0.2.2), and on the tap's host address for transport=tuntap.
for a in 127.0.0.1 192.168.2.1; do
	in_ns $P "$PYTHON3" "$TEST_SRCDIR/net-relay.py" proxy $a 3128 \
	    "$TEST_TMP/relay.sock" "$TEST_TMP/relay-$a.log" &
	net_pids="$net_pids $!"
done
for i in $(seq 100); do
	in_ns $P bash -c 'exec 3<>/dev/tcp/127.0.0.1/3128 &&
	    exec 4<>/dev/tcp/192.168.2.1/3128' 2>/dev/null && break
	sleep 0.1
done
check "the namespace has no other way out" sh -c \
    "! in_ns $P ip route get 192.0.2.1 >/dev/null 2>&1"

cp "$TEST_SRCDIR/../conf/rootstrap.conf" rootstrap.conf
mkdir cache
# The README's example, as written, on the shipped file (transport=user).
printf '[global]\nhttp_proxy=http://10.0.2.2:3128/\n[debian]\ncache=%s\n' \
    "$TEST_TMP/cache" >readme.conf

# rootstrap check asks the mirror as the build's preflight does.
in_ns $P "$ROOTSTRAP" check -c readme.conf >check.out 2>&1
has "mirror: http://deb.debian.org/debian has bookworm" check.out
hasnt "Failed to connect" check.out
# The image cache's key hashes the mirror's InRelease.
run_status 0 in_ns $P env \
    ROOTSTRAP_CACHE="$TEST_TMP/ic" "$ROOTSTRAP" -n -c readme.conf x.img
check "the image cache's key was made through the proxy" \
    grep -Eq '^cache: [0-9a-f]{64} \(miss\)$' "$TEST_TMP/out"
# The guest's steps keep the guest's view.
has "	http_proxy=http://10.0.2.2:3128/"
hasnt "http_proxy=http://127.0.0.1"
# The host-side fetch: the indexes, through the proxy.
: >relay-127.0.0.1.log
run_status 0 in_ns $P "$ROOTSTRAP" fetch -n -c readme.conf
has "/debian/dists/bookworm/InRelease" relay-127.0.0.1.log
has "/debian/dists/bookworm/main/binary-amd64/Packages" relay-127.0.0.1.log

# The host's view written instead: the guest gets its own.
printf '[global]\nhttp_proxy=http://127.0.0.1:3128/\n' >host.conf
run_status 0 in_ns $P "$ROOTSTRAP" -n -c host.conf x.img
has "	http_proxy=http://10.0.2.2:3128/"
# transport=tuntap through uml_net: host= exists only while UML runs, so
# the host side asks the loopback.
printf '[global]\nhttp_proxy=http://10.213.47.1:3128/\n[network]\ntransport=tuntap\nhost=10.213.47.1\numl=10.213.47.2\n[debian]\ncache=%s\n' \
    "$TEST_TMP/cache" >tuntap.conf
: >relay-127.0.0.1.log
run_status 0 in_ns $P "$ROOTSTRAP" fetch -n -c tuntap.conf
has "/debian/dists/bookworm/InRelease" relay-127.0.0.1.log

# The guest's path: a module that fetches through $http_proxy.
mkdir mods
cat >mods/probe <<'MOD'
#!/bin/sh
echo "guest proxy $http_proxy"
curl -sS --max-time 60 --proxy "$http_proxy" -o /dev/null \
    -w 'mirror answered %{http_code}\n' \
    http://deb.debian.org/debian/dists/bookworm/InRelease
MOD
chmod 755 mods/probe
rm rootstrap.conf
{ conf_fast mkfs mount network probe umount | tail -n +3;
  echo modulepath=mods; echo http_proxy=http://10.0.2.2:3128/;
  printf '[network]\ntransport=user\n'; } >user.conf
: >relay-127.0.0.1.log
run_status 0 in_ns $P "$ROOTSTRAP" -c user.conf -o user.log user.img
has "guest proxy http://10.0.2.2:3128/" user.log
has "mirror answered 200" user.log
has "/debian/dists/bookworm/InRelease" relay-127.0.0.1.log
# Over a host_if tap, written as the host sees it.
{ conf_fast mkfs mount network probe umount | tail -n +3;
  echo modulepath=mods; echo http_proxy=http://127.0.0.1:3128/;
  printf '[network]\ntransport=tuntap\nhost=192.168.2.1\numl=192.168.2.2\nhost_if=tap0\n'; } >tap.conf
run_status 0 in_ns $P "$ROOTSTRAP" -c tap.conf -o tap.log tap.img
has "guest proxy http://192.168.2.1:3128/" tap.log
has "mirror answered 200" tap.log
has "/debian/dists/bookworm/InRelease" relay-192.168.2.1.log
net_cleanup
nothing_left .

finish
