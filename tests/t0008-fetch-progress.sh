#!/bin/sh
# The fetch's progress line: on a terminal the packages fetched N/M, the
# megabytes and the rate, redrawn in place, then one step line with the
# totals; on a pipe that step line alone. Against the local test mirror
# (tests/mirror.py), one package held back for two seconds so that the
# line is drawn more than once.
. "$TEST_SRCDIR/libtest.sh"

mirror_start
cr=$(printf '\r')
esc=$(printf '\033')

# conf CACHE: bookworm minbase from the test mirror into CACHE.
conf() {
	printf '[global]\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n'
	printf '[debian]\ndist=bookworm\nmirror=%s\n' "$MIRROR"
	printf 'cache=%s\nvariant=minbase\ninclude=\n' "$1"
}

# The index first, so that what is held back below is a package.
conf "$TEST_TMP/cache0" >index.conf
"$ROOTSTRAP" fetch -n -c index.conf >/dev/null 2>&1

echo 'hang /pool/main/g/glibc/libc6_ 2 count=1' >faults
conf "$TEST_TMP/cache1" >tty.conf
"$PYTHON3" "$TEST_SRCDIR/pty-capture.py" --screen tty.screen \
    --redraws tty.redraws tty.raw "$ROOTSTRAP" fetch -c tty.conf >out 2>&1
check "fetch on a terminal succeeds" test $? = 0
grep '^rootstrap: fetching [0-9]*/[0-9]*, [0-9.]*/[0-9.]* MB, [0-9.]* MB/s$' \
    tty.redraws >counts
check "the line shows packages N/M, megabytes and the rate" test -s counts
check "drawn more than once, N never going back" sh -c '
	awk "{ split(\$3, n, \"/\"); if (n[1] + 0 < last) exit 1; last = n[1] + 0 }
	    END { if (NR < 2) exit 1 }" counts'
check "the screen ends with the totals, M/M" \
    grep -q '^rootstrap: fetched \([0-9]*\)/\1, ' tty.screen
hasnt "rootstrap: fetching" tty.screen

: >faults
conf "$TEST_TMP/cache2" >pipe.conf
run_status 0 "$ROOTSTRAP" fetch -c pipe.conf
check "on a pipe: the totals, M/M" grep -q '^rootstrap: fetched \([0-9]*\)/\1, ' out
check "on a pipe: no carriage return or escape" sh -c "! grep -q '[$cr$esc]' out"
mirror_stop
nothing_left .

finish
