# libtest.sh: shared helpers for rootstrap's shell tests (TAP).
#
# Each test sources this file, calls `plan N`, then runs assertions; each
# assertion prints one TAP line. A private directory $TEST_TMP is removed at
# exit (kept with TEST_KEEP=1). Slow tests share the images the build tests
# made under $TEST_BUILDDIR/images, and one package cache per test run.

set -u
export LC_ALL=C TZ=UTC
: "${ROOTSTRAP:?run the tests with make check}"
: "${TEST_BUILDDIR:=$(pwd)/tests}"
: "${PYTHON3:=python3}"
unset ROOTSTRAP_CONF http_proxy https_proxy
# No test writes to the user's image cache; t5002 makes its own.
export ROOTSTRAP_CACHE=

test_n=0
test_failed=0
# Images and the package cache are shared by the tests of one build tree,
# in a place an unprivileged user can reach too.
TEST_SHARED=${TEST_SHARED:-/tmp/rootstrap-check-$(echo "$TEST_BUILDDIR" | md5sum | cut -c1-8)}
TEST_IMAGES=$TEST_SHARED/images
TEST_CACHE=$TEST_SHARED/cache
mkdir -p "$TEST_IMAGES" "$TEST_CACHE" "$TEST_SHARED/xdg"
chmod 755 "$TEST_SHARED" "$TEST_IMAGES" "$TEST_SHARED/xdg"
chmod 1777 "$TEST_CACHE"
# kernel=auto's kernel (kernels/) and the package cache it comes through
# (debs/), fetched once per test run: t0003 fetches it, the others use it.
export XDG_CACHE_HOME="$TEST_SHARED/xdg"
mkdir -p "$TEST_BUILDDIR/tmp"
TEST_TMP=$(mktemp -d "$TEST_BUILDDIR/tmp/$(basename "$0" .sh).XXXXXX")
chmod 755 "$TEST_TMP"
cd "$TEST_TMP" || exit 99

test_cleanup() {
	# Whatever a test started and left must not outlive it.
	if pids=$(pgrep -f "$TEST_TMP"); then
		echo "# killing leftover processes: $pids"
		kill -KILL $pids 2>/dev/null
	fi
	cd /
	[ "${TEST_KEEP:-0}" = 1 ] || rm -rf "$TEST_TMP"
}
trap test_cleanup EXIT
trap 'exit 130' INT TERM

# The plan is printed at the end (TAP allows it), so adding a check to a
# test never needs a count updated.
plan() { :; }

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

ok() {
	test_n=$((test_n + 1))
	echo "ok $test_n - $*"
}

not_ok() {
	test_n=$((test_n + 1))
	test_failed=$((test_failed + 1))
	echo "not ok $test_n - $*"
}

# Print a file to the TAP stream as comments (for failures).
show() {
	[ -f "$1" ] && sed -e 's/^/#   /' "$1" | tail -n "${2:-40}"
	return 0
}

# wait_for FILE TEXT: up to 60 s for TEXT to show in FILE.
wait_for() {
	i=0
	while ! grep -qF "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 600 ] && return 1
		sleep 0.1
	done
}

# check DESCRIPTION COMMAND...: ok when COMMAND succeeds.
check() {
	desc=$1
	shift
	if "$@" >"$TEST_TMP/check.out" 2>&1; then
		ok "$desc"
	else
		not_ok "$desc"
		echo "#   failed: $*"
		show "$TEST_TMP/check.out"
	fi
}

# run STATUS COMMAND...: run it with output in $TEST_TMP/out, and
# assert its exit status.
run_status() {
	want=$1
	shift
	"$@" >"$TEST_TMP/out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		ok "exit status $want: $*"
	else
		not_ok "exit status $got, expected $want: $*"
		show "$TEST_TMP/out"
	fi
}

# has TEXT [FILE]: the fixed string TEXT is in FILE ($TEST_TMP/out).
has() {
	if grep -qF -- "$1" "${2:-$TEST_TMP/out}"; then
		ok "output has: $1"
	else
		not_ok "output lacks: $1"
		show "${2:-$TEST_TMP/out}"
	fi
}

# has_line LINE [FILE]: a whole line of FILE is exactly LINE.
has_line() {
	if grep -qxF -- "$1" "${2:-$TEST_TMP/out}"; then
		ok "output has the line: $1"
	else
		not_ok "output lacks the line: $1"
		show "${2:-$TEST_TMP/out}"
	fi
}

# hasnt_line LINE [FILE]: no whole line of FILE is LINE (a marker that
# other lines may contain, such as a console's echo of the command).
hasnt_line() {
	if grep -qxF -- "$1" "${2:-$TEST_TMP/out}"; then
		not_ok "output has the line (but should not): $1"
		show "${2:-$TEST_TMP/out}"
	else
		ok "output lacks the line: $1"
	fi
}

hasnt() {
	if grep -qF -- "$1" "${2:-$TEST_TMP/out}"; then
		not_ok "output has (but should not): $1"
		show "${2:-$TEST_TMP/out}"
	else
		ok "output lacks: $1"
	fi
}

# fails_with STATUS MESSAGE COMMAND...: exit status and exact message.
fails_with() {
	want=$1
	msg=$2
	shift 2
	run_status "$want" "$@"
	has "$msg"
}

# mirror_start: tests/mirror.py, serving $TEST_SHARED/mirror ($MIRROR_DIR)
# at $MIRROR on a free loopback port, its fault rules in $TEST_TMP/faults
# and its requests logged in $TEST_TMP/requests.log; stopped at exit, or
# by mirror_stop (before nothing_left, which would count it).
mirror_start() {
	MIRROR_DIR=$TEST_SHARED/mirror
	"$PYTHON3" "$TEST_SRCDIR/mirror.py" --dir "$MIRROR_DIR" \
	    --port-file "$TEST_TMP/port" --faults "$TEST_TMP/faults" \
	    --log "$TEST_TMP/requests.log" &
	mirror_pid=$!
	trap 'mirror_stop; test_cleanup' EXIT
	i=0
	while [ ! -s "$TEST_TMP/port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	PORT=$(cat "$TEST_TMP/port" 2>/dev/null)
	[ -n "$PORT" ] || { not_ok "the test mirror did not start"; finish; }
	MIRROR=http://127.0.0.1:$PORT/debian
}

mirror_stop() {
	[ -n "${mirror_pid:-}" ] || return 0
	kill "$mirror_pid" 2>/dev/null
	wait "$mirror_pid" 2>/dev/null
	mirror_pid=
}

# nothing_left DIR: no image or temporary file, and no process.
nothing_left() {
	leftovers=$(find "$1" -maxdepth 1 -name '.*.rootstrap-*' 2>/dev/null)
	if [ -z "$leftovers" ]; then
		ok "no temporary image left in $1"
	else
		not_ok "temporary files left: $leftovers"
	fi
	if pgrep -f "$TEST_TMP" >/dev/null; then
		not_ok "processes left running: $(pgrep -af "$TEST_TMP")"
	else
		ok "no process left running"
	fi
}

# readme_example NAME: the block README.md marks NAME, as written (see
# "Running the tests" there and readme-example.py).
readme_example() {
	"$PYTHON3" "$TEST_SRCDIR/readme-example.py" "$TEST_SRCDIR/../README.md" "$1"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on just now.
free_port() {
	"$PYTHON3" -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A config for fast UML runs: no network, no packages.
# [global] comes last, so a test can append keys to it.
conf_fast() {
	cat <<CONF
[network]
transport=none
[global]
PATH=/usr/sbin:/usr/bin:/sbin:/bin
initialsize=64
mem=128M
timeout=120
modules=$*
CONF
}

# Run a build as an unprivileged user, from a copy of the programs that
# user can reach (the build tree may be under a private home).
unprivileged_tree() {
	dir=$1
	mkdir -p "$dir/bin" "$dir/libexec/modules"
	cp "$ROOTSTRAP" "$dir/bin/rootstrap"
	cp "$ROOTSTRAP_LIBEXECDIR/builder" "$ROOTSTRAP_LIBEXECDIR/shortcut" \
	    "$dir/libexec/"
	for m in $("$ROOTSTRAP_LIBEXECDIR/builder" --stock-modules); do
		ln -sf ../builder "$dir/libexec/modules/$m"
	done
	chmod -R a+rX "$dir"
}

# boot IMAGE COMMAND...: boot a copy-on-write view of IMAGE (the shared
# image stays as built), log in on the console, run the commands; their
# output goes to $TEST_TMP/out, the console to $TEST_TMP/console.log.
# The network is legacy slirp on eth0, or with BOOT_NET=user rootstrap
# boot's libslirp NAT on vec0. BOOT_MEM is mem= (256M).
boot() {
	img=$1
	shift
	rm -f "$TEST_TMP/boot.cow"
	# The console's getty starts before the rest of the boot (the uml
	# module's doing): wait for the boot to end before the commands,
	# as a user would who needs the network (the output is not theirs).
	wait='command -v systemctl >/dev/null && timeout 120 systemctl is-system-running --wait >/dev/null 2>&1; :'
	if [ "${BOOT_NET:-slirp}" = user ]; then
		set -- --kernel "'$ROOTSTRAP' boot -N user" -- "$wait" "$@"
	else
		set -- eth0=slirp,,slirp-fullbolt -- "$wait" "$@"
	fi
	"$PYTHON3" "$TEST_SRCDIR/uml-console.py" --timeout 300 \
	    --password "${BOOT_PASSWORD:-}" \
	    --transcript "$TEST_TMP/console.log" "$TEST_TMP/boot.cow,$img" \
	    mem="${BOOT_MEM:-256M}" "$@" >"$TEST_TMP/out" 2>&1
	boot_status=$?
	if [ "$boot_status" = 0 ]; then
		ok "booted $(basename "$img"), logged in as root on the console"
	else
		not_ok "boot of $img: uml-console exited with $boot_status"
		grep -v '^  |' "$TEST_TMP/out" | sed 's/^/#   /'
		show "$TEST_TMP/out" 20
	fi
}

# guest_cases FILE [N]: a guest script's "PASS ..." and "FAIL ..." lines in
# FILE as TAP, once it is seen to have reached its end ("DONE N").
guest_cases() {
	check "the comparison ran to its end in the guest" \
	    grep -q "^DONE ${2:-}" "$1"
	while IFS= read -r line; do
		case $line in
		PASS\ *) ok "${line#PASS }" ;;
		FAIL\ *) not_ok "${line#FAIL }" ;;
		esac
	done <"$1"
	if grep -q '^FAIL ' "$1"; then
		show "$1" 80
	fi
}

# A file inside an image, read without booting or mounting it.
image_cat() {
	debugfs -R "cat $2" "$1" 2>/dev/null
}

# The checks every built image must pass, whoever built it.
check_image() {
	img=$1
	check "e2fsck -fn finds $img clean" e2fsck -fn "$img"
	image_cat "$img" /etc/fstab >fstab
	# ext4 has a journal: no fsck at boot, which would wait for udev.
	has "$(printf '/dev/ubda\t/\text4\tdefaults\t0\t0')" fstab
	check "hostname is set" test "$(image_cat "$img" /etc/hostname)" = rootstrap
	check "a getty is enabled on tty0" sh -c "debugfs -R 'stat /etc/systemd/system/getty.target.wants/getty@tty0.service' '$img' 2>/dev/null | grep -q 'Type: symlink'"
	image_cat "$img" /etc/systemd/system/getty@tty0.service >getty
	has "ExecStart=-/sbin/agetty -o '-p -- \\\\u' --noclear - \$TERM" getty
	check "the console's getty does not wait for the boot to finish" sh -c '! grep -q "^Type=idle" getty'
	check "no getty on tty1" sh -c "! debugfs -R 'stat /etc/systemd/system/getty.target.wants/getty@tty1.service' '$img' 2>&1 | grep -q 'Type: symlink'"
	image_cat "$img" /etc/systemd/network/10-rootstrap.network >net
	has "Address=10.0.2.15/24" net
	has "Gateway=10.0.2.2" net
	check "no downloaded packages left in the image" sh -c "! debugfs -R 'ls -l /var/cache/apt/archives' '$img' 2>/dev/null | grep -q '\.deb'"
}

finish() {
	echo "1..$test_n"
	[ "$test_failed" = 0 ]
	exit $?
}
