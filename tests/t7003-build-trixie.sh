#!/bin/sh
# dist=trixie builds and boots too (built as root here; t7001 covers the
# unprivileged case), with the [debian] purge and install steps and a root
# password that the console login must use. The build downloads over
# transport=user (rootstrap's libslirp NAT, the guest on vec0); the image
# comes up on eth0 (legacy slirp) at boot, and on vec0 under run -N user,
# where apt-get update works.
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
for m in network mkfs mount debian uml umount; do
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

BOOT_PASSWORD=s3cret boot "$TEST_IMAGES/trixie.img" \
    'readlink /proc/$$/fd/2' \
    'findmnt -no SOURCE /' \
    'cat /etc/debian_version' \
    'hostname -I' \
    "dpkg-query -W -f='\${Package} \${Status}\n' less" \
    "dpkg-query -W -f='\${Status}\n' ed 2>&1 || echo ed-gone" \
    'systemctl --failed --no-legend --plain | sed "s/^/failed: /"'
has_line "/dev/tty0"
has_line "/dev/ubda"
has "13"
has "10.0.2.15"
has_line "less install ok installed"
has "ed-gone"
hasnt "failed: "

# The image under run -N user, with room for apt's lists.
cp --sparse=always "$TEST_IMAGES/trixie.img" big.img
truncate -s +768M big.img
e2fsck -fp big.img >/dev/null 2>&1
check "a copy grows to hold apt's lists" resize2fs big.img
run_status 0 "$ROOTSTRAP" run -S -N user -t 300 "$TEST_TMP/big.img" -- \
    apt-get update
has "http://deb.debian.org/debian trixie InRelease"
hasnt "Err:"
run_status 0 "$ROOTSTRAP" run -S -N user "$TEST_TMP/big.img" -- \
    sh -c 'ls -1 /sys/class/net; hostname -I'
has_line "vec0"
has "10.0.2.15"
nothing_left .

finish
