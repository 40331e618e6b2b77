#!/bin/sh
# rootstrap check: one line per item, ok/warning/error with the fix for
# each problem; exit 0 when the host can build, 1 otherwise. The real host
# passes; a kernel without hostfs, a missing kernel, a noexec TMPDIR, a
# missing slirp and an unreachable mirror are each named with their fix;
# what killed builds left is removed, a live build's files are not.
. "$TEST_SRCDIR/libtest.sh"

export TMPDIR=$TEST_TMP/tmp
mkdir "$TMPDIR"
printf '[global]\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n' >rootstrap.conf

# The host's kernel, as kernel= names it: it has the legacy transports.
# (./rootstrap.conf names it: check runs it only when told to.)
printf '[global]\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\nkernel=linux.uml\n' \
    >rootstrap.conf
run_status 0 "$ROOTSTRAP" check --run-kernel
has "ok      configuration: no errors"
has "ok      kernel: $(command -v linux.uml), Linux 6.1."
has "ok      mode: ptrace (Linux 6.1."
has "ok      hostfs: the host's / can be the guest's root"
has "ok      ubd: the image can be a block device"
check "the kernel's transports include slirp" grep -q '^ok      transports: .*slirp' out
printf '[global]\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n' >rootstrap.conf
has "ok      exec memory: $TMPDIR allows executable mappings"
has "ok      slirp: "
has "ok      debootstrap: "
has "ok      keyring: /usr/share/keyrings/debian-archive-keyring.gpg"
has "ok      mirror: http://deb.debian.org/debian has bookworm"
# (a uml_net helper is only a warning here: transport=slirp)
check "no error on this host" grep -q '^0 errors, [0-9]* warnings*: this host can build images$' out
run_status 0 "$ROOTSTRAP" --check
has "0 errors, "

# What a kernel offers is asked once and kept (for that binary: path,
# inode, size, time): a second check does not run it again.
cat >counting <<KERNEL
#!/bin/sh
echo "\$1" >>"$TEST_TMP/asked"
exec linux.uml "\$@"
KERNEL
chmod +x counting
printf '[global]\nkernel=%s/counting\n' "$TEST_TMP" >counting.conf
"$ROOTSTRAP" check -c counting.conf >/dev/null 2>&1
"$ROOTSTRAP" check -c counting.conf >counting.out 2>&1
has "ok      kernel: $TEST_TMP/counting, Linux 6.1." counting.out
check "the kernel was asked once, not twice" \
    test "$(grep -c -- --help asked)" = 1

# A kernel without hostfs: its --help has no hostfs= (as such a kernel's
# has not), and it cannot boot a build.
cat >nohostfs <<'KERNEL'
#!/bin/sh
if [ "$1" = --help ]; then
	linux.uml --help | grep -v hostfs
	exit 0
fi
echo "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)"
exit 1
KERNEL
chmod +x nohostfs
printf '[global]\nkernel=%s/nohostfs\n' "$TEST_TMP" >nohostfs.conf
fails_with 1 "error   hostfs: $TEST_TMP/nohostfs has no hostfs, which a build boots from; fix: use Debian's user-mode-linux kernel, or one built with CONFIG_HOSTFS" \
    "$ROOTSTRAP" check -c nohostfs.conf
has "ok      ubd: "
has "warning transports: $TEST_TMP/nohostfs is not an ELF binary (a wrapper?), so its transports are not known"
check "exactly one error" grep -q '^1 error, [0-9]* warnings*: fix the errors above before building$' out

printf '[global]\nkernel=/nonexistent/linux\n' >nokernel.conf
fails_with 1 "error   kernel: /nonexistent/linux: not found or not executable; fix: apt-get install user-mode-linux, or set kernel= to a UML kernel" \
    "$ROOTSTRAP" check -c nokernel.conf
printf '[global]\nkernel=/bin/true\n' >true.conf
fails_with 1 "error   kernel: /bin/true: not a User-Mode Linux kernel ('/bin/true --help' does not say User Mode Linux); fix: apt-get install user-mode-linux, or set kernel=" \
    "$ROOTSTRAP" check -c true.conf

# slirp missing, for transport=slirp.
printf '[network]\ntransport=slirp\nslirp=nosuch-slirp\n' >noslirp.conf
fails_with 1 "error   slirp: 'nosuch-slirp' not found (needed for transport=slirp); fix: apt-get install slirp, or set [network] slirp=" \
    "$ROOTSTRAP" check -c noslirp.conf
# ... and only a warning when the transport does not need it.
printf '[network]\nslirp=nosuch-slirp\ntransport=none\n' >noslirp-none.conf
run_status 0 "$ROOTSTRAP" check -c noslirp-none.conf
has "warning slirp: 'nosuch-slirp' not found (needed for transport=slirp)"

# The mirror cannot be reached (loopback only), or lacks the suite.
printf '[debian]\nmirror=http://127.0.0.1:1/debian\n' >nomirror.conf
fails_with 1 "error   mirror: cannot reach http://127.0.0.1:1/debian: Failed to connect to 127.0.0.1 port 1" \
    "$ROOTSTRAP" check -c nomirror.conf
has "fix: check [debian] mirror and dist, and http_proxy"
mkdir -p mirror/dists
printf '[debian]\nmirror=file://%s/mirror\n' "$TEST_TMP" >empty.conf
fails_with 1 "error   mirror: no such suite 'bookworm' on file://$TEST_TMP/mirror" \
    "$ROOTSTRAP" check -c empty.conf

# Little space where the image goes.
fails_with 1 "error   image space: /nonexistent: No such file or directory" \
    "$ROOTSTRAP" check /nonexistent/img

# A noexec TMPDIR, where UML would map its memory.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	mkdir nx
	fails_with 1 "error   exec memory: $TEST_TMP/nx is mounted noexec, but UML maps its memory there executable; set TMPDIR to a directory on an exec-able filesystem" \
	    unshare -m sh -c 'mount -t tmpfs -o noexec,size=64m none "$1/nx" &&
	    TMPDIR=$1/nx exec "$0" check' "$ROOTSTRAP" "$TEST_TMP"
else
	ok "# SKIP noexec TMPDIR: needs root for a private mount namespace"
fi

# What killed builds left: removed. A live build's (locked): kept.
: >.dead.rootstrap-AAAAAA
: >.live.rootstrap-BBBBBB
mkdir "$TMPDIR/rootstrap.CCCCCC"
: >"$TMPDIR/rootstrap.CCCCCC/lock"
flock .live.rootstrap-BBBBBB sleep 60 &
holder=$!
sleep 0.5
run_status 0 "$ROOTSTRAP" check
has "removed ./.dead.rootstrap-AAAAAA, left by a build that was killed"
has "removed $TMPDIR/rootstrap.CCCCCC, left by a build that was killed"
has "ok      stale files: removed 2 left by killed builds"
check "the dead build's image is gone" test ! -e .dead.rootstrap-AAAAAA
check "the dead build's run directory is gone" test ! -e "$TMPDIR/rootstrap.CCCCCC"
check "the live build's image is kept" test -e .live.rootstrap-BBBBBB
kill $holder
wait $holder 2>/dev/null
rm -f .live.rootstrap-BBBBBB

finish
