#!/bin/sh
# dist=trixie builds and boots too (built as root here; t7001 covers the
# unprivileged case).
. "$TEST_SRCDIR/libtest.sh"

mkdir -p "$TEST_CACHE/trixie"
cp "$TEST_SRCDIR/../conf/rootstrap.conf" rootstrap.conf
printf '[debian]\ndist=trixie\ncache=%s\n' "$TEST_CACHE/trixie" >trixie.conf
run_status 0 "$ROOTSTRAP" -c trixie.conf -o build.log trixie.img
show build.log 15
for m in network mkfs mount debian uml umount; do
	has "rootstrap: module $m: ok" build.log
done
check_image trixie.img
boot trixie.img \
    'readlink /proc/$PPID/fd/0' \
    'findmnt -no SOURCE /' \
    'cat /etc/debian_version' \
    'hostname -I' \
    'systemctl --failed --no-legend --plain | sed "s/^/failed: /"'
has "/dev/tty0"
has "/dev/ubda"
has "13"
has "10.0.2.15"
hasnt "failed: "
nothing_left .

finish
