#!/bin/sh
# Issue 15, "Many machines": builds on several machines share their
# downloads through a standard caching proxy, Debian's apt-cacher-ng, set
# with the README's one line (http_proxy=http://10.0.2.2:3142/). Two
# builds, each with its own package cache and its own image cache (as two
# machines have), in a namespace whose only way out is net-relay.py's
# forward from its 127.0.0.1:3142 to apt-cacher-ng on the host's
# loopback. Before the second, apt-cacher-ng is restarted in offline mode
# (Offlinemode: 1: it answers from its cache or not at all): the second
# build succeeds, every package it fetched is a hit in apt-cacher-ng's
# log, nothing was downloaded from the mirror, and the two images are the
# same, byte for byte (source_date_epoch), under the same image cache key,
# though each machine has its checkout, and its package cache, in a
# directory of its own.
. "$TEST_SRCDIR/libtest.sh"
. "$TEST_SRCDIR/libnet.sh"
. "$TEST_SRCDIR/libacng.sh"
net_require
acng_require

P=rs$$m
if ! net_ns $P; then
	not_ok "could not make the namespace"
	finish
fi
# proxy_up [SETTING=VALUE...]: apt-cacher-ng (again), and the relay to it
# from the host's side of the namespace's 127.0.0.1:3142.
net_relay_pid=
proxy_up() {
	acng_start "$TEST_TMP/acng" "$@" || return 1
	[ -z "$net_relay_pid" ] || kill "$net_relay_pid"
	net_relay_host "$TEST_TMP/relay.sock" 127.0.0.1 "$ACNG_PORT"
}
if ! { proxy_up &&
    net_relay $P 127.0.0.1 3142 "$TEST_TMP/relay.sock" relay.log; }; then
	not_ok "apt-cacher-ng or the relay to it did not start"
	finish
fi
check "the namespace has no other way out" sh -c \
    "! in_ns $P ip route get 192.0.2.1 >/dev/null 2>&1"

# The machines' configuration: the README's proxy line as written, on a
# small build (minbase, the packages unpacked on the host and configured
# in the guest) with a fixed epoch, on the default transport=user whose
# guest sees the host's loopback as 10.0.2.2.
readme_example() {
	"$PYTHON3" "$TEST_SRCDIR/readme-example.py" \
	    "$TEST_SRCDIR/../README.md" "$1"
}
readme_example many-machines-proxy >proxy.conf
check "the README's line sets the proxy" \
    grep -qx 'http_proxy=http://10.0.2.2:3142/' proxy.conf
{ conf_fast mount debian umount | tail -n +3;
  echo source_date_epoch=1700000000; echo mem=256M;
  printf '[network]\ntransport=user\n';
  printf '[debian]\ndist=bookworm\nvariant=minbase\n'; } >base.conf

# Each machine builds root_fs from its checkout's ./rootstrap.conf, the
# same file but for the package cache, which is in the checkout: job-a/
# and job-b/, as two CI machines' checkouts in different places.
for n in a b; do
	mkdir "job-$n"
	{ cat base.conf; printf 'cache=%s\n' "$TEST_TMP/job-$n/debs"
	  cat proxy.conf; } >"job-$n/rootstrap.conf"
done

# build NAME: machine NAME builds job-NAME/root_fs, kept as NAME.img,
# starting with an empty package cache and its own image cache
# (images-NAME), in the namespace.
build() {
	mkdir "job-$1/debs" "images-$1"
	: >"$ACNG_LOG"
	run_status 0 sh -c "cd job-$1 && exec ip netns exec $P env \
	    ROOTSTRAP_CACHE='$TEST_TMP/images-$1' '$ROOTSTRAP' \
	    -o '$TEST_TMP/$1.log' root_fs"
	show "$1.log" 5
	mv "job-$1/root_fs" "$1.img"
	cp "$ACNG_LOG" "acng-$1.log"
	ls "job-$1/debs" | grep -c '\.deb$' >"$1.ndebs"
}

# debs_served NAME HOW: every .deb machine NAME fetched went through
# apt-cacher-ng, HOW (I: downloaded from the mirror, O: sent to the
# client).
debs_served() {
	n=$(cat "$1.ndebs")
	got=$(grep "|$2|.*|debrep/pool/.*\.deb\$" "acng-$1.log" |
	    sed 's/.*\///' | sort -u | wc -l)
	check "apt-cacher-ng's log: $2 for each of $1's $n packages ($got)" \
	    test "$n" -gt 50 -a "$got" = "$n"
}

build a
debs_served a I
debs_served a O

# The second machine, with apt-cacher-ng cut off from the mirror.
acng_stop
if ! proxy_up Offlinemode=1; then
	not_ok "apt-cacher-ng did not start again"
	finish
fi
build b
debs_served b O
check "apt-cacher-ng downloaded nothing for b" sh -c "! grep '|I|' acng-b.log"
check "apt-cacher-ng refused nothing for b" sh -c "! grep '|E|' acng-b.log"
has "debrep/dists/bookworm/InRelease" acng-b.log
# The cut is real: what apt-cacher-ng does not hold, it cannot get.
in_ns $P curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 \
    --proxy http://127.0.0.1:3142/ \
    http://deb.debian.org/debian/dists/trixie/InRelease >offline.out
check "offline, apt-cacher-ng cannot fetch what it lacks ($(cat offline.out))" \
    sh -c "! grep -qx 200 offline.out"

# The same package set and image; each machine's cache kept it, under
# the same key.
for n in a b; do
	check "e2fsck -fn finds $n.img clean" e2fsck -fn "$n.img"
	mkdir "db-$n"
	image_cat "$n.img" /var/lib/dpkg/status >"db-$n/status"
	dpkg-query --admindir="db-$n" -W \
	    -f '${Package} ${Version} ${db:Status-Abbrev}\n' | sort >"$n.pkgs"
done
check "a has the minbase packages ($(wc -l <a.pkgs))" \
    test "$(grep -c ' ii $' a.pkgs)" -gt 50
check "a and b hold the same packages at the same versions" cmp a.pkgs b.pkgs
check "a.img and b.img are identical, byte for byte" cmp a.img b.img
grep -h '^rootstrap: stored in the image cache as ' a.log >a.key
grep -h '^rootstrap: stored in the image cache as ' b.log >b.key
check "both image caches keep it under one key ($(cat a.key))" \
    sh -c "test -s a.key && cmp a.key b.key"
# The README's CI cache key, run as written in machine a's checkout: the
# key b's image is stored under, and a hit in b's image cache.
mkdir bin
ln -s "$ROOTSTRAP" bin/rootstrap
{ readme_example many-machines-ci-key; echo 'echo "key $key"'; } >key.sh
(cd job-a && in_ns $P env PATH="$TEST_TMP/bin:$PATH" \
    ROOTSTRAP_CACHE="$TEST_TMP/images-b" sh -e ../key.sh) >ci.out 2>&1
key=$(sed -n 's/^key //p' ci.out)
check "the README's CI key is the image cache's ($key)" \
    sh -c "echo '$key' | grep -Eqx '[0-9a-f]{64}' &&
	grep -q ' as $(echo "$key" | cut -c1-16)\$' b.key"
[ -n "$key" ] || show ci.out
(cd job-a && in_ns $P env ROOTSTRAP_CACHE="$TEST_TMP/images-b" \
    "$ROOTSTRAP" -n root_fs) >ci.plan 2>&1
has "cache: $key (hit)" ci.plan
net_cleanup
wait
nothing_left job-a
nothing_left job-b

finish
