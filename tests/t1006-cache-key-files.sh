#!/bin/sh
# The image cache's key names the kernel and the keyring by what they are,
# not where they are: kernel=auto's kernel in two cache directories (two
# home directories, a cache restored without its times, its binary patched
# to name its own directory) has one key while its packages are the same;
# a kernel= path and the keyring by their content. `rootstrap -n` prints
# the keys, so nothing is built: the mirror is a file:/// suite, the
# kernel the host's linux.uml.
. "$TEST_SRCDIR/libtest.sh"

uml=$(command -v linux.uml) || skip_all "no linux.uml"
export ROOTSTRAP_CACHE=$TEST_TMP/images
mkdir -p mirror/dists/bookworm work
printf 'Suite: bookworm\n' >mirror/dists/bookworm/InRelease
cp /usr/share/keyrings/debian-archive-keyring.gpg k1.gpg
mkdir elsewhere
cp k1.gpg elsewhere/k1.gpg
{ cat k1.gpg; printf 'x'; } >k2.gpg

# conf KERNEL KEYRING: work's rootstrap.conf.
conf() {
	printf '[network]\ntransport=none\n'
	printf '[global]\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\nkernel=%s\n' "$1"
	printf 'modules=network mkfs mount debian umount\n'
	printf '[debian]\nmirror=file://%s/mirror\ncache=%s/debs\n' \
	    "$TEST_TMP" "$TEST_TMP"
	printf 'keyring=%s\n' "$2"
}

# keys XDG KERNEL KEYRING OUT: the cache key of -n, with
# XDG_CACHE_HOME=XDG.
keys() {
	conf "$2" "$3" >work/rootstrap.conf
	(cd work && XDG_CACHE_HOME=$TEST_TMP/$1 "$ROOTSTRAP" -n a.img) \
	    >"$4.all" 2>&1
	grep '^cache: ' "$4.all" | cut -d" " -f1,2 >"$4"
}

# auto_kernel XDG VERSION: kernel=auto's cached sid kernel as a fetch
# leaves it: the binary, what it is (identity), a link to its version.
auto_kernel() {
	d=$TEST_TMP/$1/rootstrap/kernels
	mkdir -p "$d/sid-$2"
	cp "$uml" "$d/sid-$2/linux.uml"
	printf 'user-mode-linux %s %s\n' "$2" \
	    "$(printf %s "$2" | sha256sum | cut -d" " -f1)" \
	    >"$d/sid-$2/identity"
	printf 'user-mode-linux %s\n' "$2" >"$d/sid-$2/origin"
	ln -s "sid-$2" "$d/sid"
}

auto_kernel xdg1 1um1
keys xdg1 auto "$TEST_TMP/k1.gpg" auto1
check "-n prints a cache key" \
    test "$(grep -c '^cache: [0-9a-f]\{64\}$' auto1)" = 1
check "kernel=auto used the cached kernel" \
    grep -q "xdg1/rootstrap/kernels/sid" auto1.all
cp -a xdg1 xdg2
touch -d @1 xdg2/rootstrap/kernels/sid-1um1/linux.uml
keys xdg2 auto "$TEST_TMP/k1.gpg" auto2
check "the same auto kernel in another cache, another mtime: one key" \
    cmp auto1 auto2
cp -a xdg1 xdg3
printf 'x' >>xdg3/rootstrap/kernels/sid-1um1/linux.uml
keys xdg3 auto "$TEST_TMP/k1.gpg" auto3
check "the same packages, a binary patched otherwise: one key" \
    cmp auto1 auto3
# Another version in the same place, the binary untouched.
printf 'user-mode-linux 1um2 %s\n' "$(echo 1um2 | sha256sum | cut -c1-64)" \
    >xdg1/rootstrap/kernels/sid-1um1/identity
keys xdg1 auto "$TEST_TMP/k1.gpg" auto4
check "another version of the auto kernel: another key" \
    sh -c '! cmp -s auto1 auto4'

# kernel= a path: by its content.
mkdir a b c
cp "$uml" a/linux.uml
cp "$uml" b/linux.uml
touch -d @1 b/linux.uml
keys xdg1 "$TEST_TMP/a/linux.uml" "$TEST_TMP/k1.gpg" path1
keys xdg1 "$TEST_TMP/b/linux.uml" "$TEST_TMP/k1.gpg" path2
check "kernel= a copy elsewhere of the same binary: one key" \
    cmp path1 path2
# Another binary at the same path, of the same size and time: its last
# byte (in the section headers, which nothing loads) changed.
cp -p b/linux.uml c/linux.uml
size=$(wc -c <c/linux.uml)
last=$(tail -c1 c/linux.uml | od -An -tu1 | tr -d ' ')
printf "\\$(printf %o $(((last + 1) % 256)))" |
    dd of=b/linux.uml bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
touch -r c/linux.uml b/linux.uml
keys xdg1 "$TEST_TMP/b/linux.uml" "$TEST_TMP/k1.gpg" path3
check "kernel= another binary (same path, size, time): another key" \
    sh -c '! cmp -s path2 path3'

# The keyring: by its content.
keys xdg1 "$TEST_TMP/a/linux.uml" "$TEST_TMP/elsewhere/k1.gpg" ring1
check "a copy elsewhere of the same keyring: one key" cmp path1 ring1
cp k2.gpg elsewhere/k1.gpg
keys xdg1 "$TEST_TMP/a/linux.uml" "$TEST_TMP/elsewhere/k1.gpg" ring2
check "another keyring at the same path: another key" \
    sh -c '! cmp -s ring1 ring2'
finish
