#!/bin/sh
# [debian] method=host against debootstrap: the shipped configuration built
# with the packages unpacked on the host and configured in the guest gives
# what t7001's in-guest debootstrap of the same package set gave: the same
# packages at the same versions, the same files (but for debootstrap's log
# and apt's package lists), dpkg --audit empty, dpkg -V as clean; and it
# boots to a login. The package set comes from t7001's package cache
# through a stand-in for the host-side fetch (tests/debset-dir.c).
. "$TEST_SRCDIR/libtest.sh"

ref=$TEST_IMAGES/bookworm.img
[ -f "$ref" ] || skip_all "$ref missing: t7001 failed"
rootstrap_debs=$TEST_BUILDDIR/rootstrap-debsdir

# Exactly the reference's packages, from the cache its build filled.
mkdir refdb debs
image_cat "$ref" /var/lib/dpkg/status >refdb/status
dpkg-query --admindir=refdb -W \
    -f '${Package} ${Version} ${Architecture} ${db:Status-Abbrev}\n' |
    sort >ref.pkgs
missing=0
while read -r pkg ver arch _; do
	f=$(printf '%s_%s_%s.deb' "$pkg" "$ver" "$arch" | sed 's/:/%3a/g')
	if [ -f "$TEST_CACHE/bookworm/$f" ]; then
		ln -s "$TEST_CACHE/bookworm/$f" debs/
	else
		missing=$((missing + 1))
		echo "# not in the cache: $f"
	fi
done <ref.pkgs
check "every package of the reference is in the cache ($(wc -l <ref.pkgs))" \
    test "$missing" = 0

cp "$TEST_SRCDIR/../conf/rootstrap.conf" rootstrap.conf
printf '[debian]\nmethod=host\n' >host.conf
run_status 0 env ROOTSTRAP_TEST_DEBS="$TEST_TMP/debs" \
    "$rootstrap_debs" -c host.conf -o build.log host.img
show build.log 12
has "rootstrap: mkfs and unpack on the host (debian method=host)" build.log
has "rootstrap: module debian: ok" build.log
has "preinst scripts:" build.log
hasnt "module mkfs" build.log
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
check "every package is installed" \
    test "$(grep -vc ' ii $' host.pkgs)" = 0

# The same files, but for what records debootstrap's own run.
"$ROOTSTRAP" export "$ref" ref.tar
"$ROOTSTRAP" export host.img host.tar
allowed='^\./run/|^\./var/lib/apt/lists/|^\./var/log/bootstrap\.log$'
for t in ref host; do
	tar -tf $t.tar 2>/dev/null | sed 's|/$||' | grep -Ev "$allowed" |
	    sort >$t.files
done
check "the same files as debootstrap's ($(wc -l <host.files))" \
    cmp ref.files host.files
cmp -s ref.files host.files || diff ref.files host.files | sed 's/^/#   /'

# dpkg agrees, in the booted image and in a chroot.
for t in ref host; do
	img=$ref
	[ $t = host ] && img=$TEST_TMP/host.img
	"$ROOTSTRAP" run -S "$img" -- sh -c \
	    'dpkg --audit; echo "audit $?"; dpkg -V; echo "verify $?"' \
	    >$t.dpkg 2>&1
done
has_line "audit 0" host.dpkg
check "dpkg --audit says nothing" test "$(grep -vc '^audit\|^verify\|^?' host.dpkg)" = 0
check "dpkg -V finds what it finds in debootstrap's image" cmp ref.dpkg host.dpkg
show host.dpkg

boot "$TEST_TMP/host.img" \
    'dpkg-query -W -f "\${db:Status-Abbrev}\n" | sort | uniq -c' \
    'readlink /bin' \
    'hostname -I'
has " $(wc -l <ref.pkgs) ii "
has_line "usr/bin"
has "10.0.2.15"
nothing_left .

finish
