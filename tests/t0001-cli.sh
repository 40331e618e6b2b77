#!/bin/sh
# The command line: options of the original plus -c, -n, -v, --help,
# --version; usage errors exit 2 and name the problem.
. "$TEST_SRCDIR/libtest.sh"

fails_with 0 "usage: rootstrap [-nqv] [-c file] [-o logfile] [-s MB] [-u umlargs] imagefile" \
    "$ROOTSTRAP" --help
fails_with 0 "rootstrap 0." "$ROOTSTRAP" --version
fails_with 2 "rootstrap: no image file given" "$ROOTSTRAP"
fails_with 2 "rootstrap: only one image file, please" "$ROOTSTRAP" a b
fails_with 2 "rootstrap: -s: invalid size 'big' (a whole number of MB, greater than 0)" \
    "$ROOTSTRAP" -s big img
run_status 2 "$ROOTSTRAP" --no-such-option img

# -n shows the plan: -s overrides initialsize, -u adds to umlargs.
conf_fast mkfs mount umount >rootstrap.conf
printf '[global]\numlargs=from=conf\n' >extra.conf
run_status 0 "$ROOTSTRAP" -n -s 300 -c extra.conf -u "from=cli other=x" img
has "initialsize=300"
has " rsrun=RUNDIR uml_dir=RUNDIR from=conf from=cli other=x"
has "module mkfs: (stock)"
has "ROOTSTRAP_DEVICE=/dev/ubda"

# The image path must be usable before anything starts.
mkdir adir
fails_with 2 "rootstrap: adir: is a directory" "$ROOTSTRAP" adir
fails_with 2 "rootstrap: nodir: No such file or directory (the image's directory)" \
    "$ROOTSTRAP" nodir/img

# -o sends the transcript to a file; the real thing boots UML.
run_status 0 "$ROOTSTRAP" -o build.log -s 64 "with space 'quote'.img"
has "rootstrap: module mkfs: ok" build.log
has "rootstrap-builder: mounted /dev/ubda on /run/target" build.log
hasnt "rootstrap: module" "$TEST_TMP/out"
check "the image was made at a path with spaces and quotes" \
    test -f "with space 'quote'.img"
check "it is a clean ext4 filesystem" e2fsck -fn "with space 'quote'.img"
check "the -s size was used" test "$(stat -c %s "with space 'quote'.img")" = 67108864
nothing_left .

# A kernel that is not there is found out before anything runs.
printf '[global]\nkernel=/nonexistent/linux\n' >nokernel.conf
fails_with 2 "nokernel.conf:2: kernel: /nonexistent/linux: not found (apt-get install user-mode-linux, or set kernel=)" \
    "$ROOTSTRAP" -c nokernel.conf img2
check "no image after a refused build" test ! -e img2

finish
