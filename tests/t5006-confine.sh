#!/bin/sh
# run and boot keep UML, and so the guest, to what it is given: the
# guest's root mounts the host's / over hostfs and finds nothing of the
# user's beyond the shares: it cannot read a file outside them, write or
# make one, list a home, read /etc/shadow or another process's
# environment, write a read-only share through a mount of its own, or
# reach the image behind a snapshot; ".." in a mount's root changes
# nothing. What it is given still works. Landlock does this (rootstrap
# check says whether the kernel has it).
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
"$ROOTSTRAP" check >check.out 2>&1
grep -q '^ok *confinement: Landlock' check.out ||
    skip_all "no Landlock here: $(grep confinement check.out)"
has "confinement: Landlock" check.out

# (The image's first byte is in the boot block ext4 leaves alone: were it
# written, the image would differ, not break.)
mkdir -p share ro outside
echo "not for the guest" >outside/secret
echo "given read-only" >ro/file
chmod -R a+rwX share ro outside
sum=$(sha256sum "$img" | cut -d' ' -f1)
T=$TEST_TMP
cat >share/probe.sh <<EOF
mkdir -p /h /r /d /i
mount -t hostfs none /h -o / && echo "mounted the host's /"
cat /h$T/outside/secret && echo "read outside"
echo pwned >/h$T/outside/victim && echo "wrote outside"
mkdir /h$T/outside/dir && echo "made a directory outside"
rm /h$T/outside/secret && echo "removed outside"
ls /h/root >/dev/null && echo "listed /root"
cat /h/etc/shadow >/dev/null && echo "read /etc/shadow"
cat /h/proc/$$/environ >/dev/null && echo "read an environment"
mount -t hostfs none /d -o /$T/../$(basename "$T")/outside &&
    cat /d/secret && echo "read outside through .."
mount -t hostfs none /r -o $T/ro && echo x >/r/new && echo "wrote the read-only share"
mount -t hostfs none /i -o $(dirname "$img") &&
    printf x | dd of=/i/$(basename "$img") conv=notrunc 2>/dev/null &&
    echo "wrote the image behind the snapshot"
echo ok >$T/share/written && echo "wrote the share"
cat $T/ro/file
cat /h/usr/share/debootstrap/scripts/bookworm >/dev/null && echo "read the system's files"
EOF
"$ROOTSTRAP" run -S -s "$T/share:rw" -s "$T/ro" "$img" -- sh "$T/share/probe.sh" \
    >probe.out 2>&1
show probe.out 30
has_line "mounted the host's /" probe.out
for what in "read outside" "wrote outside" "made a directory outside" \
    "removed outside" "listed /root" "read /etc/shadow" "read an environment" \
    "read outside through .." "wrote the read-only share" \
    "wrote the image behind the snapshot"; do
	hasnt "$what" probe.out
done
has "secret: Permission denied" probe.out
check "the file outside is as it was" test "$(cat outside/secret)" = "not for the guest"
check "nothing was made outside" test "$(ls outside)" = secret
check "nothing was made in the read-only share" test "$(ls ro)" = file
check "the image is as it was" test "$(sha256sum "$img" | cut -d' ' -f1)" = "$sum"
has_line "wrote the share" probe.out
check "the writable share has the file" test "$(cat share/written)" = ok
has_line "given read-only" probe.out
has_line "read the system's files" probe.out

# UML keeps its memory file in TMPDIR (else /dev/shm): the user's other
# files there, another run's directory among them, are not the guest's.
# Its own memory directory there goes with it.
mkdir -p tmpdir/rootstrap.other
echo "not for the guest" >tmpdir/secret
echo "another run's" >tmpdir/rootstrap.other/plan
cat >share/probe-tmp.sh <<EOF
mkdir -p /h
mount -t hostfs none /h -o / && echo "mounted the host's /"
cat /h$T/tmpdir/secret && echo "read TMPDIR"
cat /h$T/tmpdir/rootstrap.other/plan && echo "read another run's"
echo pwned >/h$T/tmpdir/victim && echo "wrote TMPDIR"
ls /h$T/tmpdir && echo "listed TMPDIR"
EOF
TMPDIR=$T/tmpdir "$ROOTSTRAP" run -S -s "$T/share" "$img" -- \
    sh "$T/share/probe-tmp.sh" >probe-tmp.out 2>&1
show probe-tmp.out 20
has_line "mounted the host's /" probe-tmp.out
for what in "read TMPDIR" "read another run's" "wrote TMPDIR" "listed TMPDIR"; do
	hasnt_line "$what" probe-tmp.out
done
has "secret: Permission denied" probe-tmp.out
check "TMPDIR holds what it held, no memory directory left" \
    test "$(ls tmpdir | tr '\n' ' ')" = "rootstrap.other secret "

# boot: the image's own init, the same limits; a new COW file is made
# where it was asked for. (The markers are split so that no echo of the
# command line has them.)
rm -f boot.cow
"$PYTHON3" "$TEST_SRCDIR/uml-console.py" --timeout 300 \
    --kernel "'$ROOTSTRAP' boot -N none" --transcript "$T/console.log" \
    "$T/boot.cow,$img" mem=256M -- \
    "mkdir -p /h && mount -t hostfs none /h -o / && echo mounted" \
    "echo pwned >/h$T/outside/victim && printf 'WR%sTE\\n' O" \
    "cat /h$T/outside/secret && printf 'RE%sD\\n' A" \
    "echo booted" >boot.out 2>&1
show boot.out 20
has_line "mounted" boot.out
has_line "booted" boot.out
hasnt_line "WROTE" boot.out
hasnt_line "READ" boot.out
check "the file outside is as it was" test "$(ls outside)" = secret
check "the COW file was made where it was asked for" test -s boot.cow
check "the image is as it was after boot" \
    test "$(sha256sum "$img" | cut -d' ' -f1)" = "$sum"
nothing_left .
finish
