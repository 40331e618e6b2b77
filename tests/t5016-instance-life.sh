#!/bin/sh
# What an instance's life promises. With -S nothing reaches the image
# (byte for byte, after writing execs); who may share an image and who is
# refused, and why (start, run, a build); its UML confined as run's is;
# the keeper holds no end of the guest's link; ls --json's fields; an
# idle instance stops by itself, not one with a long command running, and
# leaves nothing; a stopped one is said to be not running; without
# XDG_RUNTIME_DIR the registry is TMPDIR's, and an instance of another
# boot of the host counts as dead.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
# Instances and their run directories in here, so nothing_left sees them.
# (UML may reach TMPDIR, where it keeps its memory: the file the guest
# must not read is outside it.)
export TMPDIR="$TEST_TMP/tmp" XDG_RUNTIME_DIR="$TEST_TMP/runtime"
mkdir -m 700 "$TMPDIR" "$XDG_RUNTIME_DIR"
T=$TEST_TMP
# A copy: this test takes the image's lock both ways, and writes it.
cp --sparse=always "$img" w.img
sum=$(sha256sum <w.img)
field() {
	"$PYTHON3" -c 'import json, sys
print(next(i[sys.argv[2]] for i in json.load(open(sys.argv[1]))
    if i["name"] == sys.argv[3]))' ls.json "$1" "$2"
}

"$ROOTSTRAP" start -S --name snap w.img >out 2>&1
check "start -S --name snap: status 0" test $? = 0
show out
"$ROOTSTRAP" ls --json >ls.json 2>err
check "ls --json: its fields, of the right types" "$PYTHON3" -c '
import json, os, sys, time
l = json.load(open("ls.json"))
assert [i["name"] for i in l] == ["snap"], l
i = l[0]
assert set(i) == {"name", "pid", "image", "snapshot", "started", "idle",
    "dir"}, i
assert i["image"] == os.path.realpath("w.img") and i["snapshot"] is True, i
assert isinstance(i["pid"], int) and os.path.exists("/proc/%d" % i["pid"]), i
assert isinstance(i["started"], int) and abs(time.time() - i["started"]) < 600, i
assert i["idle"] == 0, i
assert os.path.isdir(i["dir"]) and os.path.dirname(i["dir"]) == sys.argv[1], i
' "$TMPDIR"
sv=$(field pid snap)
dir=$(field dir snap)

# The keeper (the supervisor's child, UML's parent) gives UML con1's
# pipes and keeps none of their ends: else the supervisor would not see
# the link end when UML does.
keeper=$(pgrep -P "$sv" | head -1)
pipes() { ls -l /proc/"$1"/fd 2>/dev/null | sed -n 's/.*-> pipe:\[\([0-9]*\)\]$/\1/p' | sort -u; }
pipes "$sv" >sv.pipes
pipes "$keeper" >keeper.pipes
check "the keeper $keeper holds no end of the supervisor's pipes to UML" \
    test -z "$(comm -12 sv.pipes keeper.pipes)"

# Landlock, as for run (t5006): the host's / mounts, but a file outside
# the shares cannot be read.
mkdir outside
echo "not for the guest" >outside/secret
"$ROOTSTRAP" exec snap -- sh -c "mkdir -p /h; mount -t hostfs none /h -o / &&
    test -d /h/usr/bin && echo mounted; cat /h$T/outside/secret" >out 2>&1
show out
has_line mounted out
hasnt "not for the guest" out
has "secret: Permission denied" out

# Writing execs: the guest sees its writes, the image gets none of them.
i=1
good=0
while [ $i -le 6 ]; do
	"$ROOTSTRAP" exec snap -- sh -c "dd if=/dev/urandom of=/root/f$i bs=1M \
	    count=2 2>/dev/null && echo $i >>/etc/motd && rm -f /etc/hostname &&
	    sync" >out 2>&1 && good=$((good + 1))
	i=$((i + 1))
done
check "6 writing execs ($good of 6)" test "$good" = 6
check "the guest sees its writes" \
    test "$("$ROOTSTRAP" exec snap -- sh -c 'ls /root | wc -l; tail -1 /etc/motd')" = \
    "$(printf '6\n6')"

# Shared with readers, refused to writers.
fails_with 2 "w.img: in use by instance snap; stop it first, or start this one with -S" \
    "$ROOTSTRAP" start --name rw w.img
fails_with 2 "w.img: in use by instance snap; stop it first, or run with -S" \
    "$ROOTSTRAP" run w.img -- true
"$ROOTSTRAP" start -S --name snap2 w.img >out 2>&1
check "a second start -S of it: allowed (a snapshot of an image no one writes)" \
    test $? = 0
check "it sees the image, not snap's writes" "$ROOTSTRAP" exec snap2 -- \
    sh -c 'test -e /etc/hostname && test ! -e /root/f1'
"$ROOTSTRAP" stop snap snap2 >out 2>&1
check "stop snap snap2: status 0" test $? = 0
show out
check "its writes went nowhere: the image is byte for byte as it was" \
    test "$(sha256sum <w.img)" = "$sum"

# Started without -S, it writes the image: no one else may use it.
"$ROOTSTRAP" start --name rw w.img >out 2>&1
check "start without -S: status 0" test $? = 0
show out
fails_with 2 "w.img: in use by instance rw (started without -S); wait for it to end, or stop it" \
    "$ROOTSTRAP" start -S w.img
fails_with 2 "w.img: in use by instance rw; stop it first" \
    "$ROOTSTRAP" run -S w.img -- true
conf_fast mkfs >build.conf
fails_with 2 "w.img: in use by instance rw (started without -S); rootstrap stop it first; nothing was built" \
    "$ROOTSTRAP" -c build.conf "$T/w.img"
"$ROOTSTRAP" exec rw -- sh -c 'echo kept >/root/mark' >out 2>&1
"$ROOTSTRAP" stop rw >out 2>&1
check "stop rw: status 0" test $? = 0
check "what rw wrote is in the image" \
    test "$("$ROOTSTRAP" run -S w.img -- cat /root/mark 2>&1)" = kept
check "e2fsck -fn: the image is clean" e2fsck -fn w.img

# --idle: a long command holds it up; then, with no command and no
# client for that long, it stops by itself and leaves nothing.
# (The command first: a loaded host may take seconds between two of ours.)
"$ROOTSTRAP" start -S --idle 3 --name idle w.img >out 2>&1
check "start --idle 3: status 0" test $? = 0
"$ROOTSTRAP" exec idle -- sleep 7 >long.out 2>&1 &
long=$!
"$ROOTSTRAP" ls --json >ls.json 2>err
check "ls --json: idle 3" test "$(field idle idle)" = 3
sv=$(field pid idle)
dir=$(field dir idle)
wait $long
rc=$?
check "a command of 7 s under --idle 3 ends as it should (status $rc)" \
    test "$rc" = 0
show long.out
check "and the instance still answers after it" \
    test "$("$ROOTSTRAP" exec idle -- echo alive)" = alive
i=0
while kill -0 "$sv" 2>/dev/null && ! ps -o stat= -p "$sv" | grep -q '^Z' &&
    [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "idle for 3 s, its supervisor $sv has exited by itself" \
    sh -c "! ps -o stat= -p $sv | grep -qv '^Z'"
check "no UML of it is left" sh -c "! pgrep -f '[u]bd0=$dir'"
check "its directory is gone" test ! -e "$dir"
check "and its name" test ! -e "$XDG_RUNTIME_DIR/rootstrap/idle"
check "the image is unlocked" flock -n -x w.img true
fails_with 125 "rootstrap: no instance named idle is running (rootstrap ls lists those that are)" \
    "$ROOTSTRAP" exec idle -- true
fails_with 1 "rootstrap: stop: no instance named idle is running (rootstrap ls lists those that are)" \
    "$ROOTSTRAP" stop idle

# Without XDG_RUNTIME_DIR the registry is in TMPDIR, which a reboot may
# keep: an instance records the boot it started in, and one of another
# boot is dead (faked here: the record says another boot).
env -u XDG_RUNTIME_DIR "$ROOTSTRAP" start -S --name noxdg w.img >out 2>&1
check "start without XDG_RUNTIME_DIR: status 0" test $? = 0
reg=$TMPDIR/rootstrap-$(id -u)
check "its name is in $reg" test -L "$reg/noxdg"
env -u XDG_RUNTIME_DIR "$ROOTSTRAP" ls --json >ls.json 2>err
sv=$(field pid noxdg)
dir=$(field dir noxdg)
check "the record has this boot's id" \
    grep -qx "boot $(cat /proc/sys/kernel/random/boot_id)" "$dir/instance"
sed -i 's/^boot .*/boot 00000000-0000-0000-0000-000000000000/' "$dir/instance"
env -u XDG_RUNTIME_DIR "$ROOTSTRAP" ls --json >ls.json 2>err
check "of another boot: ls lists it no more" test "$(tr -d ' \n' <ls.json)" = "[]"
check "its name is swept" test ! -e "$reg/noxdg"
check "and its directory" test ! -e "$dir"
# (After a real reboot no process of it would be left: this one is.)
kill -KILL "$sv"
i=0
while pgrep -f "$dir" >/dev/null && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
nothing_left .
nothing_left "$TMPDIR"
finish
