#!/bin/sh
# Issue 14, item 1: the rootstrap article's [network] section, host_if=tap0
# as written. An administrator made tap0 once for the user and gave it
# the host address (here, in a namespace of the test's own); UML attaches
# to it directly, with no helper: on kernel=auto's kernel through the
# vector driver (a build whose guest reaches the host side and the mirror
# over it), and on the host's 6.1 with the image's first boot line,
# eth0=tuntap,tap0 (the booted image reaches the host side and runs
# apt-get update through it). A missing tap, a tun, and a tap of another
# user are refused before UML starts. The mirror is reached through a
# relay proxy on the tap's host address (net-relay.py), as in t4002.
. "$TEST_SRCDIR/libtest.sh"
. "$TEST_SRCDIR/libnet.sh"
net_require
command -v linux.uml >/dev/null || skip_all "needs linux.uml (user-mode-linux)"

A=rs$$h
if ! { net_ns $A &&
    ip -n $A tuntap add tap0 mode tap user root &&
    ip -n $A addr add 192.168.2.1/24 dev tap0 &&
    ip -n $A link set tap0 up; }; then
	not_ok "could not make the namespace and its tap"
	finish
fi
"$PYTHON3" "$TEST_SRCDIR/net-relay.py" host "$TEST_TMP/relay.sock" &
net_pids="$net_pids $!"
sleep 1
in_ns $A "$PYTHON3" "$TEST_SRCDIR/net-relay.py" proxy 192.168.2.1 3128 \
    "$TEST_TMP/relay.sock" "$TEST_TMP/relay.log" &
net_pids="$net_pids $!"
mkdir www
echo "host side answers" >www/gate
in_ns $A "$PYTHON3" -m http.server --bind 192.168.2.1 --directory www 8080 \
    >/dev/null 2>&1 &
net_pids="$net_pids $!"
for i in $(seq 100); do
	in_ns $A bash -c 'exec 3<>/dev/tcp/192.168.2.1/3128 &&
	    exec 4<>/dev/tcp/192.168.2.1/8080' 2>/dev/null && break
	sleep 0.1
done

# The article's section, as it stands.
article() {
	cat <<CONF
[network]
interface=eth0
transport=tuntap
host=192.168.2.1
uml=192.168.2.2
netmask=255.255.255.0
host_if=$1
gateway=192.168.2.1
nameserver=192.168.2.1
CONF
}

# A build on kernel=auto's kernel whose guest uses the tap: a module that
# asks the host side, and the mirror through the proxy there, over it.
mkdir mods
cat >mods/probe <<'MOD'
#!/bin/sh
curl -sS --max-time 30 http://192.168.2.1:8080/gate
curl -sS --max-time 60 --proxy http://192.168.2.1:3128/ -o /dev/null \
    -w 'mirror answered %{http_code}\n' \
    http://deb.debian.org/debian/dists/bookworm/InRelease
MOD
chmod 755 mods/probe
{ article tap0; conf_fast mkfs mount network probe umount | tail -n +3;
  echo modulepath=mods; } >build.conf
run_status 0 in_ns $A "$ROOTSTRAP" -c build.conf -o build.log probe.img
show build.log 8
if grep -q "vec0:transport=fd,fd=5,vec=0" build.log; then
	ok "the tap was handed to the vector driver"
else
	has "eth0=tuntap,tap0 " build.log
fi
has "rootstrap: host_if: tap tap0" build.log
hasnt "uml_net" build.log
has "host side answers" build.log
has "mirror answered 200" build.log
has "/debian/dists/bookworm/InRelease" relay.log
in_ns $A ip -o link show >links
hasnt "umlt" links

# The image: the shared one's tree with the article's network.
img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
"$ROOTSTRAP" export "$img" tree.tar
{ article tap0; printf '[global]\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n'; } \
    >import.conf
run_status 0 "$ROOTSTRAP" import -c import.conf tree.tar article.img
image_cat article.img /etc/systemd/network/10-rootstrap.network >net
has "Address=192.168.2.2/24" net
has "Gateway=192.168.2.1" net

# Its first boot, in the image's directory, on the host's 6.1: the line
# README gives for host_if, the tap by name and no helper on PATH.
in_ns $A "$PYTHON3" "$TEST_SRCDIR/uml-console.py" --timeout 600 \
    --transcript "$TEST_TMP/console.log" "$TEST_TMP/boot.cow,article.img" \
    mem=256M eth0=tuntap,tap0 -- \
    'for i in $(seq 30); do grep -q "^eth0	00000000	0102A8C0" /proc/net/route && break; sleep 1; done' \
    'echo "addresses: $(hostname -I)"' \
    'exec 3<>/dev/tcp/192.168.2.1/8080 && printf "GET /gate HTTP/1.0\r\n\r\n" >&3 && cat <&3' \
    'apt-get -o Acquire::http::Proxy=http://192.168.2.1:3128/ -o Acquire::Languages=none -o Acquire::IndexTargets::deb::Packages::DefaultEnabled=false update' \
    >out 2>&1
check "booted the image on tap0 and ran the commands (uml-console: $?)" test $? = 0
hasnt "uml-console: command"
has "addresses: 192.168.2.2"
has "host side answers"
# The signed index only (the Packages files take minutes under UML).
has "bookworm InRelease"
has "Reading package lists"
hasnt "Failed to fetch"

# Refusals, before UML starts and before anything is made.
ip -n $A tuntap add tun0 mode tun
for t in tap9 tun0 tap0; do
	{ article $t; conf_fast mkfs mount network umount | tail -n +3; } >$t.conf
done
fails_with 2 "host_if=tap9: no such interface (an administrator makes it once: ip tuntap add tap9 mode tap user" \
    in_ns $A "$ROOTSTRAP" -c tap9.conf bad.img
fails_with 2 "host_if=tun0: a tun device, not a tap (ip tuntap add tun0 mode tap)" \
    in_ns $A "$ROOTSTRAP" -c tun0.conf bad.img
# root's tap0, for nobody (no CAP_NET_ADMIN): another user's tap.
chmod 755 "$TEST_TMP"
chmod 644 tap0.conf
mkdir -m 1777 nob
# /dev/net/tun as Debian has it (0666), in a mount namespace of its own.
fails_with 2 "host_if=tap0: nobody may not open it (its owner is root; ip tuntap add tap0 mode tap user nobody makes one for nobody)" \
    in_ns $A unshare -m sh -c 'mount -t tmpfs tun /dev/net &&
    mknod -m 666 /dev/net/tun c 10 200 &&
    exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"' sh \
    env HOME=/nonexistent "$ROOTSTRAP" -c tap0.conf "$TEST_TMP/nob/nobody.img"
check "nothing was made" test ! -e bad.img -a ! -e nob/nobody.img
net_cleanup
nothing_left .

finish
