#!/bin/sh
# bench.sh: rootstrap against mmdebstrap and host debootstrap, side by
# side in one run, on package sets of three sizes, with the host's UML
# kernel and with kernel=auto's (the fetched one). Every build is cold:
# its package cache starts empty, as mmdebstrap's always is. Then what a
# fixture user meets: `rootstrap run -S IMAGE -- true`, a rebuild after a
# change that comes after the packages (the hostname: the stage cache),
# and the boot of the shipped image to its console login prompt. Prints
# the median of N runs of each, and the ratios the speed goals are about.
#
# usage: bench/bench.sh [-n N] [-k] [-s SETS] [WORKDIR]
#   -n N      runs of each (default 1)
#   -k        keep WORKDIR (default: a directory in $TMPDIR, removed)
#   -s SETS   which package sets: shipped,heavy,build (the default: all)
# Environment: ROOTSTRAP (default: rootstrap/rootstrap of this tree, else
# the one on PATH), ROOTSTRAP_LIBEXECDIR, MIRROR, DIST, HOST_KERNEL
# (default: linux.uml on PATH). The peers need root; their rows are left
# out without it. Measure on a quiet machine: UML's cost is switching
# between host processes, and other load makes it much worse.
set -u
export LC_ALL=C

runs=1
keep=0
sets=shipped,heavy,build
while getopts n:ks: opt; do
	case $opt in
	n) runs=$OPTARG ;;
	k) keep=1 ;;
	s) sets=$OPTARG ;;
	*) echo "usage: $0 [-n N] [-k] [-s SETS] [workdir]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case $runs in ''|*[!0-9]*|0) echo "$0: -n: a whole number > 0" >&2; exit 2 ;; esac

top=$(cd "$(dirname "$0")/.." && pwd)
: "${MIRROR:=http://deb.debian.org/debian}"
: "${DIST:=bookworm}"
: "${HOST_KERNEL:=$(command -v linux.uml)}"
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
# kernel=auto's kernel: fetched once, before anything is timed.
export XDG_CACHE_HOME=$work/xdg
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

include_of() {
	case $1 in
	shipped) echo systemd-sysv,udev ;;
	heavy) echo systemd-sysv,udev,python3,openssh-server,curl,ca-certificates ;;
	build) echo systemd-sysv,udev,build-essential ;;
	esac
}

# A cold rootstrap build of SET with KERNEL (auto or a path).
rootstrap_image() {	# SET KERNEL IMAGE
	rm -rf rcache "$3"
	printf '[global]\nkernel=%s\nfreespace=64\n[debian]\ninclude=%s\ncache=%s/rcache\n' \
	    "$2" "$(include_of "$1" | tr , ' ')" "$work" >"$1.conf"
	"$ROOTSTRAP" --no-cache -c "$1.conf" "$3"
}

host_mkfs() {		# TREE IMAGE: a tree as an image, as big as it needs
	rm -f "$2"
	mb=$(( $(du -sm "$1" | cut -f1) * 5 / 4 + 64 ))
	mke2fs -q -F -t ext4 -d "$1" "$2" "${mb}M"
}

debootstrap_image() {	# SET IMAGE
	rm -rf tree dcache
	mkdir dcache
	debootstrap --variant=minbase --include="$(include_of "$1")" \
	    --cache-dir="$work/dcache" "$DIST" tree "$MIRROR" &&
	    host_mkfs tree "$2"
}

mmdebstrap_image() {	# SET IMAGE
	rm -rf mmtree
	mmdebstrap --quiet --variant=minbase --include="$(include_of "$1")" \
	    "$DIST" mmtree "$MIRROR" && host_mkfs mmtree "$2"
}

# The shipped image to its console login prompt, as README boots it.
boot_login() {		# KERNEL IMAGE
	cp "$2" boot.img
	"$top/tests/uml-console.py" --login-time --timeout 200 \
	    --kernel "$ROOTSTRAP boot -k $1 -N none" boot.img -- true \
	    2>&1 | sed -n 's/^login-prompt-after=//p' >login.s
	[ -s login.s ] && echo "$3 $(cat login.s)" >>"$results"
}

echo "# fetching kernel=auto's kernel" >&2
printf '[global]\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n' >fetch.conf
"$ROOTSTRAP" fetch -k -n -c fetch.conf >fetch.log 2>&1 ||
    echo "# no fast kernel: see $work/fetch.log" >&2
i=1
while [ "$i" -le "$runs" ]; do
	for set in $(echo "$sets" | tr , ' '); do
		echo "# run $i of $runs: $set" >&2
		run "$set-rootstrap-auto" rootstrap_image "$set" auto "$set-auto.img"
		run "$set-rootstrap-host" rootstrap_image "$set" "$HOST_KERNEL" \
		    "$set-host.img"
		if [ "$(id -u)" = 0 ]; then
			command -v mmdebstrap >/dev/null &&
			    run "$set-mmdebstrap" mmdebstrap_image "$set" mm.img
			run "$set-debootstrap" debootstrap_image "$set" ds.img
		fi
	done
	if [ -f shipped-auto.img ]; then
		for k in auto "$HOST_KERNEL"; do
			kn=$([ "$k" = auto ] && echo auto || echo host)
			run "run-true-$kn" "$ROOTSTRAP" run -S -k "$k" \
			    shipped-auto.img -- true
			boot_login "$k" shipped-auto.img "boot-login-$kn"
		done
		# The stage: kept by a first build, used after a change to
		# what comes after the packages.
		export ROOTSTRAP_CACHE=$work/icache
		rm -rf "$ROOTSTRAP_CACHE"
		printf '[global]\nfreespace=64\n[debian]\ncache=%s/scache\n' \
		    "$work" >stage.conf
		{ cat stage.conf; printf '[network]\nhostname=changed%s\n' \
		    "$i"; } >hostname.conf
		run stage-first "$ROOTSTRAP" -c stage.conf stage.img
		run stage-hostname "$ROOTSTRAP" -c hostname.conf stage2.img
		export ROOTSTRAP_CACHE=
	fi
	i=$((i + 1))
done

printf '%-26s %9s %12s\n' what "median s" "/mmdebstrap"
for set in $(echo "$sets" | tr , ' '); do
	mm=$(median "$set-mmdebstrap")
	for n in rootstrap-auto rootstrap-host mmdebstrap debootstrap; do
		echo "$set-$n $(median "$set-$n") $mm" | awk '{
		    m = $2 == "-" ? "-" : sprintf("%.1f", $2)
		    r = ($2 == "-" || $3 == "-") ? "-" : sprintf("%.2f", $2 / $3)
		    printf "%-26s %9s %12s\n", $1, m, r }'
	done
done
for n in run-true-auto run-true-host boot-login-auto boot-login-host \
    stage-first stage-hostname; do
	printf '%-26s %9s\n' "$n" "$(median "$n")"
done
echo "(runs: $runs, cold package caches; $(date -u +%Y-%m-%d); $(nproc) CPUs;"
echo " the host's kernel: $HOST_KERNEL $("$HOST_KERNEL" --version 2>/dev/null);"
echo " auto: $(sed -n 's/^rootstrap: kernel: //p' shipped-rootstrap-auto.log 2>/dev/null | cut -c1-60))"
