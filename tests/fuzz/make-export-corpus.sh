#!/bin/sh
# make-export-corpus.sh DIR: the seeds of fuzz_export (tests/fuzz/corpus/
# export/): small valid images, 1 KB blocks, each kind of inode rootstrap
# exports, in the layouts libext2fs reads differently (extents without
# checksums, so that mutations get past the superblock; inline data;
# ext2's block maps). The same e2fsprogs gives the same bytes: fixed UUID,
# hash seed and time.
set -eu
out=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export E2FSPROGS_FAKE_TIME=1700000000
printf 'root:*:19999:0:99999:7:::\n' >"$tmp/shadow"
printf 'hello\n' >"$tmp/hello"
printf 'x' | dd of="$tmp/sparse" bs=1 seek=5000 2>/dev/null
long=$(printf '%0100d' 0)
while read -r name opts; do
	img=$tmp/$name
	truncate -s 128K "$img"
	mke2fs -q -F -b 1024 -N 32 -m 0 -E root_owner=0:0 \
	    -U 6f1c3c2e-6d0b-4b9e-9a8e-2d8f0c1e2a3b \
	    -E hash_seed=0f6b2a9c-7d4e-4f1a-8b3c-5e6d7f8a9b0c $opts "$img"
	# lost+found's blocks freed and zeroed first, so that what follows
	# is written right after the metadata and the seed stays small.
	blocks=$(debugfs -R "blocks /lost+found" "$img" 2>/dev/null)
	debugfs -w -R "rmdir /lost+found" "$img" 2>/dev/null
	for b in $blocks; do
		dd if=/dev/zero of="$img" bs=1024 seek="$b" count=1 \
		    conv=notrunc 2>/dev/null
	done
	debugfs -w -f - "$img" >/dev/null 2>&1 <<CMDS
mkdir etc
cd etc
write $tmp/shadow shadow
cd /
mkdir d
cd d
mkdir e
write $tmp/hello f
symlink l f
symlink long $long
write $tmp/sparse sparse
mknod null c 1 3
ea_set f user.x y
ln f h
sif f links_count 2
cd /
mkdir var
cd var
mkdir log
cd log
write $tmp/hello syslog
CMDS
	e2fsck -fn "$img" >"$tmp/fsck.log" 2>&1 || { cat "$tmp/fsck.log" >&2; exit 1; }
	# Trailing zeros cut: fuzz_export pads its input back.
	python3 -c 'import sys; d=open(sys.argv[1],"rb").read().rstrip(b"\0"); open(sys.argv[2],"wb").write(d)' "$img" "$out/$name"
done <<'LIST'
ext4-nocsum -t ext4 -O ^has_journal,^resize_inode,^flex_bg,^metadata_csum
ext4-inline -t ext4 -I 256 -O ^has_journal,^resize_inode,^flex_bg,^metadata_csum,inline_data
ext2 -t ext2 -I 128 -O ^resize_inode
LIST
