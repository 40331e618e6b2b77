#!/bin/sh
# The bookworm image boots under UML to a root login on the console, with
# root on /dev/ubda, the hostname, and eth0 up from [network].
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || { echo "# $img missing: t7001 failed"; }
boot "$img" \
    'readlink /proc/$$/fd/2' \
    'cat /etc/hostname' \
    'findmnt -no SOURCE /' \
    "dpkg-query -W -f='\${Package} \${Status}\n' systemd-sysv" \
    'cat /etc/debian_version' \
    'systemctl is-active systemd-networkd' \
    'hostname -I' \
    'systemctl --failed --no-legend --plain | sed "s/^/failed: /"' \
    'dpkg --audit && echo audit-clean'
has_line "/dev/tty0"
has_line "rootstrap"
has_line "/dev/ubda"
has_line "systemd-sysv install ok installed"
has "12."
has_line "active"
has "10.0.2.15"
hasnt "failed: "
has_line "audit-clean"
check "the shared image is still clean" e2fsck -fn "$img"

finish
