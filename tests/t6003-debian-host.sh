#!/bin/sh
# [debian] method=host against debootstrap: t7001 built the shipped
# configuration (minbase, systemd-sysv, udev) with the default method=host,
# fetched and unpacked on the host and configured in the guest; here the
# host's debootstrap makes a tree of the same configuration. They must
# hold the same packages at the same versions, the same files (but for
# what the uml module writes, debootstrap's log and apt's package lists),
# dpkg --audit must be empty and dpkg -V clean but for the uml fix-ups.
# (t7002 boots the image.)
. "$TEST_SRCDIR/libtest.sh"

[ "$(id -u)" = 0 ] || skip_all "debootstrap on the host needs root"
cache=$TEST_CACHE/bookworm
mkdir -p "$cache"

debootstrap --variant=minbase --include=systemd-sysv,udev \
    --cache-dir="$cache" bookworm tree http://deb.debian.org/debian \
    >debootstrap.log 2>&1
check "the host's debootstrap made a tree" test -x tree/usr/bin/dpkg
show debootstrap.log 5
dpkg-query --admindir=tree/var/lib/dpkg -W \
    -f '${Package} ${Version} ${Architecture} ${db:Status-Abbrev}\n' |
    sort >ref.pkgs

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
cp --sparse=always "$img" host.img
check_image "$TEST_TMP/host.img"

# The same packages at the same versions, all installed.
mkdir hostdb
image_cat host.img /var/lib/dpkg/status >hostdb/status
dpkg-query --admindir=hostdb -W \
    -f '${Package} ${Version} ${Architecture} ${db:Status-Abbrev}\n' |
    sort >host.pkgs
check "dpkg -l: the same packages and versions as debootstrap's" \
    cmp ref.pkgs host.pkgs
cmp -s ref.pkgs host.pkgs || diff ref.pkgs host.pkgs | sed 's/^/#   /'
check "every package is installed" test "$(grep -vc ' ii $' host.pkgs)" = 0

# The same files, but for what the uml module writes (fstab, hostname,
# hosts, the network, gettys, hwclock, the module loaders' drop-ins),
# what records debootstrap's run and the .debs it keeps (the image is
# built with clean=yes).
allowed='^\./run/|^\./lost\+found$|^\./var/log/bootstrap\.log$'
allowed="$allowed|^\\./var/lib/apt/lists/|^\\./var/cache/apt/archives/[^/]*\\.deb\$"
allowed="$allowed|^\\./etc/(fstab|hostname|hosts|resolv\\.conf)\$"
allowed="$allowed|^\\./etc/rc.\\.d/...hwclock\\.sh\$|^\\./etc/systemd/network/10-rootstrap"
allowed="$allowed|^\\./etc/systemd/system/(getty-static|hwclock|e2scrub_reap|getty@tty0)\\.service\$"
allowed="$allowed|^\\./etc/systemd/system\\.conf\\.d(/rootstrap-uml\\.conf)?\$"
allowed="$allowed|^\\./etc/systemd/system/(modprobe@|systemd-modules-load)\\.service\\.d(/rootstrap-uml\\.conf)?\$"
allowed="$allowed|^\\./etc/systemd/system-generators(/systemd-[a-z-]*-generator)?\$"
allowed="$allowed|^\\./etc/systemd/system/getty\\.target\\.wants/getty@tty[01]\\.service\$"
allowed="$allowed|^\\./etc/systemd/system/multi-user\\.target\\.wants/systemd-networkd\\.service\$"
allowed="$allowed|^\\./etc/systemd/system/sockets\\.target\\.wants(/systemd-networkd\\.socket)?\$"
(cd tree && find . -mindepth 1) | grep -Ev "$allowed" | sort >ref.files
"$ROOTSTRAP" export host.img host.tar
tar --quoting-style=literal -tf host.tar 2>/dev/null | sed 's|/$||' |
    grep -vx '\.' | grep -Ev "$allowed" | sort >host.files
check "the same files as debootstrap's ($(wc -l <host.files))" \
    cmp ref.files host.files
cmp -s ref.files host.files || diff ref.files host.files | sed 's/^/#   /'

# dpkg agrees.
dpkg --root=tree -V >ref.verify 2>&1
check "dpkg -V finds debootstrap's tree clean" test ! -s ref.verify
"$ROOTSTRAP" run -S host.img -- sh -c \
    'dpkg --audit; echo "audit $?"; dpkg -V; echo "verify $?"' >host.dpkg 2>&1
show host.dpkg
has_line "audit 0" host.dpkg
check "dpkg --audit says nothing" \
    test "$(grep -vc '^audit\|^verify\|^?' host.dpkg)" = 0
check "dpkg -V: only the hwclock default the uml module changed" \
    test "$(grep '^?' host.dpkg)" = "??5?????? c /etc/default/hwclock"

nothing_left .

finish
