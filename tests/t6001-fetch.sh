#!/bin/sh
# Host-side fetch: debootstrap's selection, a verified .deb cache, and the
# faults a mirror or a network can throw at it (tests/mirror.py).
. "$TEST_SRCDIR/libtest.sh"
plan

mirror_start
CACHE=$TEST_TMP/cache
: >faults

# conf VARIANT INCLUDE [MORE LINES]: a [debian] section for the test mirror.
conf() {
	printf '[global]\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n'
	printf '[debian]\ndist=bookworm\nmirror=%s\ncache=%s\n' "$MIRROR" "$CACHE"
	printf 'variant=%s\ninclude=%s\nstall_timeout=2\n' "$1" "$2"
	shift 2
	for l in "$@"; do
		printf '%s\n' "$l"
	done
}

fetch() {
	"$ROOTSTRAP" fetch "$@" >"$TEST_TMP/list" 2>"$TEST_TMP/out"
}

# 1. The same packages as debootstrap, for each variant.
same_as_debootstrap() {
	variant=$1
	include=$2
	conf "$variant" "$include" >sel.conf
	fetch -n -p -c sel.conf
	check "fetch -n resolves ${variant:-the default variant}${include:+ + $include}" \
	    test -s "$TEST_TMP/list"
	cut -d' ' -f1 "$TEST_TMP/list" | sort >ours
	if [ "$(id -u)" != 0 ]; then
		echo "# skipped: debootstrap --print-debs needs root"
		return
	fi
	set --
	[ -z "$variant" ] || set -- "--variant=$variant"
	[ -z "$include" ] || set -- "$@" "--include=$(echo "$include" | tr ' ' ,)"
	debootstrap --print-debs "$@" bookworm "$TEST_TMP/ds" "$MIRROR" \
	    >ds.out 2>ds.err
	rm -rf "$TEST_TMP/ds"
	tr ' ' '\n' <ds.out | sed '/^$/d' | sort >theirs
	if [ -s theirs ] && cmp -s ours theirs; then
		ok "the same $(wc -l <ours) packages as debootstrap --print-debs $*"
	else
		not_ok "not debootstrap's selection for $*"
		diff ours theirs | sed 's/^/#   /' | head -20
		show ds.err 5
	fi
}
same_as_debootstrap minbase ""
same_as_debootstrap "" ""
same_as_debootstrap minbase "systemd-sysv udev"

# 2. A fetch fills the cache with verified files, in a sound order.
# (The mirror has the index since the first fetch -n.)
xz -dc "$MIRROR_DIR"/dists/bookworm/main/binary-amd64/Packages.xz >Packages
conf minbase "systemd-sysv udev" >f.conf
fetch -p -c f.conf
check "fetch succeeds" test $? = 0
check "it lists 90 or more packages" test "$(wc -l <"$TEST_TMP/list")" -ge 90
awk '/^Package:/ {p=$2} /^SHA256:/ {print p, $2}' Packages | sort >index.sums
while read -r pkg ver path; do
	echo "$pkg $(sha256sum <"$path" | cut -d' ' -f1)"
done <"$TEST_TMP/list" | sort >cache.sums
check "every cached .deb has its index's SHA256" \
    sh -c 'test -s cache.sums && join cache.sums index.sums | awk "\$2 != \$3 {exit 1}" && test "$(join cache.sums index.sums | wc -l)" = "$(wc -l <cache.sums)"'
check "libc6 comes before bash, dpkg before apt" sh -c '
	n() { grep -n "^$1 " "$0" | cut -d: -f1; }
	[ "$(n libc6)" -lt "$(n bash)" ] && [ "$(n dpkg)" -lt "$(n apt)" ]' \
    "$TEST_TMP/list"
check "no .partial file left" test -z "$(find "$CACHE" -name '*.partial')"

# 3. A second fetch downloads nothing.
: >"$TEST_TMP/requests.log"
fetch -p -c f.conf
check "the second fetch succeeds" test $? = 0
check "the second fetch asks the mirror for no package" \
    sh -c '! grep -q "/pool/" "$TEST_TMP/requests.log"'
has "cached, fetching 0 (0.0 MB)"
check "the second fetch does not ask for Packages.xz" \
    sh -c '! grep -q "Packages.xz" "$TEST_TMP/requests.log"'

# 3b. The decompressed index is kept under its SHA256 and checked before
# use; a damaged copy is removed and made again from the .xz.
PLAIN=$CACHE/by-hash/SHA256/$(sha256sum <Packages | cut -d' ' -f1)
check "the decompressed index is in the cache under its SHA256" \
    cmp -s Packages "$PLAIN"
printf 'garbage' | dd of="$PLAIN" bs=1 seek=100 conv=notrunc 2>/dev/null
fetch -p -c f.conf
check "a damaged decompressed index: the fetch succeeds" test $? = 0
has "not the index InRelease lists; decompressing it again"
check "the decompressed index is whole again" cmp -s Packages "$PLAIN"
# Both damaged: the .xz is checked before it is decompressed, and fetched.
XZ=$CACHE/by-hash/SHA256/$(sha256sum \
    <"$MIRROR_DIR"/dists/bookworm/main/binary-amd64/Packages.xz | cut -d' ' -f1)
printf 'garbage' | dd of="$PLAIN" bs=1 seek=100 conv=notrunc 2>/dev/null
printf 'garbage' | dd of="$XZ" bs=1 seek=100 conv=notrunc 2>/dev/null
fetch -p -c f.conf
check "a damaged index and .xz: the fetch succeeds" test $? = 0
has "$XZ: SHA256"
check "both are whole again" sh -c \
    "cmp -s Packages '$PLAIN' && xz -dc '$XZ' | cmp -s Packages -"

# The fault tests each take dash out of the cache first.
DASH=$(grep '^dash ' "$TEST_TMP/list" | cut -d' ' -f3)
refetch_dash() {
	rm -f "$DASH" "$DASH.partial"
	printf '%s\n' "$1" >"$TEST_TMP/faults"
	: >"$TEST_TMP/requests.log"
	start=$(date +%s)
	fetch -c f.conf
	status=$?
	took=$(($(date +%s) - start))
	: >"$TEST_TMP/faults"
}
cache_sound() {
	check "every .deb in the cache matches the index" sh -c '
		for f in "$0"/*.deb; do
			sha256sum "$f" | cut -d" " -f1
		done | sort >have &&
		awk "/^SHA256:/ {print \$2}" Packages | sort >all &&
		test -z "$(comm -23 have all)"' "$CACHE"
}

# 4. 404: the URL is named.
refetch_dash '404 /pool/main/d/dash/'
check "404: exit status 1" test "$status" = 1
has "$MIRROR/pool/main/d/dash/$(basename "$DASH"): HTTP status 404"
check "404: dash is not in the cache" test ! -e "$DASH"

# 5. A stalled server: given up after the stall timeout, no hang.
refetch_dash 'stall /pool/main/d/dash/ 600'
check "stall: exit status 1" test "$status" = 1
has "Operation too slow"
has "gave up after 4 tries"
check "stall: over in under 60 s (took ${took} s)" test "$took" -lt 60

# A server that never answers once: timed out, then tried again.
refetch_dash 'hang /pool/main/d/dash/ 600 count=1'
check "no answer once: the fetch succeeds" test "$status" = 0
has "trying again in 1 s"
check "no answer once: dash is cached" test -e "$DASH"

# Two 503s: transient, retried after 1 s and 2 s.
refetch_dash 'status /pool/main/d/dash/ 503 count=2'
check "503 twice: the fetch succeeds" test "$status" = 0
has "HTTP status 503; trying again in 2 s"
check "503 twice: three requests for dash" \
    test "$(grep -c 'dash_' "$TEST_TMP/requests.log")" = 3

# 6. A connection closed mid-body: resumed with a Range request.
refetch_dash 'close /pool/main/d/dash/ 20000 count=1'
check "close mid-body: the fetch succeeds" test "$status" = 0
check "close mid-body: resumed from byte 20000" \
    grep -q "dash.* bytes=20000- 206" "$TEST_TMP/requests.log"
check "close mid-body: dash is cached" test -e "$DASH"
cache_sound

# 7. A truncated file, every time: fails cleanly, never cached.
refetch_dash 'truncate /pool/main/d/dash/ 1000'
check "truncated: exit status 1" test "$status" = 1
has "gave up after"
check "truncated: dash is not in the cache" test ! -e "$DASH"
cache_sound

# 8. A corrupt file: refused, never cached, not even as a .partial.
refetch_dash 'corrupt /pool/main/d/dash/'
check "corrupt: exit status 1" test "$status" = 1
has "corrupt download"
check "corrupt: dash is not in the cache" test ! -e "$DASH"
check "corrupt: no .partial of it either" test ! -e "$DASH.partial"
cache_sound

# 9. A corrupt file in the cache itself is noticed and fetched again.
refetch_dash ''
printf 'garbage' | dd of="$DASH" bs=1 seek=100 conv=notrunc 2>/dev/null
fetch -c f.conf
check "a damaged cached file: the fetch succeeds" test $? = 0
has "$(basename "$DASH"): SHA256"
has "fetching it again"
cache_sound

# 10. A bad InRelease signature is refused.
printf 'badsig /dists/bookworm/InRelease\n' >"$TEST_TMP/faults"
fetch -n -c f.conf
check "bad signature: exit status 1" test $? = 1
has "$MIRROR/dists/bookworm/InRelease: refused: signature check failed"
has "BAD signature"
: >"$TEST_TMP/faults"

# A keyring without the archive's key: refused as well.
: >empty.gpg
conf minbase "" "keyring=empty.gpg" >kr.conf
fetch -n -c kr.conf
check "unknown key: exit status 1" test $? = 1
has "signature check failed with keyring ./empty.gpg"
has "No public key"

# 11. A Packages.xz that does not match InRelease is refused.
rm -rf "$CACHE/by-hash"
printf 'corrupt /dists/bookworm/main/binary-amd64/Packages.xz\n' \
    >"$TEST_TMP/faults"
fetch -n -c f.conf
check "corrupt index: exit status 1" test $? = 1
has "Packages.xz: corrupt download"
: >"$TEST_TMP/faults"

# 12. http_proxy: from the configuration, and from the environment.
rm -rf "$CACHE/by-hash"
: >"$TEST_TMP/requests.log"
conf minbase "" "mirror=http://deb.debian.org/debian" \
    "http_proxy=http://127.0.0.1:$PORT" >proxy.conf
fetch -n -c proxy.conf
check "[debian] http_proxy: the fetch succeeds" test $? = 0
check "[debian] http_proxy: InRelease came through the proxy" \
    grep -q "^GET http://deb.debian.org/debian/dists/bookworm/InRelease " \
    "$TEST_TMP/requests.log"
: >"$TEST_TMP/requests.log"
conf minbase "" "mirror=http://deb.debian.org/debian" >proxy.conf
http_proxy=http://127.0.0.1:$PORT fetch -n -c proxy.conf
check "http_proxy in the environment: the fetch succeeds" test $? = 0
check "http_proxy in the environment: InRelease came through the proxy" \
    grep -q "^GET http://deb.debian.org/debian/dists/bookworm/InRelease " \
    "$TEST_TMP/requests.log"

# 13. Interrupted: SIGINT ends it promptly, with nothing of dash cached.
rm -f "$DASH" "$DASH.partial"
printf 'stall /pool/main/d/dash/ 600\n' >"$TEST_TMP/faults"
conf minbase "systemd-sysv udev" "stall_timeout=300" >int.conf
"$ROOTSTRAP" fetch -c int.conf >/dev/null 2>"$TEST_TMP/out" &
pid=$!
i=0
while ! grep -q dash "$TEST_TMP/requests.log" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -INT $pid
start=$(date +%s)
wait $pid
status=$?
check "SIGINT: exit status 130" test "$status" = 130
check "SIGINT: over at once" test $(($(date +%s) - start)) -lt 5
has "interrupted by Interrupt"
check "SIGINT: dash is not in the cache" test ! -e "$DASH"
: >"$TEST_TMP/faults"

# 14. Bad input: an unknown package, a component the suite lacks, usage.
conf minbase "no-such-package-here" >bad.conf
fetch -n -c bad.conf
check "an unknown package: exit status 1" test $? = 1
has "no such package in the indexes: no-such-package-here"
conf minbase "" "components=main nonesuch" >bad.conf
fetch -n -c bad.conf
check "an unknown component: exit status 1" test $? = 1
has "lists no nonesuch/binary-amd64/Packages.xz"
conf minbase "" "stall_timeout=soon" >bad.conf
fetch -n -c bad.conf
check "a bad stall_timeout: exit status 2" test $? = 2
has "bad.conf:10: stall_timeout: invalid number of seconds 'soon'"
fetch -n extra
check "an extra argument: exit status 2" test $? = 2
has "usage: rootstrap fetch"

# nothing_left, but for the test mirror, which runs from $TEST_TMP too.
left_nothing() {
	check "no temporary image left" \
	    sh -c '! ls -a | grep -q "^\..*\.rootstrap-"'
	check "no process left running but the test mirror" \
	    test -z "$(pgrep -f "$TEST_TMP" | grep -vx "$mirror_pid")"
}

# 15. A whole build meets a corrupt package: it fails before the guest
# boots, naming the file, with nothing at or beside the target and the
# cache clean; the next build, with the mirror mended, works.
conf minbase "" >build.conf
printf '[global]\nmodules=mount debian umount\ninitialsize=600\nfreespace=0\n' \
    >>build.conf
rm -f "$DASH"
printf 'corrupt /pool/main/d/dash/\n' >"$TEST_TMP/faults"
"$ROOTSTRAP" -c build.conf -o build.log target.img >"$TEST_TMP/out" 2>&1
check "a corrupt package fails the build (status $?)" test $? = 1
has "corrupt download"
hasnt "booting UML" build.log
check "corrupt: no image at the target" test ! -e target.img
check "corrupt: dash is not in the cache" test ! -e "$DASH"
left_nothing
cache_sound

# 16. Signals while the host works: SIGTERM during a stalled download ends
# the build at once; SIGKILL during the unpack leaves a temporary image,
# which the next build removes.
wait_log() {
	for i in $(seq 300); do
		grep -q "$1" "$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
printf 'stall /pool/main/d/dash/ 600\n' >"$TEST_TMP/faults"
"$ROOTSTRAP" -c build.conf -o term.log target.img >"$TEST_TMP/out" 2>&1 &
pid=$!
wait_log "fetching" term.log
sleep 1
kill -TERM $pid
start=$(date +%s)
wait $pid
status=$?
check "SIGTERM while fetching: exit status 143 (got $status)" test $status = 143
check "SIGTERM while fetching: over at once" \
    test $(($(date +%s) - start)) -lt 5
check "SIGTERM while fetching: no image" test ! -e target.img
check "SIGTERM while fetching: dash is not in the cache" test ! -e "$DASH"
left_nothing
: >"$TEST_TMP/faults"
"$ROOTSTRAP" -c build.conf -o kill.log target.img >"$TEST_TMP/out" 2>&1 &
pid=$!
wait_log "unpack on the host" kill.log
kill -KILL $pid
wait $pid 2>/dev/null
check "SIGKILL while unpacking: no image" test ! -e target.img
ls -a >killed.ls
check "SIGKILL while unpacking leaves the temporary image" \
    grep -q '^\.target\.img\.rootstrap-' killed.ls

run_status 0 "$ROOTSTRAP" -c build.conf -o build.log target.img
left_nothing
check "the next build works: dash is installed" \
    sh -c "'$ROOTSTRAP' export target.img - | tar -tf - | grep -qx './usr/bin/dash'"
check "the next build's image is clean" e2fsck -fn target.img
image_cat target.img /var/lib/dpkg/status >status
check "every package of it is installed" \
    test "$(grep -c '^Status: install ok installed$' status)" = \
    "$(grep -c '^Package: ' status)"

finish
