#!/bin/sh
# bench.sh: rootstrap against mmdebstrap and host debootstrap, side by
# side in one run, on package sets of three sizes, with the host's UML
# kernel and with kernel=auto's (the fetched one). Every build is cold:
# its package cache starts empty, as mmdebstrap's always is. Then what a
# fixture user meets: `rootstrap run -S IMAGE -- true`, `rootstrap exec
# NAME -- true` in an instance started on it (50 each run), a rebuild
# after a change that comes after the packages (the hostname: the stage
# cache), and the boot of the shipped image to its console login
# prompt. Prints the median of N runs of each, and the ratios the speed
# goals are about.
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
for set in $(echo "$sets" | tr , ' '); do
	case $set in
	shipped|heavy|build) ;;
	*) echo "$0: -s: '$set' is not shipped, heavy or build" >&2; exit 2 ;;
	esac
done

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

# What the fast paths must not change: the heavy set's image against
# mmdebstrap's tree of the same set. The files differ only where the uml
# module and the build's own records differ; the packages, their versions
# and states, the byte-compiled Python and the ssh host keys are the same.
compare_set() {		# SET
	[ -f "$1-auto.img" ] && [ -d mmtree ] || return 0
	"$ROOTSTRAP" export "$1-auto.img" "$1.tar" >/dev/null 2>&1 || return 0
	tar --quoting-style=literal -tf "$1.tar" | sed 's|^\./||; s|/$||' |
	    grep -v '^\.\?$' | sort >r.files
	(cd mmtree && find . -mindepth 1 | sed 's|^\./||' | sort) >m.files
	# The uml module's files, the build's records and the run-time state.
	skip='^(etc/(fstab|hostname|hosts|resolv\.conf|machine-id|systemd/(network|system)/.*|inittab|securetty|apt/apt\.conf\.d/.*)|var/(log|cache|lib/apt/lists|lib/systemd|lib/dbus)/.*|var/(log|cache|lib/apt/lists)|run/.*|tmp/.*|lost\+found|root/\..*)$'
	grep -Ev "$skip" r.files >r.cmp
	grep -Ev "$skip" m.files >m.cmp
	echo "$1: files only in rootstrap's image: $(comm -23 r.cmp m.cmp | wc -l)," \
	    "only in mmdebstrap's: $(comm -13 r.cmp m.cmp | wc -l)" \
	    "(of $(wc -l <m.cmp); the uml module's and the run-time files left out)"
	comm -3 r.cmp m.cmp | head -20 | sed 's/^/#   /'
	tar -xOf "$1.tar" ./var/lib/dpkg/status 2>/dev/null |
	    awk '/^Package:/ { p = $2 } /^Version:/ { v = $2 }
		/^Status:/ { s = $2 " " $3 " " $4 } /^$/ { print p, v, s }' |
	    sort >r.pkgs
	awk '/^Package:/ { p = $2 } /^Version:/ { v = $2 }
		/^Status:/ { s = $2 " " $3 " " $4 } /^$/ { print p, v, s }' \
	    mmtree/var/lib/dpkg/status | sort >m.pkgs
	if cmp -s r.pkgs m.pkgs; then
		echo "$1: dpkg status: the same $(wc -l <m.pkgs) packages, versions and states"
	else
		echo "$1: dpkg status differs:"
		diff r.pkgs m.pkgs | head -10 | sed 's/^/#   /'
	fi
	echo "$1: .pyc files: rootstrap $(grep -c '\.pyc$' r.files)," \
	    "mmdebstrap $(grep -c '\.pyc$' m.files);" \
	    "ssh host keys: rootstrap $(grep -c '^etc/ssh/ssh_host_.*_key$' r.files)," \
	    "mmdebstrap $(grep -c '^etc/ssh/ssh_host_.*_key$' m.files)"
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
			[ "$set" = heavy ] && [ "$i" = "$runs" ] &&
			    compare_set heavy >compare.txt
		fi
	done
	if [ -f shipped-auto.img ]; then
		# The builds' images written out first: their write-back
		# would land in the fixture's times, not in the builds'.
		sync
		for k in auto "$HOST_KERNEL"; do
			kn=$([ "$k" = auto ] && echo auto || echo host)
			run "run-true-$kn" "$ROOTSTRAP" run -S -k "$k" \
			    shipped-auto.img -- true
			boot_login "$k" shipped-auto.img "boot-login-$kn"
		done
		# A fixture's command: exec in a started instance, many
		# times (it is short; one run says little).
		inst=bench-$$
		if "$ROOTSTRAP" start -S -k auto --name "$inst" \
		    shipped-auto.img >start.log 2>&1; then
			n=0
			while [ $n -lt 50 ]; do
				run exec-true-auto "$ROOTSTRAP" exec "$inst" -- true
				n=$((n + 1))
			done
			"$ROOTSTRAP" stop "$inst" >>start.log 2>&1
		else
			echo "# start failed; see $work/start.log" >&2
		fi
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
for n in run-true-auto run-true-host exec-true-auto boot-login-auto \
    boot-login-host stage-first stage-hostname; do
	printf '%-26s %9s\n' "$n" "$(median "$n")"
done
echo "(exec-true-auto: the median of $((runs * 50)) execs; its target: <= 0.050 s)"
[ -s compare.txt ] && cat compare.txt
echo "(runs: $runs, cold package caches; $(date -u +%Y-%m-%d); $(nproc) CPUs;"
echo " the host's kernel: $HOST_KERNEL $("$HOST_KERNEL" --version 2>/dev/null);"
first=$(echo "$sets" | cut -d, -f1)
echo " auto: $(sed -n 's/^rootstrap: kernel: //p' "$first-rootstrap-auto.log" 2>/dev/null | cut -c1-60))"
