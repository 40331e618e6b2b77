#!/bin/sh
# Nothing is installed unless the image is really mounted: a failed mount
# stops the build, and debian refuses to run without one (so debootstrap
# can never fill anything but the image).
. "$TEST_SRCDIR/libtest.sh"

# The image has no filesystem: mount fails, and the build stops there.
# (debian refuses images below 320 MB; sparse, so the size costs nothing.
# method=host would make the filesystem on the host: the classic method
# is the one that relies on the guest's mount.)
printf '[debian]\nmethod=debootstrap\n' >rootstrap.conf
conf_fast mount debian umount >>rootstrap.conf
echo "initialsize=400" >>rootstrap.conf
fails_with 1 "rootstrap: module 'mount' failed with exit status 1" \
    "$ROOTSTRAP" -o nofs.log img
has "rootstrap-builder: mount: /dev/ubda: Invalid argument while mounting on /run/target as ext4" nofs.log
hasnt "rootstrap-builder: module debian" nofs.log
check "no image" test ! -e img

# Without the mount module, debian refuses to start.
printf '[debian]\nmethod=debootstrap\n' >rootstrap.conf
conf_fast mkfs debian umount >>rootstrap.conf
echo "initialsize=400" >>rootstrap.conf
fails_with 1 "rootstrap: module 'debian' failed with exit status 1" \
    "$ROOTSTRAP" -o nomount.log img
has "rootstrap-builder: debian: /run/target is not mounted (list the mount module before debian)" nomount.log
hasnt "debootstrap --variant" nomount.log
nothing_left .

finish
