#!/bin/sh
# bench.sh: how long a bookworm image (minbase + systemd-sysv + udev, the
# shipped configuration) takes to build with rootstrap and with the host
# tools it is measured against, cold (nothing downloaded yet) and warm
# (packages cached). Prints the median of N runs of each, the ratios to
# host debootstrap + mke2fs -d, each image's allocated size against its
# content, and the time to boot an image and run one command in it.
#
# usage: bench/bench.sh [-n N] [-k] [WORKDIR]
#   -n N   runs of each (default 3); the in-guest debootstrap runs once
#   -k     keep WORKDIR (default: a directory in $TMPDIR, removed)
# Environment: ROOTSTRAP (default: rootstrap/rootstrap of this tree, else
# the one on PATH), ROOTSTRAP_LIBEXECDIR, MIRROR, DIST. The host tools
# (debootstrap, mmdebstrap) need root; their rows are left out without it.
set -u
export LC_ALL=C

runs=3
keep=0
while getopts n:k opt; do
	case $opt in
	n) runs=$OPTARG ;;
	k) keep=1 ;;
	*) echo "usage: $0 [-n N] [-k] [workdir]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case $runs in ''|*[!0-9]*|0) echo "$0: -n: a whole number > 0" >&2; exit 2 ;; esac

top=$(cd "$(dirname "$0")/.." && pwd)
: "${MIRROR:=http://deb.debian.org/debian}"
: "${DIST:=bookworm}"
if [ -z "${ROOTSTRAP:-}" ]; then
	if [ -x "$top/rootstrap/rootstrap" ]; then
		ROOTSTRAP=$top/rootstrap/rootstrap
		: "${ROOTSTRAP_LIBEXECDIR:=$top/rootstrap}"
		export ROOTSTRAP_LIBEXECDIR
	else
		ROOTSTRAP=rootstrap
	fi
fi
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/rootstrap-bench.XXXXXX")}
mkdir -p "$work"
cd "$work" || exit 1
[ "$keep" = 1 ] || trap 'cd /; rm -rf "$work"' EXIT
export ROOTSTRAP_CACHE= ROOTSTRAP_SYSTEM_CONF="$top/conf/rootstrap.conf"
include=systemd-sysv,udev
results=$work/results
: >"$results"

now() { date +%s.%N; }

# run NAME COMMAND...: time one run; a failed run is reported, not timed.
run() {
	name=$1
	shift
	t0=$(now)
	if "$@" >"$work/$name.log" 2>&1; then
		t1=$(now)
		echo "$name $t0 $t1" | awk '{ print $1, $3 - $2 }' >>"$results"
	else
		echo "# $name failed (exit $?); see $work/$name.log" >&2
		tail -5 "$work/$name.log" | sed 's/^/#   /' >&2
	fi
}

median() {
	awk -v n="$1" '$1 == n { print $2 }' "$results" | sort -n |
	    awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Size of an image file on disk, and of the files in it, in MB.
sizes() {
	alloc=$(( $(stat -c '%b * %B' "$1") / 1048576 ))
	used=$(dumpe2fs -h "$1" 2>/dev/null | awk -F: '
		/^Block count/ { c = $2 } /^Free blocks/ { f = $2 }
		/^Block size/ { b = $2 } END { print int((c - f) * b / 1048576) }')
	echo "$alloc MB allocated, $used MB in use"
}

rootstrap_build() {	# CONF IMAGE
	rm -f "$2"
	"$ROOTSTRAP" --no-cache -c "$1" "$2"
}

host_mkfs() {		# TREE IMAGE: debootstrap's tree as an image
	rm -f "$2"
	mb=$(( $(du -sm "$1" | cut -f1) * 5 / 4 + 64 ))
	mke2fs -q -F -t ext4 -d "$1" "$2" "${mb}M"
}

debootstrap_image() {	# CACHEDIR IMAGE
	rm -rf tree
	debootstrap --variant=minbase --include=$include --cache-dir="$1" \
	    "$DIST" tree "$MIRROR" && host_mkfs tree "$2"
}

mmdebstrap_image() {	# IMAGE
	rm -rf mmtree
	mmdebstrap --quiet --variant=minbase --include=$include "$DIST" \
	    mmtree "$MIRROR" && host_mkfs mmtree "$1"
}

printf '[debian]\nmethod=host\ncache=%s/rcache\n[global]\nfreespace=64\n' \
    "$work" >host.conf
printf '[debian]\nmethod=debootstrap\ncache=%s/dcache\n[global]\nfreespace=64\n' \
    "$work" >classic.conf
i=1
while [ "$i" -le "$runs" ]; do
	echo "# run $i of $runs" >&2
	rm -rf rcache
	run rootstrap-cold rootstrap_build host.conf host.img
	run rootstrap-warm rootstrap_build host.conf host.img
	if [ "$(id -u)" = 0 ]; then
		rm -rf hcache
		mkdir hcache
		run debootstrap-cold debootstrap_image "$work/hcache" ds.img
		run debootstrap-warm debootstrap_image "$work/hcache" ds.img
		command -v mmdebstrap >/dev/null &&
		    run mmdebstrap mmdebstrap_image mm.img
	fi
	i=$((i + 1))
done
echo "# the in-guest debootstrap, once" >&2
run classic rootstrap_build classic.conf classic.img
[ -f host.img ] && run boot-run "$ROOTSTRAP" run -S host.img -- true

base=$(median debootstrap-cold)
printf '%-18s %9s %9s\n' what "median s" "vs host"
for n in rootstrap-cold rootstrap-warm debootstrap-cold debootstrap-warm \
    mmdebstrap classic boot-run; do
	m=$(median $n)
	[ "$n" = boot-run ] && b=- || b=$base
	echo "$n $m $b" | awk '{
		m = $2 == "-" ? "-" : sprintf("%.1f", $2)
		r = ($2 == "-" || $3 == "-") ? "-" : sprintf("%.2f", $2 / $3)
		printf "%-18s %9s %9s\n", $1, m, r }'
done
for f in host.img ds.img mm.img classic.img; do
	[ -f "$f" ] && printf '%-18s %s\n' "$f" "$(sizes "$f")"
done
# The goals: cold no slower than host debootstrap cold, warm at most half
# of host debootstrap warm, and mmdebstrap beaten.
for pair in rootstrap-cold:debootstrap-cold rootstrap-warm:debootstrap-warm \
    rootstrap-cold:mmdebstrap; do
	echo "${pair%%:*} ${pair#*:} $(median ${pair%%:*}) $(median ${pair#*:})" |
	    awk '$3 != "-" && $4 != "-" {
		printf "%s / %s: %.2f\n", $1, $2, $3 / $4 }'
done
echo "(runs: $runs; \"vs host\": the median over host debootstrap cold + mke2fs -d)"
