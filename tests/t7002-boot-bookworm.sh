#!/bin/sh
# The bookworm image boots under UML to a root login on the console, with
# root on /dev/ubda, the hostname, and eth0 up from [network]; what has
# nothing to do under UML is skipped.
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
    'dpkg --audit && echo audit-clean' \
    'for u in modprobe@fuse systemd-modules-load; do echo "condition $u $(systemctl show -p ConditionResult --value $u.service)"; done'
has_line "/dev/tty0"
has_line "rootstrap"
has_line "/dev/ubda"
has_line "systemd-sysv install ok installed"
has "12."
has_line "active"
has "10.0.2.15"
hasnt "failed: "
has_line "audit-clean"
# No kernel modules in the image: nothing for these to load, skipped by
# their condition (the uml module's drop-in) rather than run.
has_line "condition modprobe@fuse no"
has_line "condition systemd-modules-load no"
check "the shared image is still clean" e2fsck -fn "$img"

finish
