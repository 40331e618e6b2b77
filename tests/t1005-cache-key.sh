#!/bin/sh
# The image cache's key is what decides the image, not where it is built:
# the same configuration, built as a.img in one directory and as b.img in
# another with another package cache and modulepath written otherwise (two
# machines, two checkouts), has one key and one stage key, and finds the
# other's cached image; a change to the image's content (a package, the
# host name, a user module's text) has another. `rootstrap -n` prints the
# keys, so nothing is built: the mirror is a file:/// suite.
. "$TEST_SRCDIR/libtest.sh"

export ROOTSTRAP_CACHE=$TEST_TMP/images
mkdir -p mirror/dists/bookworm one/mods two/mods
printf 'Suite: bookworm\n' >mirror/dists/bookworm/Release
cp mirror/dists/bookworm/Release mirror/dists/bookworm/InRelease
for d in one two; do
	printf '#!/bin/sh\necho stamped >"$ROOTSTRAP_TARGET/etc/stamp"\n' \
	    >$d/mods/stamp
	chmod +x $d/mods/stamp
done

# conf DIR MODULEPATH [EXTRA]: DIR's rootstrap.conf, its package cache in
# DIR, EXTRA lines after [debian]'s.
conf() {
	printf '[network]\ntransport=none\nhostname=%s\n' "${HOST:-box}"
	printf '[global]\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n'
	printf 'modulepath=%s\n' "$2"
	printf 'modules=network mkfs mount debian stamp umount\n'
	printf '[debian]\nmirror=file://%s/mirror\ncache=%s/%s/debs\n' \
	    "$TEST_TMP" "$TEST_TMP" "$1"
	printf '%b' "${3:-}"
}

# keys DIR IMAGE OUT: the cache and stage lines of -n in DIR for IMAGE.
keys() {
	(cd "$1" && "$ROOTSTRAP" -n "$2") >"$3.all" 2>&1
	grep -E '^(cache|stage): ' "$3.all" >"$3"
	cut -d" " -f1,2 "$3" >"$3.keys"
}

conf one "$TEST_TMP/one/mods" >one/rootstrap.conf
conf two mods >two/rootstrap.conf
keys one a.img one.out
keys two b.img two.out
check "-n prints a cache key and a stage key" \
    test "$(grep -c '^cache: [0-9a-f]\{64\} (miss)$' one.out)" = 1 -a \
    "$(grep -c '^stage: [0-9a-f]\{64\} ' one.out)" = 1
check "a.img in one directory and b.img in another have one key and stage" \
    cmp one.out.keys two.out.keys
key=$(sed -n 's/^cache: \([0-9a-f]*\) .*/\1/p' one.out)
mkdir -p images
printf 'an image\n' >"images/$key.img"
keys two b.img two.out
has_line "cache: $key (hit)" two.out

# What changes the image changes the key.
conf two mods '\ninclude=less\n' >two/rootstrap.conf
keys two b.img pkg.out
check "another package: another key" sh -c '! cmp -s one.out.keys pkg.out.keys'
conf two mods >two/rootstrap.conf
HOST=other conf two mods >two/rootstrap.conf
keys two b.img host.out
check "another hostname: another key" \
    sh -c '! cmp -s one.out.keys host.out.keys'
check "another hostname: the same stage (it comes after debian)" \
    test "$(grep stage: one.out.keys)" = "$(grep stage: host.out.keys)"
conf two mods >two/rootstrap.conf
printf 'echo more >>"$ROOTSTRAP_TARGET/etc/stamp"\n' >>two/mods/stamp
keys two b.img mod.out
check "another text of a user module: another key" \
    sh -c '! cmp -s one.out.keys mod.out.keys'
finish
