#!/bin/sh
# Issue 14, item 4: [uml] swap=MB, as the Loopback Root Filesystem HOWTO
# gives its loop root a swap file. The image gets /swapfile (mode 0600,
# every block written: the kernel refuses holes) and its fstab line; the
# file survives the shrink to content + freespace and the reproducible
# rewrite, and a guest booted with little mem= has it as swap. The shared
# image's tree goes in through rootstrap import: one short boot, not a
# whole build, runs the uml module.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
cp "$TEST_SRCDIR/../conf/rootstrap.conf" rootstrap.conf
"$ROOTSTRAP" export "$img" tree.tar

# swap_ok IMAGE MB: /swapfile in IMAGE, seen without booting it.
swap_ok() {
	debugfs -R 'stat /swapfile' "$1" >stat.out 2>&1
	has "Mode:  0600" stat.out
	has "Size: $(($2 << 20))" stat.out
	# Blockcount is in 512-byte sectors: no block of the file is a hole.
	count=$(sed -n 's/.*Blockcount: \([0-9]*\).*/\1/p' stat.out)
	check "every block of the $2 MB file is allocated ($count sectors)" \
	    test "${count:-0}" -ge $(($2 << 11))
	debugfs -R 'dump /swapfile swapfile' "$1" >/dev/null 2>&1
	check "it has a swap header" sh -c \
	    "dd if=swapfile bs=1 skip=4086 count=10 2>/dev/null | grep -q SWAPSPACE2"
	image_cat "$1" /etc/fstab >fstab
	has "$(printf '/swapfile\tnone\tswap\tsw\t0\t0')" fstab
	check "e2fsck -fn finds it clean" e2fsck -fn "$1"
	rm -f swapfile
}

# The README's example: 64 MB of swap, shrunk to content + 32 MB.
printf '[global]\nfreespace=32\n[uml]\nswap=64\n' >swap.conf
run_status 0 "$ROOTSTRAP" import -c swap.conf tree.tar swap.img
has "swap: /swapfile, 64 MB"
swap_ok swap.img 64
free=$(dumpe2fs -h swap.img 2>/dev/null |
    awk -F: '/^Free blocks/ { f = $2 } /^Block size/ { b = $2 }
    END { print int(f * b / 1048576) }')
check "the shrink left the free space beside the swap file ($free MB)" \
    test "$free" -ge 24
BOOT_MEM=96M boot "$TEST_TMP/swap.img" \
    'swapon --show=NAME,TYPE,SIZE --noheadings --raw' \
    "awk '/^SwapTotal/ { print \"swap total\", \$2 }' /proc/meminfo"
has_line "/swapfile file 64M"
# 16384 pages, less the header's and what the kernel keeps back.
total=$(sed -n 's/^swap total //p' "$TEST_TMP/out")
check "the guest has about 64 MB of swap (${total:-no} kB)" \
    test "${total:-0}" -gt 65000 -a "${total:-0}" -le 65536

# The reproducible rewrite (export, then a fresh filesystem) keeps it whole.
export SOURCE_DATE_EPOCH=1700000000
run_status 0 "$ROOTSTRAP" import -c swap.conf tree.tar repro.img
unset SOURCE_DATE_EPOCH
has "made reproducible"
swap_ok repro.img 64

# No swap= (the default): no file, no fstab line.
run_status 0 "$ROOTSTRAP" import tree.tar plain.img
check "no /swapfile without swap=" sh -c \
    "! debugfs -R 'stat /swapfile' plain.img 2>&1 | grep -q Size"
image_cat plain.img /etc/fstab >fstab
hasnt "swap" fstab
nothing_left .

finish
