#!/bin/sh
# An instance whose starter or supervisor is killed outright, or whose
# guest never becomes ready, leaves nothing: no UML, no supervisor, no
# run directory, no name, no lock on the image (which starts again).
# The guest is held back by the kernel's rootdelay= (it waits before it
# mounts its root, before the agent can run), or given an image that is
# no file system at all.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
export TMPDIR="$TEST_TMP/tmp" XDG_RUNTIME_DIR="$TEST_TMP/runtime"
mkdir -m 700 "$TMPDIR" "$XDG_RUNTIME_DIR"
# A copy: its lock is taken exclusively to see that it is free.
cp --sparse=always "$img" w.img

# until SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS.
until_ok() {
	n=$(($1 * 10))
	shift
	while ! "$@" && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
}
running() { pgrep -f "[u]bd0=$1" >/dev/null; }
gone() { ! pgrep -f "$TEST_TMP" >/dev/null; }
# nothing_of WHAT: no process, run directory or name left, image free.
nothing_of() {
	until_ok 30 gone
	check "$1: no process left (UML, supervisor, keeper)" gone
	check "$1: no run directory left" \
	    test -z "$(find "$TMPDIR" -maxdepth 1 -name 'rootstrap.*')"
	check "$1: no name left" test -z "$(ls "$XDG_RUNTIME_DIR/rootstrap")"
	check "$1: the image is unlocked" flock -n -x w.img true
}

# start killed while its guest boots.
"$ROOTSTRAP" start -S -u rootdelay=60 --name slow w.img >out 2>&1 &
starter=$!
until_ok 30 running "$TMPDIR/rootstrap."
check "the guest is booting" running "$TMPDIR/rootstrap."
check "and start still waits for it" kill -0 $starter
kill -KILL $starter
{ wait $starter; } 2>/dev/null
nothing_of "start killed while the guest boots"
"$ROOTSTRAP" start -S --name again w.img >out 2>&1
check "then a start of the same image works" \
    test "$?:$("$ROOTSTRAP" exec again -- echo up)" = 0:up
show out

# The supervisor killed: UML goes with it (the keeper's death signal,
# then its watchdog); the next look at the instance sweeps what is left.
"$ROOTSTRAP" ls --json >ls.json
sv=$("$PYTHON3" -c 'import json; print(json.load(open("ls.json"))[0]["pid"])')
dir=$("$PYTHON3" -c 'import json; print(json.load(open("ls.json"))[0]["dir"])')
kill -KILL "$sv"
until_ok 30 eval '! running "$dir"'
check "supervisor killed: its UML is gone" eval '! running "$dir"'
check "its run directory is left" test -d "$dir"
fails_with 125 "rootstrap: instance again is not running any more (its supervisor is gone); its leftovers were removed" \
    "$ROOTSTRAP" exec again -- true
nothing_of "exec of an instance whose supervisor was killed"
# And ls sweeps too.
"$ROOTSTRAP" start -S --name again w.img >out 2>&1
"$ROOTSTRAP" ls --json >ls.json
sv=$("$PYTHON3" -c 'import json; print(json.load(open("ls.json"))[0]["pid"])')
kill -KILL "$sv"
until_ok 30 eval '! running "$TMPDIR/rootstrap."'
"$ROOTSTRAP" ls --json >ls.json 2>err
check "ls after a supervisor was killed: none" \
    test "$(tr -d ' \n' <ls.json)" = "[]"
nothing_of "ls after a supervisor was killed"

# A guest never ready: refused at --timeout, the console's last lines
# quoted (-v: the kernel's own, saying why it waits; 10 s, so that a
# loaded host has printed them by then).
"$ROOTSTRAP" start -S -v -u rootdelay=60 --timeout 10 w.img >out 2>&1
check "a guest never ready: status 125 (got $?)" test $? = 125
has "rootstrap: start: w.img: the guest was not ready after 10 s; the console's last lines:"
has "  Waiting 60 sec before mounting root device..."
nothing_of "a guest never ready"

# An image with no file system: the guest ends at once, and says why.
head -c 4194304 /dev/zero >junk.img
"$ROOTSTRAP" start -S junk.img >out 2>&1
check "an image with no file system: status 125 (got $?)" test $? = 125
has "rootstrap: start: junk.img: the guest ended before it was ready; the console's last lines:"
has "  rootstrap start: /dev/ubda: Invalid argument while mounting the image"
nothing_of "an image with no file system"
nothing_left .
finish
