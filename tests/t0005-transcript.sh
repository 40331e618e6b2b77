#!/bin/sh
# The transcript: always kept whole in a file, IMAGE.log beside the image
# unless -o names another; -q shows errors only, and a failure names the
# file and quotes how the transcript ends, the failing module's last lines.
. "$TEST_SRCDIR/libtest.sh"

mkdir mods
cat >mods/failer <<'MOD'
#!/bin/sh
echo "failer: the cause is here"
exit 3
MOD
chmod +x mods/failer

# By default: the steps on stdout as they go (rootstrap's and the
# builder's lines, not the kernel's or the programs'), and the whole
# transcript in img.log.
conf_fast mkfs mount umount >rootstrap.conf
run_status 0 "$ROOTSTRAP" img
has "rootstrap: booting UML:"
has "rootstrap-builder: module mount (stock)"
has "rootstrap: module mkfs: ok"
hasnt "reboot: Power down"
has "rootstrap-builder: mounted /dev/ubda on /run/target" img.log
has "rootstrap: module umount: ok" img.log
has "rootstrap: built img" img.log
has "reboot: Power down" img.log

# -v: everything, as it goes.
run_status 0 "$ROOTSTRAP" -v imgv
has "reboot: Power down"

# -q: nothing on the terminal when all goes well; the transcript in the log.
run_status 0 "$ROOTSTRAP" -q img2
check "-q: nothing on the terminal" test ! -s out
has "rootstrap-builder: mounted /dev/ubda on /run/target" img2.log
check "-q: the image is built" e2fsck -fn img2

# A failure under -q: the error, how the transcript ends, the file named.
conf_fast mkfs mount failer umount >rootstrap.conf
echo "modulepath=$TEST_TMP/mods" >>rootstrap.conf
run_status 1 "$ROOTSTRAP" -q img3
has "rootstrap: module 'failer' failed with exit status 3"
has "rootstrap: the transcript ends:"
has "  | failer: the cause is here"
has "rootstrap: the whole transcript is in img3.log"
has "failer: the cause is here" img3.log
has "rootstrap-builder: mounted /dev/ubda on /run/target" img3.log
check "no image after the failure" test ! -e img3

# A failure with the steps on stdout: the failing module's lines quoted.
run_status 1 "$ROOTSTRAP" img7
has "rootstrap-builder: module failer from $TEST_TMP/mods/failer"
has "  | failer: the cause is here"
has "rootstrap: the whole transcript is in img7.log"

# With -o, the same in the file it names, and no IMAGE.log.
run_status 1 "$ROOTSTRAP" -o fail.log img4
has "  | failer: the cause is here"
has "rootstrap: the whole transcript is in fail.log"
has "failer: the cause is here" fail.log
check "-o: no img4.log" test ! -e img4.log

# -q and -v contradict; a link at IMAGE.log is not followed.
fails_with 2 "rootstrap: -q and -v: choose one" "$ROOTSTRAP" -q -v img5
conf_fast mkfs mount umount >rootstrap.conf
ln -s victim img6.log
run_status 2 "$ROOTSTRAP" img6
has "img6.log (the transcript; -o names another file)"
check "the link was not followed" test ! -e victim
nothing_left .

finish
