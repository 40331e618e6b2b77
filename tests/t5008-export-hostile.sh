#!/bin/sh
# Issue 13 (items 7, 8, 15): rootstrap export of hostile images. A
# directory linked into itself is an error, not an endless archive; a
# block used twice is an error; an inline symbolic link longer than its
# inode says is read only as far as its size (it overflowed a heap
# buffer); a file claiming a terabyte and a sparse file come out as sparse
# entries; SIGTERM and SIGINT stop an export at once, leaving nothing at
# OUT. Exports run under a 200 MB file size limit, so that a regression
# cannot fill the disk.
. "$TEST_SRCDIR/libtest.sh"

now_ms() {
	date +%s%3N
}

# export_capped ARGS...: rootstrap export, at most 60 s and 200 MB.
export_capped() {
	(ulimit -f 409600 && exec timeout 60 "$ROOTSTRAP" export "$@")
}

# An image of tree (a directory) with mke2fs -d; more mke2fs options after.
mkimage() {
	img=$1
	tree=$2
	shift 2
	rm -f "$img"
	truncate -s 8M "$img"
	mke2fs -q -F -E root_owner=0:0 "$@" -d "$tree" "$img" 2>/dev/null
}

mkdir -p tree/d
printf 'hi\n' >tree/d/f

# Item 7: a directory linked into itself.
mkimage cycle.img tree -t ext4
debugfs -w -R "link /d /d/self" cycle.img 2>/dev/null
fails_with 1 "rootstrap: cycle.img: './d/self': inode 12 has more names than its link count (a directory cycle)" \
    export_capped cycle.img cycle.tar
check "no archive from a cycle" test ! -e cycle.tar
nothing_left .

# Item 7: a root that is not a directory (its blocks would come out as a
# file named ".", which no import takes).
mkimage root.img tree -t ext4
debugfs -w -R "sif <2> mode 0100644" root.img 2>/dev/null
fails_with 1 "rootstrap: root.img: the root is not a directory" \
    export_capped root.img root.tar
check "no archive from a file root" test ! -e root.tar

# Item 7: a block in two files (ext2: block pointers debugfs can set).
printf 'second\n' >tree/d/g
mkimage shared.img tree -t ext2
blk=$(debugfs -R "blocks /d/f" shared.img 2>/dev/null | tr -d ' ')
debugfs -w -R "sif /d/g block[0] $blk" shared.img 2>/dev/null
fails_with 1 "rootstrap: shared.img: './d/g': block $blk is used twice (the image is corrupt)" \
    export_capped shared.img shared.tar
check "no archive from cross-linked blocks" test ! -e shared.tar
rm tree/d/g

# Item 7: an inline-data symbolic link whose target (700 bytes) is longer
# than its inode's size says (60): read as far as the size.
mkdir empty
mkimage inline.img empty -t ext4 -b 4096 -I 1024 -O inline_data
target=$(printf '%0700d' 0 | tr 0 t)
debugfs -w -R "symlink /l $target" inline.img 2>/dev/null
debugfs -w -R "sif /l size 60" inline.img 2>/dev/null
run_status 0 export_capped inline.img inline.tar
tar -tvf inline.tar >inline.list 2>/dev/null
has "./l -> $(printf '%060d' 0 | tr 0 t)" inline.list
hasnt "./l -> $(printf '%061d' 0 | tr 0 t)" inline.list
if command -v valgrind >/dev/null; then
	run_status 0 valgrind -q --error-exitcode=99 "$ROOTSTRAP" export \
	    inline.img inline2.tar
fi
debugfs -w -R "sif /l size 2000" inline.img 2>/dev/null
fails_with 1 "rootstrap: inline.img: './l': inline data of 700 bytes for a size of 2000" \
    export_capped inline.img inline3.tar

# Item 8: a file claiming a terabyte, with one block of data.
mkdir tb
printf 'small\n' >tb/big
mkimage tb.img tb -t ext4
debugfs -w -R "sif /big size 1099511627776" tb.img 2>/dev/null
start=$(now_ms)
run_status 0 export_capped tb.img tb.tar
took=$(( $(now_ms) - start ))
check "a terabyte exported in under 10 s (took $took ms)" test "$took" -lt 10000
check "the archive is small ($(stat -c %s tb.tar) bytes)" \
    test "$(stat -c %s tb.tar)" -lt 100000
"$PYTHON3" - tb.tar >tb.out <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    m = t.getmember("./big")
    print("size", m.size, "sparse", m.sparse)
    print("data", t.extractfile(m).read(6))
PY
has "size 1099511627776 sparse [(0, " tb.out
has "data b'small\n'" tb.out

# Item 8: a sparse file keeps its holes through an export.
mkdir sp
truncate -s 64M sp/holes
printf 'middle' | dd of=sp/holes bs=1 seek=$((32 << 20)) conv=notrunc 2>/dev/null
mkimage sparse.img sp -t ext4
run_status 0 export_capped sparse.img sparse.tar
check "the archive is small ($(stat -c %s sparse.tar) bytes)" \
    test "$(stat -c %s sparse.tar)" -lt 100000
mkdir unpacked
tar -C unpacked -xf sparse.tar ./holes
check "the file comes back byte for byte" cmp unpacked/holes sp/holes
check "and sparse ($(stat -c %b unpacked/holes) blocks of 512)" \
    test "$(stat -c %b unpacked/holes)" -lt 1024
export SOURCE_DATE_EPOCH=1700000000
run_status 0 export_capped sparse.img r1.tar
run_status 0 export_capped sparse.img r2.tar
run_status 0 export_capped sparse.img r1.tar.gz
sleep 1.1
run_status 0 export_capped sparse.img r2.tar.gz
unset SOURCE_DATE_EPOCH
check "reproducible .tar.gz exports are the same (no gzip time stamp)" \
    cmp r1.tar.gz r2.tar.gz
check "reproducible exports of a sparse file are the same" cmp r1.tar r2.tar
check "and sparse too" test "$(stat -c %s r1.tar)" -lt 100000
if command -v zstd >/dev/null; then
	run_status 0 export_capped sparse.img sparse.tar.zst
	check ".tar.zst is zstd, not a plain tar" zstd -qt sparse.tar.zst
fi

# Item 15: SIGTERM and SIGINT during a long export (64 MB of random data
# into xz) stop it at once: status 128+N, nothing at OUT, no temporary.
mkdir rnd
head -c 64M /dev/urandom >rnd/r
truncate -s 100M rnd.img
mke2fs -q -F -t ext4 -d rnd rnd.img
rm -rf rnd
for pair in TERM:143:-1 INT:130:1700000000; do
	sig=${pair%%:*}
	want=${pair#*:}
	epoch=${want#*:}
	want=${want%:*}
	# A script's background job ignores SIGINT (and so would
	# rootstrap) unless env resets it.
	if [ "$epoch" -ge 0 ]; then
		export SOURCE_DATE_EPOCH=$epoch
	fi
	env --default-signal=INT "$ROOTSTRAP" export rnd.img out.tar.xz \
	    2>$sig.err &
	unset SOURCE_DATE_EPOCH
	pid=$!
	# Under way: its temporary file is there (made after spawn_init).
	i=0
	while ! ls | grep -q '^out\.tar\.xz\.rootstrap-' && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.5
	start=$(now_ms)
	kill -$sig $pid
	wait $pid
	rc=$?
	took=$(( $(now_ms) - start ))
	check "SIG$sig: exit status $want (got $rc)" test "$rc" = "$want"
	check "SIG$sig: it ended within 2 s (took $took ms)" test "$took" -lt 2000
	has "rootstrap: interrupted by" $sig.err
	check "SIG$sig: nothing at OUT, no temporary beside it" \
	    test -z "$(ls -A | grep '^out\.tar\.xz')"
done
nothing_left .

finish
