#!/bin/sh
# kernel=auto: sid's user-mode-linux fetched, verified and made to run on
# this host, the kernel's features detected (seccomp mode, transports)
# and used; and the fallbacks: the host's linux.uml from a copy without
# the uevent helper, when the suite has no kernel, when the cached kernel
# fails its probe; a cached kernel used without the network; slirp refused
# on a kernel without the legacy transports. Fetches into the test run's
# shared cache, which the other tests then use.
. "$TEST_SRCDIR/libtest.sh"

HOST_UML=$(command -v linux.uml) || skip_all "needs linux.uml (user-mode-linux)"
command -v patchelf >/dev/null || skip_all "needs patchelf"
KERNELS=$XDG_CACHE_HOME/rootstrap/kernels

# The fetch: the newest sid kernel, with sid's C library where ours is old.
printf '[global]\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n' >rootstrap.conf
run_status 0 "$ROOTSTRAP" fetch -k -n
has "rootstrap: kernel: fetching user-mode-linux and libc6 from http://deb.debian.org/debian sid"
check "the kernel is in the cache" test -x "$KERNELS/sid/linux.uml"
has "user-mode-linux 7." "$KERNELS/sid/origin"
check "its origin names the .deb's SHA256" \
    grep -Eq 'user-mode-linux [^ ]+ \(SHA256 [0-9a-f]{64}\) from http://deb.debian.org/debian sid, verified against its signed InRelease' \
    "$KERNELS/sid/origin"
# bookworm's glibc is 2.36; the kernel wants 2.38: it runs with sid's.
check "the kernel runs here" sh -c "'$KERNELS/sid/linux.uml' --version | grep -q '^7\.'"
check "through sid's C library" sh -c "patchelf --print-interpreter '$KERNELS/sid/linux.uml' | grep -q '^$KERNELS/sid-.*/lib/ld-linux'"
chmod -R a+rX "$XDG_CACHE_HOME"

# Its features, as rootstrap check reports them.
run_status 0 "$ROOTSTRAP" check
check "check names the fetched kernel" grep -q "^ok      kernel: $KERNELS/sid/linux.uml, Linux 7\.[0-9.]*: user-mode-linux" out
has "ok      mode: seccomp: a guest's system calls and page faults need no ptrace round trip"
has "ok      transports: vec"

# A build's UML command line: the seccomp mode, both RAID-6 initcalls.
conf_fast mkfs mount umount >rootstrap.conf
run_status 0 "$ROOTSTRAP" -n img
has " seccomp=auto "
has "initcall_blacklist=raid6_select_algo,raid6_init,calibrate_xor_blocks"
has "kernel: user-mode-linux 7."

# The build itself, offline: a mirror nobody answers at, and no debian
# module, so nothing but the cached kernel is needed.
printf '[debian]\nmirror=http://127.0.0.1:1/debian\n' >>rootstrap.conf
run_status 0 "$ROOTSTRAP" -o fast.log img
has "rootstrap: booting UML: $KERNELS/sid/linux.uml mem=128M seccomp=auto " fast.log
has "rootstrap: module mkfs: ok" fast.log
check "the image is clean" e2fsck -fn img
rm -f img

# transport=slirp needs the legacy transports, gone from this kernel.
conf_fast network mkfs >slirp.conf
printf '[network]\ntransport=slirp\n' >>slirp.conf
fails_with 2 "rootstrap: transport=slirp: $KERNELS/sid/linux.uml (7." \
    "$ROOTSTRAP" -c slirp.conf img
has "has no slirp transport (UML dropped its legacy network transports in Linux 6.16); use transport=user, the same network without the slirp program; nothing was built"
check "no image" test ! -e img
nothing_left .

# Fallback 1: a suite without the kernel, in a cache of its own: the
# host's linux.uml, from a copy without the uevent helper.
export XDG_CACHE_HOME=$TEST_TMP/own
conf_fast mkfs mount umount >rootstrap.conf
printf 'kernel_suite=nosuchsuite\n' >>rootstrap.conf
run_status 0 "$ROOTSTRAP" -o host.log img
has "rootstrap: warning: kernel: no nosuchsuite kernel: " host.log
has "rootstrap: kernel: the host's $HOST_UML (6.1." host.log
has ", from a copy that starts no uevent helper: $TEST_TMP/own/rootstrap/kernels/host-" host.log
has "rootstrap: module mkfs: ok" host.log
copy=$(ls "$TEST_TMP"/own/rootstrap/kernels/host-*/linux.uml)
check "the copy differs from the host's kernel in one byte" \
    test "$(cmp -l "$HOST_UML" "$copy" | wc -l)" = 1
check "that byte began /sbin/hotplug" \
    sh -c "cmp -l '$HOST_UML' '$copy' | grep -q ' 57 *0$'"
check "the copy has no helper path left" \
    sh -c "! grep -qaP '/sbin/hotplug\\x00' '$copy'"
check "the host's kernel has one" grep -qaP '/sbin/hotplug\x00' "$HOST_UML"
rm -f img

# Fallback 2: a cached kernel that fails its probe is not used.
mkdir -p "$TEST_TMP/own/rootstrap/kernels/sid-0"
printf '#!/bin/sh\necho not a kernel\n' >"$TEST_TMP/own/rootstrap/kernels/sid-0/linux.uml"
chmod +x "$TEST_TMP/own/rootstrap/kernels/sid-0/linux.uml"
ln -s sid-0 "$TEST_TMP/own/rootstrap/kernels/sid"
conf_fast mkfs mount umount >rootstrap.conf
printf '[debian]\nmirror=http://127.0.0.1:1/debian\n' >>rootstrap.conf
run_status 0 "$ROOTSTRAP" -o probe.log img
has "rootstrap: warning: kernel: $TEST_TMP/own/rootstrap/kernels/sid/linux.uml does not pass its probe; not used" probe.log
has "rootstrap: kernel: the host's $HOST_UML" probe.log
has "rootstrap: module mkfs: ok" probe.log
rm -f img

# Valid-Until: with kernel_check_valid_until=yes an expired InRelease is
# refused, and a build's auto falls back to the host's kernel; with no
# (the default) it is used, and that is said.
rm -rf "$TEST_TMP/own"
until=$(curl -s -m 20 http://deb.debian.org/debian/dists/sid/InRelease |
    sed -n 's/^Valid-Until: //p')
if [ -n "$until" ] && [ "$(date -d "$until" +%s)" -lt "$(date +%s)" ]; then
	conf_fast mkfs mount umount >rootstrap.conf
	printf 'kernel_check_valid_until=yes\n' >>rootstrap.conf
	fails_with 1 "rootstrap: fetch: kernel: http://deb.debian.org/debian/dists/sid/InRelease: refused: it expired (Valid-Until: $until)" \
	    "$ROOTSTRAP" fetch -k -n
	check "nothing was kept" test ! -e "$TEST_TMP/own/rootstrap/kernels/sid"
	run_status 0 "$ROOTSTRAP" -o expired.log img
	has "rootstrap: warning: kernel: no sid kernel: http://deb.debian.org/debian/dists/sid/InRelease: refused: it expired" expired.log
	has "rootstrap: kernel: the host's $HOST_UML" expired.log
	rm -f img
	conf_fast mkfs mount umount >rootstrap.conf
	run_status 0 "$ROOTSTRAP" fetch -k -n
	has "rootstrap: warning: http://deb.debian.org/debian/dists/sid/InRelease: it expired (Valid-Until: $until); used anyway, as asked (Valid-Until not enforced): its signature and every file's SHA256 are still checked"
	check "the kernel is kept" test -x "$TEST_TMP/own/rootstrap/kernels/sid/linux.uml"
else
	ok "# SKIP sid's InRelease is current (Valid-Until $until): nothing expired to refuse"
fi
nothing_left .
finish
