#!/bin/sh
# The stage cache: a build keeps the image as it stands after the debian
# module; a later build whose changes all come after it (the hostname,
# [uml], a module after debian) starts from that copy and boots once, for
# the rest; a change before it (the package set) does not. The images made
# from the stage are the same but for what changed.
. "$TEST_SRCDIR/libtest.sh"

export ROOTSTRAP_CACHE=$TEST_TMP/icache
mkdir pcache mods
[ -d "$TEST_CACHE/bookworm" ] && cp "$TEST_CACHE"/bookworm/*.deb pcache/ 2>/dev/null
cat >rootstrap.conf <<CONF
[global]
PATH=/usr/sbin:/usr/bin:/sbin:/bin
freespace=64
[debian]
dist=bookworm
include=systemd-sysv udev
cache=$TEST_TMP/pcache
CONF
printf '#!/bin/sh\necho "made by a late module" >"$ROOTSTRAP_TARGET/etc/motd"\n' \
    >mods/motd
chmod +x mods/motd

# The first build: two boots, the stage kept between them.
run_status 0 "$ROOTSTRAP" -o first.log first.img
has "rootstrap: module debian: ok" first.log
check "the stage was kept" grep -q '^rootstrap: kept the stage as [0-9a-f]\{16\}$' first.log
check "a second boot ran the uml module" sh -c \
    "grep -c '^rootstrap: booting UML' first.log | grep -qx 2"
has "rootstrap: module uml: ok" first.log
check "the first image is clean" e2fsck -fn first.img

# A hostname: after the packages. One boot, from the stage; -n says so.
cp rootstrap.conf host.conf
printf '[network]\nhostname=elsewhere\n' >>host.conf
stage=$(sed -n 's/^rootstrap: kept the stage as //p' first.log)
run_status 0 "$ROOTSTRAP" -n -c host.conf host.img
check "-n names the stage and would start from it" grep -q \
    "^stage: $stage[0-9a-f]* after 'debian' (hit: the build would start from it)\$" out
run_status 0 "$ROOTSTRAP" -c host.conf -o host.log host.img
has "rootstrap: starting from the stage" host.log
hasnt "rootstrap: module debian" host.log
check "one boot" sh -c "grep -c '^rootstrap: booting UML' host.log | grep -qx 1"
check "the hostname is the new one" test "$(image_cat host.img /etc/hostname)" = elsewhere
check "the image is clean" e2fsck -fn host.img
# Everything else as the first build made it: the same files, the same
# packages, the same content but in /etc/hostname and /etc/hosts.
"$ROOTSTRAP" export first.img first.tar
"$ROOTSTRAP" export host.img host.tar
tar -tvf first.tar | awk '{ print $1, $2, $6 }' | sort >first.list
tar -tvf host.tar | awk '{ print $1, $2, $6 }' | sort >host.list
check "the same files, owners and modes" cmp first.list host.list
image_cat first.img /var/lib/dpkg/status >first.status
image_cat host.img /var/lib/dpkg/status >host.status
check "the same dpkg status" cmp first.status host.status
check "a status with packages in it" grep -q '^Package: systemd-sysv$' host.status

# [uml] and a module after debian: still after the packages.
cp rootstrap.conf late.conf
printf '[global]\nmodulepath=mods\nmodules=network mkfs mount debian uml motd umount\n[uml]\nroot_password=secret\n' \
    >>late.conf
run_status 0 "$ROOTSTRAP" -c late.conf -o late.log late.img
has "rootstrap: starting from the stage" late.log
has "rootstrap: module motd: ok" late.log
check "the late module wrote its file" test "$(image_cat late.img /etc/motd)" = "made by a late module"
image_cat late.img /etc/shadow >late.shadow
check "root has a password now" grep -q '^root:[$]' late.shadow

# The package set: before the stage, which is not used then.
cp rootstrap.conf pkgs.conf
sed -i 's/^include=.*/include=systemd-sysv udev less/' pkgs.conf
run_status 0 "$ROOTSTRAP" -c pkgs.conf -o pkgs.log pkgs.img
hasnt "rootstrap: starting from the stage" pkgs.log
has "rootstrap: module debian: ok" pkgs.log
image_cat pkgs.img /var/lib/dpkg/status >pkgs.status
check "less is installed" grep -q '^Package: less$' pkgs.status

# --no-cache: neither the cache nor the stage.
run_status 0 "$ROOTSTRAP" --no-cache -c host.conf -o nocache.log nocache.img
hasnt "rootstrap: kept the stage" nocache.log
hasnt "rootstrap: starting from the stage" nocache.log
has "rootstrap: module debian: ok" nocache.log
nothing_left .
finish
