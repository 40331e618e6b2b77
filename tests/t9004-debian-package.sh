#!/bin/sh
# The Debian packages: debian/ builds rootstrap and uml-net with
# dpkg-buildpackage -us -uc from the release tree, lintian finds no error
# or warning, and once they are installed the configuration is a conffile,
# the uml-net group exists, uml_net has CAP_NET_ADMIN and only root and
# the group may run it, and a user in the group builds an image with the
# installed rootstrap and brings a tap up with the installed uml_net.
# Everything is removed again: the packages, the user, and the group if
# this test made it.
. "$TEST_SRCDIR/libtest.sh"
helper=/usr/libexec/rootstrap/uml_net
UML_NET=$helper
. "$TEST_SRCDIR/libnet.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root to install packages"
for t in dpkg-buildpackage dh lintian useradd setcap getcap ip; do
	command -v "$t" >/dev/null || skip_all "needs $t"
done
# Never replace or remove what the host has installed itself.
for p in rootstrap uml-net; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed' &&
	    skip_all "the $p package is installed on this host already"
done
[ -e /usr/bin/rootstrap ] && skip_all "/usr/bin/rootstrap exists already"

user=rspkg$$
group_made=no
getent group uml-net >/dev/null || group_made=yes
pkg_cleanup() {
	dpkg --purge rootstrap uml-net >/dev/null 2>&1
	userdel "$user" 2>/dev/null
	[ "$group_made" = yes ] && groupdel uml-net 2>/dev/null
	rmdir /etc/rootstrap/modules /etc/rootstrap 2>/dev/null
	net_cleanup
	test_cleanup
}
trap pkg_cleanup EXIT

# The release tree (make distdir), as a packager unpacks it.
version=$("$ROOTSTRAP" --version | sed -n 's/^rootstrap //p')
src=$TEST_TMP/pkg/rootstrap-$version
mkdir "$TEST_TMP/pkg"
check "make distdir" env -u MAKEFLAGS -u MFLAGS \
    make -s -C "$TEST_BUILDDIR/.." distdir distdir="$src"
(cd "$src" && dpkg-buildpackage -us -uc) >build.log 2>&1 ||
    { not_ok "dpkg-buildpackage -us -uc failed"; show build.log 30; finish; }
ok "dpkg-buildpackage -us -uc builds the packages"
cd "$TEST_TMP/pkg" || exit 99
for p in rootstrap uml-net; do
	check "built $p" test -f "${p}_${version}_$(dpkg --print-architecture).deb"
done

check "lintian: no error or warning" \
    lintian --fail-on error,warning "rootstrap_${version}_"*.changes

debs="rootstrap_${version}_*.deb uml-net_${version}_*.deb"
# shellcheck disable=SC2086
check "dpkg -i installs both" dpkg -i $debs
check "/etc/rootstrap/rootstrap.conf is a conffile" \
    sh -c "dpkg-query -W -f='\${Conffiles}' rootstrap | grep -q ' /etc/rootstrap/rootstrap.conf '"
check "/etc/rootstrap/uml-net.conf is a conffile" \
    sh -c "dpkg-query -W -f='\${Conffiles}' uml-net | grep -q ' /etc/rootstrap/uml-net.conf '"
check "the uml-net group exists" getent group uml-net
check "uml_net: root:uml-net, 0750" \
    test "$(stat -c '%U:%G %a' $helper)" = "root:uml-net 750"
getcap $helper >getcap.out
has "cap_net_admin=ep" getcap.out
check "the bash completion is installed" \
    test -f /usr/share/bash-completion/completions/rootstrap
/usr/bin/rootstrap --help >"$TEST_TMP/out" 2>&1
has "read FILE after /etc/rootstrap/rootstrap.conf"

# A user in the group: the installed programs, the suite's kernel.
useradd -M -d /nonexistent -s /usr/sbin/nologin -G uml-net "$user"
check "made the user $user in uml-net" test $? = 0
work=$TEST_TMP/work
mkdir "$work"
conf_fast mkfs mount umount >"$work/rootstrap.conf"
chown -R "$user" "$work"
as_user() {
	setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups \
	    env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME=/nonexistent \
	    TMPDIR=/tmp XDG_CACHE_HOME="$XDG_CACHE_HOME" ROOTSTRAP_CACHE= "$@"
}
run_status 0 as_user sh -c "cd '$work' && exec rootstrap -o build.log root_fs"
[ -s "$work/root_fs" ] || show "$work/build.log" 15
has "rootstrap: module mkfs: ok" "$work/build.log"
has "rootstrap: module umount: ok" "$work/build.log"
check "the image belongs to $user" test "$(stat -c %U "$work/root_fs")" = "$user"
check "it is a clean ext4 filesystem" e2fsck -fn "$work/root_fs"

# uml_net for the user, in a namespace of this test: a tap comes up with
# the shipped policy's gate. The system's python3: the user may not
# reach another.
py=$PYTHON3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
A=rs$$a
net_ns $A
uid=$(id -u "$user")
in_ns $A setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups \
    "$py" "$TEST_SRCDIR/uml-net-kernel.py" --timeout 10 \
    $helper 4 tuntap up 10.213.47.1 \
    >"$TEST_TMP/out" 2>&1
if [ "$(stat -c %a /dev/net/tun)" = 666 ]; then
	has "exit=0"
	has "fds=1"
	has "uml_net: umlt${uid}n0 up, host side 10.213.47.1/32"
else
	# Debian's /dev/net/tun is 0666; where only root may open it, the
	# user's request gets past the group and the policy to that open.
	has "uml_net: /dev/net/tun: Permission denied"
fi

# Removal leaves nothing of the packages behind.
cd "$TEST_TMP" || exit 99
dpkg --purge rootstrap uml-net >purge.log 2>&1
check "dpkg --purge removes both" test $? = 0
check "nothing left in /usr/libexec/rootstrap or /etc/rootstrap" \
    test ! -e /usr/libexec/rootstrap -a ! -e /etc/rootstrap/rootstrap.conf \
    -a ! -e /usr/bin/rootstrap

finish
