#!/bin/sh
# dist=trixie builds and boots too (built as root here; t7001 covers the
# unprivileged case), with the [debian] purge and install steps and a root
# password that the console login must use. The build downloads over
# transport=user (rootstrap's libslirp NAT, the guest on vec0), and the
# image boots with it too (rootstrap boot -N user): vec0 comes up at the
# first boot and apt-get update works. (t7002 boots an image on eth0.)
. "$TEST_SRCDIR/libtest.sh"

mkdir -p "$TEST_CACHE/trixie"
cp "$TEST_SRCDIR/../conf/rootstrap.conf" rootstrap.conf
cat >trixie.conf <<CONF
[debian]
dist=trixie
cache=$TEST_CACHE/trixie
include=systemd-sysv udev ed
purge=ed
install=less
[uml]
root_password=s3cret
[network]
transport=user
CONF
rm -f "$TEST_IMAGES/trixie.img"
run_status 0 "$ROOTSTRAP" -c trixie.conf -o build.log trixie.img
show build.log 15
has "rootstrap: mkfs and unpack on the host (debian method=host)" build.log
for m in network mount debian uml umount; do
	has "rootstrap: module $m: ok" build.log
done
has "rootstrap-builder: chroot /run/target dpkg --purge ed" build.log
has "rootstrap-builder: chroot /run/target apt-get install -y less" build.log
has "rootstrap-builder: vec0: 10.0.2.15/255.255.255.0 via 10.0.2.2" build.log
image_cat trixie.img /etc/systemd/network/10-rootstrap.network >network
has_line "Name=vec0 eth0" network
image_cat trixie.img /etc/shadow >shadow
check "root has a hashed password" grep -q '^root:\$y\$' shadow
check_image trixie.img
mv trixie.img "$TEST_IMAGES/trixie.img"

BOOT_NET=user BOOT_PASSWORD=s3cret boot "$TEST_IMAGES/trixie.img" \
    'readlink /proc/$$/fd/2' \
    'findmnt -no SOURCE /' \
    'cat /etc/debian_version' \
    'ls -1 /sys/class/net' \
    'for i in $(seq 30); do hostname -I | grep -q . && break; sleep 1; done; hostname -I' \
    "dpkg-query -W -f='\${Package} \${Status}\n' less" \
    "dpkg-query -W -f='\${Status}\n' ed 2>&1 || echo ed-gone" \
    'systemctl --failed --no-legend --plain | sed "s/^/failed: /"' \
    'apt-get update'
has_line "/dev/tty0"
has_line "/dev/ubda"
has "13"
has_line "vec0"
has "10.0.2.15"
has_line "less install ok installed"
has "ed-gone"
hasnt "failed: "
has "http://deb.debian.org/debian trixie InRelease"
hasnt "Err:"
hasnt "No space left"

# rootstrap run -N user gives a command the same network.
run_status 0 "$ROOTSTRAP" run -S -N user "$TEST_IMAGES/trixie.img" -- \
    sh -c 'ls -1 /sys/class/net; hostname -I'
has_line "vec0"
has "10.0.2.15"
nothing_left .

finish
