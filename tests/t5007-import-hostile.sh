#!/bin/sh
# Issue 13 (items 5, 6, 8, 9, 10, 15): rootstrap import of hostile
# tarballs. What ext4 cannot hold is refused with the entry's name before
# libext2fs sees it (it overflowed a heap buffer); a hard link to a
# directory is refused (a cycle); a sparse member's holes stay holes; a
# damaged .tar.gz is an error; 20,000 files in one directory take seconds,
# not minutes; SIGTERM ends an import at once. Nothing is left behind.
. "$TEST_SRCDIR/libtest.sh"

cp "$TEST_SRCDIR/../conf/rootstrap.conf" rootstrap.conf

# now_ms: a clock in milliseconds, for the time bounds.
now_ms() {
	date +%s%3N
}

# refused TARBALL MESSAGE: exit status 1, the message, nothing made.
refused() {
	fails_with 1 "$2" timeout 60 "$ROOTSTRAP" import "$1" target.img
	check "$1: no image" test ! -e target.img
	nothing_left .
}

"$PYTHON3" - <<'PY'
import io, tarfile

def add(t, name, kind="f", data=b"", target="", mode=0o644, dev=(0, 0)):
    i = tarfile.TarInfo(name)
    i.mtime = 1700000000
    if kind == "d":
        i.type, i.mode = tarfile.DIRTYPE, 0o755
    elif kind == "l":
        i.type, i.linkname, i.mode = tarfile.SYMTYPE, target, 0o777
    elif kind == "h":
        i.type, i.linkname = tarfile.LNKTYPE, target
    elif kind == "c":
        i.type, i.devmajor, i.devminor = tarfile.CHRTYPE, dev[0], dev[1]
    else:
        i.size, i.mode = len(data), mode
    t.addfile(i, io.BytesIO(data) if kind == "f" else None)

def tar(path, *entries):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        add(t, "etc", "d")
        add(t, "etc/shadow", data=b"root:*:19000:0:99999:7:::\n",
            mode=0o640)
        for e in entries:
            add(t, *e)

tar("name256.tar", ("etc/" + "a" * 256, "f", b"x"))
tar("name300.tar", ("etc/" + "a" * 300, "f", b"x"))
tar("dir300.tar", ("b" * 300 + "/x", "f", b"x"))
tar("link1000.tar", ("etc/" + "l" * 1000, "l", b"", "x"))
tar("target5000.tar", ("etc/l", "l", b"", "t" * 5000))
tar("target0.tar", ("etc/l", "l", b"", ""))
tar("path5000.tar", ("/".join(["d" * 200] * 25), "f", b"x"))
tar("dirlink.tar", ("etc/loop", "h", b"", "etc"))
tar("rootlink.tar", ("etc/root", "h", b"", "."))
tar("through.tar", ("etc/shadow/x", "f", b"x"))
tar("device.tar", ("etc/dev", "c", b"", "", 0o644, (5000, 1)))
tar("twice.tar", ("etc/f", "f", b"1"), ("etc/f", "f", b"2"))
tar("rootfile.tar", (".", "f", b"data"))

# 30,000 empty files in one directory.
with tarfile.open("many.tar", "w") as t:
    add(t, "etc", "d")
    add(t, "etc/shadow", data=b"root:*:19000:0:99999:7:::\n", mode=0o640)
    add(t, "many", "d")
    for k in range(30000):
        add(t, "many/a-file-with-a-longer-name-%06d" % k)

# The same with 128 MB of data besides: the reproducible step takes long
# enough to be interrupted in the middle, however fast the machine is.
with tarfile.open("many.tar") as src, tarfile.open("heavy.tar", "w") as t:
    for m in src.getmembers():
        t.addfile(m, src.extractfile(m) if m.isfile() else None)
    add(t, "data", data=b"x" * (128 << 20))
PY

# Item 5: names and targets ext4 cannot hold, refused by name.
a116=$(printf '%0116d' 0 | tr 0 a)
refused name256.tar "rootstrap: import: name256.tar: 'etc/$a116...' has a name longer than 255 bytes"
refused name300.tar "rootstrap: import: name300.tar: 'etc/$a116...' has a name longer than 255 bytes"
refused dir300.tar "rootstrap: import: dir300.tar: '$(printf '%0120d' 0 | tr 0 b)...' has a name longer than 255 bytes"
refused link1000.tar "rootstrap: import: link1000.tar: 'etc/$(printf '%0116d' 0 | tr 0 l)...' has a name longer than 255 bytes"
refused target5000.tar "rootstrap: import: target5000.tar: 'etc/l' is a symbolic link to a target longer than "
refused target0.tar "rootstrap: import: target0.tar: 'etc/l' is a symbolic link to nothing"
refused path5000.tar "rootstrap: import: path5000.tar: '$(printf '%0120d' 0 | tr 0 d)...' is longer than 4095 bytes"
refused device.tar "rootstrap: import: device.tar: 'etc/dev' has a device number ext4 cannot hold (5000, 1)"
refused through.tar "rootstrap: import: through.tar: 'etc/shadow/x' is inside 'etc/shadow', which is not a directory"
refused twice.tar "rootstrap: import: twice.tar: 'etc/f' is in the archive twice"
# (found by fuzz_import: the data went into the root directory's block)
refused rootfile.tar "rootstrap: import: rootfile.tar: '.' names the image's root, which is a directory"

# Item 6: a hard link to a directory would make a cycle.
refused dirlink.tar "rootstrap: import: dirlink.tar: 'etc/loop' is a hard link to the directory 'etc'"
refused rootlink.tar "rootstrap: import: rootlink.tar: 'etc/root' is a hard link to the directory '.'"

# Item 9: a .tar.gz damaged inside a stored block inflates without error;
# only the CRC in its trailer tells, and libarchive never checks it.
mkdir -p gz/etc
printf 'root:*:19000:0:99999:7:::\n' >gz/etc/shadow
head -c 200000 /dev/urandom >gz/etc/random
tar -C gz -cf - . | gzip -n >good.tar.gz
"$PYTHON3" - <<'PY'
d = bytearray(open("good.tar.gz", "rb").read())
d[len(d) // 2] ^= 0x55
open("crc.tar.gz", "wb").write(d)
open("short.tar.gz", "wb").write(d[:len(d) * 3 // 4])
open("junk.tar.gz", "wb").write(open("good.tar.gz", "rb").read() + b"junk")
PY
check "gzip itself finds crc.tar.gz damaged" sh -c '! gzip -t crc.tar.gz'
fails_with 2 "rootstrap: crc.tar.gz: the gzip data is damaged (incorrect data check)" \
    "$ROOTSTRAP" import crc.tar.gz target.img
nothing_left .
fails_with 2 "rootstrap: short.tar.gz: the gzip data is cut short" \
    "$ROOTSTRAP" import short.tar.gz target.img
fails_with 2 "rootstrap: junk.tar.gz: the gzip data is damaged (incorrect header check)" \
    "$ROOTSTRAP" import junk.tar.gz target.img
check "no image from a damaged tarball" test ! -e target.img
nothing_left .
# Two members, and zeros after them, are a good .tar.gz still.
(cat good.tar.gz good.tar.gz; head -c 4096 /dev/zero) >two.tar.gz
run_status 0 "$ROOTSTRAP" import two.tar.gz two.img
check "the random file came through whole" sh -c \
    "debugfs -R 'cat /etc/random' two.img 2>/dev/null | cmp - gz/etc/random"

# Item 8: an 8 GiB sparse file in a 20 KB tarball: its holes stay holes.
mkdir -p sp/etc
printf 'root:*:19000:0:99999:7:::\n' >sp/etc/shadow
truncate -s 8G sp/big
printf 'data' | dd of=sp/big bs=1 seek=4096 conv=notrunc 2>/dev/null
printf 'tail' | dd of=sp/big bs=1 seek=$((4 << 30)) conv=notrunc 2>/dev/null
tar --sparse --format=pax -C sp -cf sparse.tar .
rm -rf sp
check "the tarball is small" test "$(stat -c %s sparse.tar)" -lt 100000
start=$(now_ms)
run_status 0 timeout 60 "$ROOTSTRAP" import sparse.tar sparse.img
took=$(( $(now_ms) - start ))
check "imported in under 30 s (took $took ms)" test "$took" -lt 30000
check "e2fsck -fn finds the image clean" e2fsck -fn sparse.img
check "the image file stays small on disk ($(du -k sparse.img | cut -f1) KB)" \
    test "$(stat -c %b sparse.img)" -lt 65536
debugfs -R "stat /big" sparse.img >stat.out 2>/dev/null
has "Size: 8589934592" stat.out
check "/big has 8 KB of blocks, not 8 GB" sh -c \
    "grep -q 'Blockcount: [0-9]\{1,3\}\$' stat.out"
check "its data is where it was, at 4 GiB" sh -c \
    "debugfs -R 'dump_extents /big' sparse.img 2>/dev/null |
    grep -Eq ' (4194304|1048576) '"
nothing_left .

# Item 10: 30,000 files in one directory (20,000 took 33 s, 100,000 ten
# minutes: n² block reads); e2fsck finds the directory sound.
start=$(now_ms)
run_status 0 timeout 120 "$ROOTSTRAP" import many.tar many.img
took=$(( $(now_ms) - start ))
check "imported in under 30 s (took $took ms)" test "$took" -lt 30000
check "e2fsck -fn finds the image clean" e2fsck -fn many.img
check "all 30,000 names are there" test \
    "$(debugfs -R 'ls -p /many' many.img 2>/dev/null | grep -c a-file-with)" = 30000
nothing_left .

# Item 15: SIGTERM while 2 GiB of data is being written ends the import
# at once (it used to wait for the end of the phase), status 128+15, and
# nothing is left. The tarball is uncompressed and its 2 GiB of zeros a
# hole in it, so that it costs no time or disk to make.
"$PYTHON3" - >zeros.tar <<'PY'
import sys, tarfile
out = sys.stdout.buffer
def header(name, size=0, kind=tarfile.REGTYPE):
    i = tarfile.TarInfo(name)
    i.size, i.type, i.mode = size, kind, 0o755
    out.write(i.tobuf(tarfile.USTAR_FORMAT))
header("etc", kind=tarfile.DIRTYPE)
d = b"root:*:19000:0:99999:7:::\n"
header("etc/shadow", len(d))
out.write(d + bytes(-len(d) % 512))
header("zeros", 2 << 30)
PY
truncate -s +$(( (2 << 30) + 1024 )) zeros.tar
"$ROOTSTRAP" import -o term.log zeros.tar zeros.img >/dev/null 2>&1 &
pid=$!
wait_for term.log "allocated" || show term.log
sleep 0.5
start=$(now_ms)
kill -TERM $pid
wait $pid
rc=$?
took=$(( $(now_ms) - start ))
check "SIGTERM: exit status 143 (got $rc)" test "$rc" = 143
check "SIGTERM: it ended within 2 s (took $took ms)" test "$took" -lt 2000
has "rootstrap: import: interrupted by Terminated" term.log
check "SIGTERM: no image" test ! -e zeros.img
nothing_left .

# Item 15: the same in a reproducible import's last step, the export of
# the image and its import into a fresh one (30,000 files; it took the
# whole step before).
export TMPDIR=$TEST_TMP/tmp
mkdir "$TMPDIR"
SOURCE_DATE_EPOCH=1700000000 "$ROOTSTRAP" import -o repro.log heavy.tar \
    repro.img >/dev/null 2>&1 &
pid=$!
# Polled finely: the step is well under a second on a fast machine.
i=0
while ! grep -qF "making the image reproducible" repro.log 2>/dev/null &&
    [ $i -lt 3000 ]; do
	i=$((i + 1))
	sleep 0.02
done
check "the reproducible step began" grep -qF "making the image reproducible" repro.log
start=$(now_ms)
kill -TERM $pid
wait $pid
rc=$?
took=$(( $(now_ms) - start ))
check "reproducible step: exit status 143 (got $rc)" test "$rc" = 143
check "reproducible step: it ended within 2 s (took $took ms)" \
    test "$took" -lt 2000
has "interrupted by Terminated" repro.log
check "reproducible step: no image" test ! -e repro.img
check "reproducible step: no run directory left" test -z "$(ls -A "$TMPDIR")"
nothing_left .
unset TMPDIR

finish
