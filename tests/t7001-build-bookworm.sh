#!/bin/sh
# The shipped default configuration builds a bookworm image, as an
# unprivileged user: no host root is needed. The image is shared with the
# boot tests.
. "$TEST_SRCDIR/libtest.sh"

tree=$TEST_TMP/tree
work=$TEST_TMP/work
unprivileged_tree "$tree"
mkdir -p "$work" "$TEST_CACHE/bookworm"
cp "$TEST_SRCDIR/../conf/rootstrap.conf" "$work/rootstrap.conf"
printf '[debian]\ncache=%s\n' "$TEST_CACHE/bookworm" >"$work/cache.conf"
chown -R nobody:nogroup "$work" "$TEST_CACHE/bookworm"
rm -f "$TEST_IMAGES/bookworm.img"

# The host process runs under valgrind where there is one: a whole build's
# fetch, unpack, supervision and shrink, without a memory error or a
# definite leak (UML and the other programs it runs are not traced).
vg=
if command -v valgrind >/dev/null; then
	vg="valgrind -q --leak-check=full --errors-for-leak-kinds=definite"
	vg="$vg --error-exitcode=99 --log-file=$work/valgrind.%p.log"
fi
run_status 0 setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env -i PATH=/usr/bin:/bin HOME=/nonexistent TMPDIR=/tmp \
    ROOTSTRAP_LIBEXECDIR="$tree/libexec" ROOTSTRAP_SYSTEM_CONF= ROOTSTRAP_CACHE= \
    sh -c "cd '$work' && exec $vg '$tree/bin/rootstrap' -c cache.conf -o build.log bookworm.img"
if [ -n "$vg" ]; then
	cat "$work"/valgrind.*.log >valgrind.log 2>/dev/null
	check "valgrind: no memory error or definite leak in the host process" \
	    test ! -s valgrind.log
	show valgrind.log 30
fi
show "$work/build.log" 15
# The package cache goes back to root, who runs the rest of the suite: a
# cache another user owns is not trusted (SECURITY.md), nobody's included.
chown -R root:root "$TEST_CACHE/bookworm"
img=$work/bookworm.img
check "the image belongs to the unprivileged user" \
    test "$(stat -c %U "$img")" = nobody
# method=host: the host makes the filesystem and unpacks the packages.
has "rootstrap: mkfs and unpack on the host (debian method=host)" \
    "$work/build.log"
for m in network mount debian uml umount; do
	has "rootstrap: module $m: ok" "$work/build.log"
done
hasnt "module mkfs" "$work/build.log"
check_image "$img"
image_cat "$img" /etc/shadow >shadow
has "root::" shadow
# freespace=256: shrunk from 1024 MB to what it holds plus about 256 MB.
free_mb=$(dumpe2fs -h "$img" 2>/dev/null | awk -F: '
	/^Free blocks/ { f = $2 } /^Block size/ { b = $2 }
	END { print int(f * b / 1048576) }')
check "about 256 MB stay free (free: $free_mb MB)" \
    test "$free_mb" -ge 220 -a "$free_mb" -le 340
check "the file was cut to the filesystem ($(stat -c %s "$img") bytes)" \
    test "$(stat -c %s "$img")" -lt 600000000
nothing_left "$work"

mv "$img" "$TEST_IMAGES/bookworm.img"
finish
