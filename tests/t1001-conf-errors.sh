#!/bin/sh
# Configuration errors are all reported at once as FILE:LINE, exit 2, and
# nothing is built.
. "$TEST_SRCDIR/libtest.sh"

cat >rootstrap.conf <<'CONF'
[global]
PATH=/usr/sbin:/usr/bin:/sbin:/bin
modules=network mkfs nosuch
fstype=btrfs
initialsize=huge
this is not a key
[network]
transport=carrier-pigeon
[bogus]
a=b
CONF
fails_with 2 "rootstrap.conf:3: modules: unknown module 'nosuch' (not a stock module, and not found in" \
    "$ROOTSTRAP" img
has "rootstrap.conf:4: fstype: invalid value 'btrfs' (one of ext2|ext3|ext4)"
has "rootstrap.conf:5: initialsize: invalid size 'huge' (a whole number of MB, greater than 0)"
has "rootstrap.conf:6: expected 'key = value', '[section]' or a comment"
has "rootstrap.conf:8: transport: invalid value 'carrier-pigeon' (one of slirp|tuntap|user|none)"
has "rootstrap.conf:10: unknown section [bogus] (not [global], a stock module or a module in modules=)"
has "rootstrap: 6 errors in the configuration; nothing was built"
check "no image was made" test ! -e img
nothing_left .

# -c names a file that must exist.
conf_fast mkfs >rootstrap.conf
fails_with 2 "missing.conf: No such file or directory" "$ROOTSTRAP" -c missing.conf img

# Errors in -c are named by that file; the earlier files stay valid.
conf_fast mkfs mount debian umount >rootstrap.conf
printf '[debian]\ndist=bookwurm\n' >bad-suite.conf
fails_with 2 "bad-suite.conf:2: dist: unknown suite 'bookwurm' (debootstrap has no script /usr/share/debootstrap/scripts/bookwurm)" \
    "$ROOTSTRAP" -c bad-suite.conf -n img

# kernel_suite names a directory under the kernel cache: nothing that
# leads out of it.
conf_fast mkfs >rootstrap.conf
printf '[global]\nkernel_suite=../../elsewhere\n' >suite.conf
fails_with 2 "suite.conf:2: kernel_suite: invalid suite '../../elsewhere'" \
    "$ROOTSTRAP" -c suite.conf -n img

# PATH is required.
printf '[global]\nmodules=mkfs\n' >rootstrap.conf
fails_with 2 "rootstrap: [global] PATH is required" "$ROOTSTRAP" -n img

finish
