#!/bin/sh
# The live progress line. A real build on a terminal (a pty) redraws one
# line in place: the packages unpacked on the host and set up in the guest,
# N/M with a package's name, cut to the terminal's width; the screen it
# leaves holds the step lines alone. On a pipe: the same step lines, not
# one carriage return or escape sequence (a build without packages, for
# time: the line is drawn or not in one place for every step). -v and -q
# draw nothing; with stdout a pipe and stderr a terminal, the line goes
# to stderr.
. "$TEST_SRCDIR/libtest.sh"

cr=$(printf '\r')
esc=$(printf '\033')
# on_pty COLUMNS NAME COMMAND...: NAME.raw, what the terminal got;
# NAME.screen, what it shows at the end; NAME.redraws, the lines drawn
# and erased in place.
on_pty() {
	cols=$1
	name=$2
	shift 2
	"$PYTHON3" "$TEST_SRCDIR/pty-capture.py" --cols "$cols" \
	    --screen "$name.screen" --redraws "$name.redraws" "$name.raw" "$@"
}
# counts_run FILE WHAT: the lines "rootstrap: WHAT N/M: NAME" of FILE
# count 1, 2, ... M in order, and there are more than 10 of them.
counts_run() {
	grep "^rootstrap: $2 [0-9]*/[0-9]*: [a-z0-9]" "$1" | awk -v what="$2" '
		{ split($3, nm, "/"); n = nm[1] + 0; m = nm[2] + 0 }
		n != NR { print what ": line " NR " says " n; bad = 1 }
		END { if (NR <= 10 || n != m || bad) exit 1 }'
}

# bookworm minbase from the suite's package cache (t7001 filled it).
mkdir -p "$TEST_CACHE/bookworm"
cp "$TEST_SRCDIR/../conf/rootstrap.conf" rootstrap.conf
printf '[debian]\ncache=%s\ninclude=\n' "$TEST_CACHE/bookworm" >small.conf

# On a terminal 40 columns wide.
on_pty 40 build "$ROOTSTRAP" -c small.conf img >out 2>&1
check "the build on a terminal succeeds" test $? = 0
check "the image is built, e2fsck -fn finds it clean" e2fsck -fn img
check "packages unpacked on the host, counted 1/M to M/M" \
    counts_run build.redraws unpacking
check "packages set up in the guest, counted 1/M to M/M" \
    counts_run build.redraws configuring
has "rootstrap: configuring 1/" build.redraws
check "each redraw fits the terminal's 39 columns" \
    sh -c '! awk "length > 39" build.redraws | grep .'
check "long ones are cut to them" sh -c 'awk "length == 39" build.redraws | grep -q .'
n=$(grep -ao "$cr$esc\\[Krootstrap: configuring" build.raw | wc -l)
check "each redraw goes back to the line's start and erases it ($n)" \
    test "$n" -ge 10
# Every progress line was erased before a step line: the screen is
# rootstrap's lines and the builder's, none with a leftover glued on.
has "rootstrap: unpacked " build.screen
has "rootstrap-builder: module debian (stock)" build.screen
has "rootstrap: module debian: ok" build.screen
has "rootstrap: shrunk to" build.screen
has "rootstrap: built img" build.screen
check "each line on the screen is a step line" \
    sh -c '! grep -v "^rootstrap" build.screen'
hasnt "configuring 1/" build.screen
has "rootstrap: shrinking the image: checkin" build.redraws
hasnt "unpacking 1/" img.log
hasnt "configuring 1/" img.log
check "no escape sequence in the transcript (dpkg's colours)" \
    sh -c "! grep -q '$esc' img.log"

# Builds without packages, shrunk or made reproducible.
conf_fast mkfs mount umount >rootstrap.conf
echo freespace=8 >>rootstrap.conf

# The reproducible step: what it does, in place.
printf '[global]\nsource_date_epoch=1700000000\n' >repro.conf
on_pty 80 repro "$ROOTSTRAP" -c repro.conf img8 >out 2>&1
check "the reproducible build on a terminal succeeds" test $? = 0
has "rootstrap: reproducible: exporting the tree" repro.redraws
has "rootstrap: reproducible: making the fresh filesystem" repro.redraws
has "rootstrap: made reproducible" repro.screen

# On a pipe: the same step lines, no redraws.
run_status 0 "$ROOTSTRAP" img7
check "no carriage return on a pipe" sh -c "! grep -q '$cr' out"
check "no escape sequence on a pipe" sh -c "! grep -q '$esc' out"
has "rootstrap-builder: module mount (stock)"
has "rootstrap: module umount: ok"
has "rootstrap: shrunk to"
has "rootstrap: built img7"

# -v shows everything as it goes, -q errors only: neither draws.
on_pty 80 verbose "$ROOTSTRAP" -v img4 >out 2>&1
check "-v on a terminal succeeds" test $? = 0
check "-v: no progress line" test ! -s verbose.redraws
has "rootstrap: shrunk to" verbose.screen
on_pty 80 quiet "$ROOTSTRAP" -q img5 >out 2>&1
check "-q on a terminal succeeds" test $? = 0
check "-q: the terminal got nothing" test ! -s quiet.raw

# stdout a pipe, stderr a terminal: the line on stderr, the pipe clean.
"$PYTHON3" "$TEST_SRCDIR/pty-capture.py" --stdout-pipe piped.out \
    --redraws split.redraws split.raw "$ROOTSTRAP" img6 >out 2>&1
check "stdout on a pipe, stderr on a terminal: it succeeds" test $? = 0
has "rootstrap: shrinking the image: resizing (resize2fs)" split.redraws
has "rootstrap: shrunk to" piped.out
check "no carriage return or escape on the piped stdout" \
    sh -c "! grep -q '[$cr$esc]' piped.out"
nothing_left .

finish
