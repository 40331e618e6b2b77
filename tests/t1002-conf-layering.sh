#!/bin/sh
# The system file, then ./rootstrap.conf, then -c: each overrides the one
# before, key by key; a module's section overrides [global] for it.
. "$TEST_SRCDIR/libtest.sh"

cat >system.conf <<'CONF'
[global]
PATH=/usr/sbin:/usr/bin:/sbin:/bin
modules=network mkfs uml
fstype=ext2
mem=256M
[network]
hostname=from-system
CONF
cat >rootstrap.conf <<'CONF'
[global]
fstype=ext3
LANG=C.UTF-8
[network]
hostname=from-cwd
[uml]
fstype=ext4
CONF
cat >extra.conf <<'CONF'
[network]
hostname=from-c
CONF
ROOTSTRAP_SYSTEM_CONF=$TEST_TMP/system.conf run_status 0 "$ROOTSTRAP" -n -c extra.conf img
sed -n '/^module network/,/^module mkfs/p' out >network.env
sed -n '/^module mkfs/,/^module uml/p' out >mkfs.env
sed -n '/^module uml/,$p' out >uml.env
has_line "$(printf '\thostname=from-c')" network.env
has "fstype=ext3" mkfs.env
has "mem=256M" mkfs.env
has "LANG=C.UTF-8" mkfs.env
has "fstype=ext4" uml.env
has "install_modules=no" uml.env
hasnt "install_modules" mkfs.env

ROOTSTRAP_SYSTEM_CONF=$TEST_TMP/system.conf run_status 0 "$ROOTSTRAP" -n img
ROOTSTRAP_SYSTEM_CONF=$TEST_TMP/nonexistent.conf run_status 2 "$ROOTSTRAP" -n img
has "PATH is required"

finish
