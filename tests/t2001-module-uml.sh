#!/bin/sh
# The uml module's fix-ups on a sysvinit-style tree, in one fast boot: a
# user module seeds the files a Debian system would have, the stock uml
# module edits them, and the result is read back from the image.
. "$TEST_SRCDIR/libtest.sh"

mkdir mods
cat >mods/seed <<'MOD'
#!/bin/sh
set -e
cd "$ROOTSTRAP_TARGET"
mkdir -p etc/init.d etc/rcS.d etc/rc0.d etc/default sbin
printf 'root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n' >etc/shadow
chmod 640 etc/shadow
cat >etc/inittab <<'TAB'
id:2:initdefault:
si::sysinit:/etc/init.d/rcS
1:2345:respawn:/sbin/getty --noclear 38400 tty1
2:23:respawn:/sbin/getty 38400 tty2
3:23:respawn:/sbin/getty 38400 tty3
TAB
printf 'console\ntty1\n' >etc/securetty
printf '#!/bin/sh\n' >etc/init.d/hwclock.sh
ln -s ../init.d/hwclock.sh etc/rcS.d/S01hwclock.sh
ln -s ../init.d/hwclock.sh etc/rc0.d/K01hwclock.sh
printf '#!/bin/sh\n' >sbin/ifup
MOD
chmod +x mods/seed
conf_fast mkfs mount seed uml umount >rootstrap.conf
cat >>rootstrap.conf <<'CONF'
modulepath=mods
[uml]
install_modules=hostfs
root_password=pa55
[network]
hostname=myhost
domain=example.org
transport=slirp
uml=10.0.2.15
gateway=10.0.2.2
nameserver=10.0.2.3
CONF
# Only the uml module reads [network] here: no network module, no NIC.
run_status 0 "$ROOTSTRAP" -o build.log img
show build.log 5

image_cat img /etc/inittab >inittab
has_line "1:2345:respawn:/sbin/getty --noclear 38400 tty0" inittab
has_line "#2:23:respawn:/sbin/getty 38400 tty2" inittab
has_line "#3:23:respawn:/sbin/getty 38400 tty3" inittab
has_line "si::sysinit:/etc/init.d/rcS" inittab
image_cat img /etc/securetty >securetty
has_line "tty0" securetty
has_line "console" securetty
check "hwclock's rc links are gone" sh -c \
    "! debugfs -R 'ls /etc/rcS.d' img 2>/dev/null | grep -q hwclock"
image_cat img /etc/default/hwclock >hwclock
has_line "HWCLOCKACCESS=no" hwclock
image_cat img /etc/fstab >fstab
has_line "$(printf 'none\t/lib/modules\thostfs\tdefaults,ro,/usr/lib/uml/modules\t0\t0')" fstab
image_cat img /etc/network/interfaces >interfaces
has_line "$(printf '\taddress 10.0.2.15')" interfaces
has_line "$(printf '\tgateway 10.0.2.2')" interfaces
# Booted with vec0 (transport=user, or a kernel without eth0=) it comes up too.
has_line "auto eth0" interfaces
has_line "allow-hotplug vec0" interfaces
has_line "iface vec0 inet static" interfaces
image_cat img /etc/hosts >hosts
has_line "$(printf '127.0.1.1\tmyhost.example.org myhost')" hosts
image_cat img /etc/resolv.conf >resolv
has_line "nameserver 10.0.2.3" resolv
has_line "search example.org" resolv
image_cat img /etc/shadow >shadow
has_line "daemon:*:19000:0:99999:7:::" shadow
check "root's password is hashed with yescrypt" grep -q '^root:\$y\$[^:]*:19000:' shadow
check "the hash is of the configured password" perl -e '
open(my $f, "<", "shadow") or die; my @f = split(/:/, <$f>);
exit(crypt("pa55", $f[1]) eq $f[1] ? 0 : 1);'
check "shadow keeps its mode" sh -c \
    "debugfs -R 'stat /etc/shadow' img 2>/dev/null | grep -q 'Mode:  0640'"

finish
