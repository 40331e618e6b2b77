#!/bin/sh
# Issue 13, item 16: what a killed image cache store or export leaves (a
# temporary file, locked while it was written) is removed as builds
# remove a killed build's image: by the next store, cache list and cache
# clean, and by the next export to the same directory. One still locked
# belongs to a live rootstrap and stays.
. "$TEST_SRCDIR/libtest.sh"

export ROOTSTRAP_CACHE=$TEST_TMP/icache
mkdir "$ROOTSTRAP_CACHE"
key=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
dead=$ROOTSTRAP_CACHE/.$key.img.rootstrap-AAAAAA
live=$ROOTSTRAP_CACHE/.$key.img.rootstrap-BBBBBB
: >"$live"
flock "$live" sleep 120 &
holder=$!
sleep 0.5

: >"$dead"
run_status 0 "$ROOTSTRAP" cache list
has "removed $dead, left by a build that was killed"
check "cache list removed the dead store's copy" test ! -e "$dead"
check "cache list kept the live store's copy" test -e "$live"

: >"$dead"
run_status 0 "$ROOTSTRAP" cache clean
has "removed $dead, left by a build that was killed"
has "removed the cached images in $ROOTSTRAP_CACHE"
check "cache clean removed the dead store's copy" test ! -e "$dead"
check "cache clean kept the live store's copy" test -e "$live"

# The next store, at the end of a build.
: >"$dead"
conf_fast mkfs mount umount >rootstrap.conf
run_status 0 "$ROOTSTRAP" img
has "removed $dead, left by a build that was killed"
has "rootstrap: stored in the image cache as"
check "the store removed the dead store's copy" test ! -e "$dead"
check "the store kept the live store's copy" test -e "$live"
check "the cache holds the image, its line and the live copy only" \
    test "$(ls -A "$ROOTSTRAP_CACHE" | grep -v "^\.$key\.img\.rootstrap-BBBBBB\$" |
    sed 's/^[0-9a-f]*\./KEY./')" = "$(printf 'KEY.img\nKEY.info')"

# The next export to the same directory.
mkdir exports
dead=$TEST_TMP/exports/.root.tar.rootstrap-CCCCCC
live=$TEST_TMP/exports/.root.tar.rootstrap-DDDDDD
: >"$dead"
: >"$live"
flock "$live" sleep 120 &
holder2=$!
sleep 0.5
run_status 0 "$ROOTSTRAP" export img exports/root.tar
has "removed exports/.root.tar.rootstrap-CCCCCC, left by a build that was killed"
check "the export is a whole tar" tar -tf exports/root.tar
check "the export removed the dead export's file" test ! -e "$dead"
check "the export kept the live export's file" test -e "$live"
kill $holder $holder2
wait $holder $holder2 2>/dev/null
rm -f "$live" "$ROOTSTRAP_CACHE"/.*.rootstrap-*
check "the export left nothing else" test "$(ls -A exports)" = root.tar
nothing_left exports
nothing_left "$ROOTSTRAP_CACHE"
nothing_left .

finish
