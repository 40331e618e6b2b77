#!/bin/sh
# Issue 13, items 11 and 12: another user who can write where rootstrap
# works. In a shared sticky directory they may plant links at any name
# they can predict: the shrink's copy of the image has none, and nothing
# is written through their links. A cache they could write to (the image
# cache, the package cache) is refused, with the directory and what is
# wrong with it, and so is a cached image they could have swapped.
. "$TEST_SRCDIR/libtest.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root, to act as a second user"
command -v setpriv >/dev/null || skip_all "needs setpriv"
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}

echo precious >victim
chmod 644 victim
cp victim victim.orig

# 11. The shrink, in a sticky directory everyone may write to (as /tmp).
# The other user is quick: as the shrink copies the image, a link waits
# at every name it could know (the old copy was IMAGE's temporary name
# plus .shrink), and they try to replace each temporary file with one.
mkdir shared bin
chmod 1777 shared
cat >bin/cp <<SH
#!/bin/sh
touch $TEST_TMP/cp-ran
for f in $TEST_TMP/shared/.*.rootstrap-*; do
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- \\
	    ln -s $TEST_TMP/victim "\$f.shrink"
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- \\
	    sh -c 'rm -f "\$1" && ln -s $TEST_TMP/victim "\$1"' - "\$f"
done 2>/dev/null
exec /bin/cp "\$@"
SH
chmod +x bin/cp
conf_fast mkfs mount umount >rootstrap.conf
echo "freespace=1" >>rootstrap.conf
PATH=$TEST_TMP/bin:$PATH run_status 0 "$ROOTSTRAP" shared/img
check "the forced shrink ran, and met the other user" test -e cp-ran
check "the other user's link target is untouched" \
    cmp -s victim victim.orig
check "the image is whole" e2fsck -fn shared/img
check "the image is rootstrap's, not a link" test ! -L shared/img
rm -f shared/.*.shrink
nothing_left shared

# 12. The image cache, where another user may write: refused before
# anything is made.
export ROOTSTRAP_CACHE=$TEST_TMP/shared/icache
mkdir "$ROOTSTRAP_CACHE"
chmod 1777 "$ROOTSTRAP_CACHE"
fails_with 1 "rootstrap: image cache: $ROOTSTRAP_CACHE: writable by others; nothing was built (use a directory of your own as ROOTSTRAP_CACHE, or --no-cache)" \
    "$ROOTSTRAP" img
check "nothing was built" test ! -e img
nothing_left .
run_status 0 "$ROOTSTRAP" -n img
has "cache: not used: image cache $ROOTSTRAP_CACHE: writable by others"
fails_with 1 "rootstrap: image cache: $ROOTSTRAP_CACHE: writable by others; not listed" \
    "$ROOTSTRAP" cache list
: >"$ROOTSTRAP_CACHE/kept.img"
fails_with 1 "rootstrap: image cache: $ROOTSTRAP_CACHE: writable by its group; not cleaned" \
    sh -c 'chmod 775 "$1" && chgrp staff "$1" && exec "$0" cache clean' \
    "$ROOTSTRAP" "$ROOTSTRAP_CACHE"
check "clean removed nothing there" test -e "$ROOTSTRAP_CACHE/kept.img"
rm "$ROOTSTRAP_CACHE/kept.img"

# ... or that is another user's, or under a directory they may rename in.
chown nobody "$ROOTSTRAP_CACHE"
chmod 755 "$ROOTSTRAP_CACHE"
fails_with 1 "rootstrap: image cache: $ROOTSTRAP_CACHE: owned by nobody, not by you or root; nothing was built" \
    "$ROOTSTRAP" img
chown root:root "$ROOTSTRAP_CACHE"
mkdir -p open/cache
chmod 757 open
fails_with 1 "rootstrap: image cache: $TEST_TMP/open (above $TEST_TMP/open/cache): writable by others; nothing was built" \
    env ROOTSTRAP_CACHE="$TEST_TMP/open/cache" "$ROOTSTRAP" img
check "nothing was built" test ! -e img
nothing_left .

# A cached image another user could have swapped is not reused: theirs,
# or writable by them, in a directory that is ours.
"$ROOTSTRAP" -n img >dry.out
key=$(sed -n 's/^cache: \([0-9a-f]*\) (miss)$/\1/p' dry.out)
check "the build has a cache key" test -n "$key"
echo "not an image" >"$ROOTSTRAP_CACHE/$key.img"
chown nobody "$ROOTSTRAP_CACHE/$key.img"
fails_with 1 "rootstrap: image cache: $ROOTSTRAP_CACHE/$key.img: owned by nobody, not by you or root; not reused, nothing was built (remove it, or use --no-cache)" \
    "$ROOTSTRAP" img
check "the swapped image was not copied" test ! -e img
run_status 0 "$ROOTSTRAP" -n img
has "cache: $key (not reused: $ROOTSTRAP_CACHE/$key.img: owned by nobody, not by you or root)"
chown root "$ROOTSTRAP_CACHE/$key.img"
chmod 666 "$ROOTSTRAP_CACHE/$key.img"
fails_with 1 "rootstrap: image cache: $ROOTSTRAP_CACHE/$key.img: writable by others; not reused" \
    "$ROOTSTRAP" img
check "the swapped image was not copied" test ! -e img
nothing_left .
rm "$ROOTSTRAP_CACHE/$key.img"
unset ROOTSTRAP_CACHE
export ROOTSTRAP_CACHE=

# 12. The package cache: its partial downloads are written under names
# known in advance. Another user's link there must not be written
# through; the cache is refused before anything is opened in it.
cp victim.orig victim	# (after a failure above, for a clear one here)
mkdir debs
chmod 1777 debs
as_nobody mkdir debs/by-hash
as_nobody ln -s "$TEST_TMP/victim" debs/by-hash/InRelease.partial
printf '[debian]\ncache=%s/debs\nmirror=file://%s/nomirror\n' "$TEST_TMP" \
    "$TEST_TMP" >debs.conf
fails_with 1 "rootstrap: fetch: package cache: $TEST_TMP/debs: writable by others; not trusted (set [debian] cache to a directory of your own)" \
    "$ROOTSTRAP" fetch -c debs.conf
check "the link's target is untouched" cmp -s victim victim.orig
chmod 755 debs
fails_with 1 "rootstrap: fetch: package cache: $TEST_TMP/debs/by-hash: owned by nobody, not by you or root; not trusted" \
    "$ROOTSTRAP" fetch -c debs.conf
check "the link's target is untouched" cmp -s victim victim.orig
# A build reports it the same way, before it makes anything.
conf_fast mkfs mount debian umount >rootstrap.conf
mkdir -p mirror/dists/bookworm
echo "suite" >mirror/dists/bookworm/InRelease
printf '[debian]\ncache=%s/debs\nmirror=file://%s/mirror\n' "$TEST_TMP" \
    "$TEST_TMP" >build.conf
printf '[global]\ninitialsize=400\n' >>build.conf
fails_with 1 "rootstrap: debian: package cache: $TEST_TMP/debs/by-hash: owned by nobody, not by you or root; not trusted" \
    "$ROOTSTRAP" -c build.conf img
check "nothing was built" test ! -e img
check "the link's target is untouched" cmp -s victim victim.orig
nothing_left .

finish
