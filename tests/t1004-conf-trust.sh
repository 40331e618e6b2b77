#!/bin/sh
# Issue 13, item 13: ./rootstrap.conf names programs rootstrap runs
# (kernel=, slirp=), so a directory someone else made must not make us
# run theirs. Their ./rootstrap.conf (not ours or root's, or writable by
# others) is refused, unread; and rootstrap check runs no program our own
# ./rootstrap.conf names unless --run-kernel asks, but says which.
. "$TEST_SRCDIR/libtest.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root, to act as a second user"

# A "kernel" that leaves a mark when it runs.
cat >evil <<SH
#!/bin/sh
touch $TEST_TMP/ran
echo "not a kernel"
SH
chmod 755 evil
mkdir -p mirror/dists/bookworm
echo "suite" >mirror/dists/bookworm/InRelease
printf '[global]\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n' >system.conf
export ROOTSTRAP_SYSTEM_CONF=$TEST_TMP/system.conf
cat >rootstrap.conf <<CONF
[global]
umlargs=
kernel=$TEST_TMP/evil
[network]
transport=none
[debian]
mirror=file://$TEST_TMP/mirror
CONF

# Another user's file, or one others may write: not read at all.
chown nobody rootstrap.conf
fails_with 2 "rootstrap.conf: owned by nobody, not by you or root; not read, as it could name programs for rootstrap to run (kernel=, slirp=)" \
    "$ROOTSTRAP" -n img
has "rootstrap: 1 error in the configuration; nothing was built"
run_status 1 "$ROOTSTRAP" check
has "error   configuration: rootstrap.conf: owned by nobody, not by you or root; not read"
hasnt "$TEST_TMP/evil"
check "check did not run the other user's kernel" test ! -e ran
chown root rootstrap.conf
chmod 666 rootstrap.conf
fails_with 2 "rootstrap.conf: writable by others; not read" "$ROOTSTRAP" -n img
chmod 664 rootstrap.conf
chgrp staff rootstrap.conf
fails_with 2 "rootstrap.conf: writable by its group; not read" \
    "$ROOTSTRAP" -n img
check "a build did not run it either" test ! -e ran
chgrp root rootstrap.conf
chmod 644 rootstrap.conf

# Our own: read, and a build would run its kernel; check does not.
run_status 0 "$ROOTSTRAP" -n img
has "uml: $TEST_TMP/evil "
# (-n asks the kernel what it can do, as the build would.)
rm -f ran
run_status 0 "$ROOTSTRAP" check
has "warning kernel: $TEST_TMP/evil, named by ./rootstrap.conf:3, was not run: check runs no program the current directory's file names (rootstrap check --run-kernel runs '$TEST_TMP/evil --help' to test it)"
hasnt "hostfs:"
check "check did not run the kernel ./rootstrap.conf names" test ! -e ran
fails_with 1 "error   kernel: $TEST_TMP/evil: not a User-Mode Linux kernel ('$TEST_TMP/evil --help' does not say User Mode Linux)" \
    "$ROOTSTRAP" check --run-kernel
check "check --run-kernel ran it" test -e ran
rm -f ran

# Named with -c, on purpose: run as before.
mv rootstrap.conf named.conf
run_status 1 "$ROOTSTRAP" check -c named.conf
has "error   kernel: $TEST_TMP/evil: not a User-Mode Linux kernel"
check "check ran the kernel -c names" test -e ran
rm -f ran
fails_with 2 "usage: rootstrap check [-c file] [--run-kernel] [imagefile]" \
    "$ROOTSTRAP" check --run-kernels

finish
