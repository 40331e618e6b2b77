#!/bin/sh
# The image cache: an unchanged build reuses its earlier result, byte for
# byte; any change to the configuration, a module or the mirror's state
# rebuilds; the cache can be listed and cleaned.
. "$TEST_SRCDIR/libtest.sh"
export ROOTSTRAP_CACHE=$TEST_TMP/image-cache

mkdir mods
printf '#!/bin/sh\necho one >"$ROOTSTRAP_TARGET/version"\n' >mods/stamp
chmod +x mods/stamp
conf_fast mkfs mount stamp umount >rootstrap.conf
echo "modulepath=mods" >>rootstrap.conf

run_status 0 "$ROOTSTRAP" first.img
has "rootstrap: stored in the image cache as"
hasnt "reused"
run_status 0 "$ROOTSTRAP" second.img
has "rootstrap: reused the cached image"
hasnt "booting UML"
check "the reused image is the first one, byte for byte" cmp first.img second.img
run_status 0 "$ROOTSTRAP" cache list
has "mkfs mount stamp umount -> $TEST_TMP/first.img"

# A changed key, a changed module: built again.
sed -i 's/^mem=128M/mem=160M/' rootstrap.conf
run_status 0 "$ROOTSTRAP" third.img
hasnt "reused"
has "booting UML"
printf '#!/bin/sh\necho two >"$ROOTSTRAP_TARGET/version"\n' >mods/stamp
run_status 0 "$ROOTSTRAP" fourth.img
hasnt "reused"
check "the changed module's result is in the image" \
    test "$(image_cat fourth.img /version)" = two
run_status 0 "$ROOTSTRAP" --no-cache fifth.img
has "booting UML"

# The mirror's state is part of the key: its InRelease, fetched now.
mkdir -p mirror/dists/bookworm
echo "state one" >mirror/dists/bookworm/InRelease
conf_fast mkfs mount debian umount >rootstrap.conf
# (debian refuses images below 320 MB; sparse, so the size costs nothing)
printf '[debian]\nmirror=file://%s/mirror\n[global]\ninitialsize=400\n' \
    "$TEST_TMP" >mirror.conf
run_status 0 "$ROOTSTRAP" -n -c mirror.conf img
key1=$(sed -n 's/^cache: \([0-9a-f]*\) .*/\1/p' out)
echo "state two" >mirror/dists/bookworm/InRelease
run_status 0 "$ROOTSTRAP" -n -c mirror.conf img
key2=$(sed -n 's/^cache: \([0-9a-f]*\) .*/\1/p' out)
check "a new mirror state gives a new key ($key1, $key2)" \
    test -n "$key1" -a -n "$key2" -a "$key1" != "$key2"
rm mirror/dists/bookworm/InRelease
run_status 0 "$ROOTSTRAP" -n -c mirror.conf img
has "cache: not used: file://$TEST_TMP/mirror/dists/bookworm/InRelease:"

run_status 0 "$ROOTSTRAP" cache clean
run_status 0 "$ROOTSTRAP" cache list
check "the cache is empty after clean" test ! -s out
fails_with 2 "usage: rootstrap cache list|clean" "$ROOTSTRAP" cache
nothing_left .

finish
