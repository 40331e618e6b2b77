#!/bin/sh
# The bookworm image boots under UML to a root login on the console, with
# root on /dev/ubda, the hostname, and eth0 up from [network].
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || { echo "# $img missing: t7001 failed"; }
boot "$img" \
    'readlink /proc/$PPID/fd/0' \
    'cat /etc/hostname' \
    'findmnt -no SOURCE /' \
    "dpkg-query -W -f='\${Package} \${Status}\n' systemd-sysv" \
    'cat /etc/debian_version' \
    'systemctl is-active systemd-networkd' \
    'hostname -I' \
    'cat /sys/class/net/eth0/operstate' \
    'systemctl --failed --no-legend --plain | sed "s/^/failed: /"' \
    'dpkg --audit && echo audit-clean'
has "/dev/tty0"
has "rootstrap"
has "/dev/ubda"
has "systemd-sysv install ok installed"
has "12."
has "active"
has "10.0.2.15"
has "up"
hasnt "failed: "
has "audit-clean"
check "the shared image is still clean" e2fsck -fn "$img"

finish
