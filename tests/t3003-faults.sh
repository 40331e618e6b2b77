#!/bin/sh
# Faults a build must survive: SIGINT, SIGTERM and SIGKILL at each stage
# (UML starting, mkfs, a guest module, the shrink, the image cache's copy
# after the rename), the UML kernel crashing,
# panicking or hanging, the disk filling up under the image or the image
# cache. After each, nothing is left (or, after SIGKILL, the next build
# removes what was left) and the next build in the same place works. Two
# builds side by side leave each other's files alone.
. "$TEST_SRCDIR/libtest.sh"

export TMPDIR=$TEST_TMP/tmp
mkdir "$TMPDIR" mods mkfsmods bin
REAL_UML=$(command -v linux.uml)

# A stand-in for mkfs and a module that both wait to be interrupted.
printf '#!/bin/sh\necho "stage: mkfs"\nexec sleep 600\n' >mkfsmods/mkfs
printf '#!/bin/sh\necho "stage: module"\nexec sleep 600\n' >mods/sleeper
# The kernel signals rootstrap as it starts (not when it is asked what
# it offers, before the image is made); cp, during the shrink.
cat >sigkernel <<SH
#!/bin/sh
case \$1 in --help|--version) exec $REAL_UML "\$@" ;; esac
kill -\$FAULT_SIG \$PPID
exec $REAL_UML "\$@"
SH
cat >bin/cp <<'SH'
#!/bin/sh
kill -$FAULT_SIG $PPID
exec /bin/cp "$@"
SH
chmod +x mods/* mkfsmods/mkfs sigkernel bin/cp

conf_fast mkfs mount umount >rootstrap.conf
printf '[global]\nkernel=%s/sigkernel\n' "$TEST_TMP" >boot.conf
printf '[global]\nmodulepath=mkfsmods\nmodules=mkfs\n' >mkfs.conf
printf '[global]\nmodulepath=mods\nmodules=sleeper\n' >module.conf
printf '[global]\nfreespace=1\n' >shrink.conf

# gone: up to 10 s for every process of this test's build to end.
gone() {
	i=0
	while pgrep -f "$TEST_TMP" >/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! pgrep -f "$TEST_TMP" >/dev/null
}

# next_build WHAT: the next build in the same place works and leaves
# nothing; its transcript stays in next.log.
next_build() {
	rm -f next.log
	run_status 0 "$ROOTSTRAP" -o next.log img
	check "$1: the next build made an image" e2fsck -fn img
	check "$1: no run directory left" test -z "$(ls -A "$TMPDIR")"
	nothing_left .
	rm -f img
}

for stage in boot mkfs module shrink; do
	for pair in INT:130 TERM:143 KILL:137; do
		sig=${pair%:*}
		want=${pair#*:}
		what="SIG$sig during $stage"
		export FAULT_SIG=$sig
		case $stage in
		boot|shrink)
			# Delivered by the kernel or cp: at that very point.
			PATH=$TEST_TMP/bin:$PATH "$ROOTSTRAP" -c $stage.conf \
			    -o log img >/dev/null 2>&1
			rc=$?
			;;
		*)
			"$ROOTSTRAP" -c $stage.conf -o log img >/dev/null 2>&1 &
			pid=$!
			wait_for log "stage: $stage" || show log
			kill -$sig $pid
			wait $pid
			rc=$?
			;;
		esac
		if [ "$rc" = "$want" ]; then
			ok "$what: exit status $want"
		else
			not_ok "$what: exit status $rc, expected $want"
			show log
		fi
		check "$what: no image" test ! -e img
		if gone; then
			ok "$what: no process outlived rootstrap"
		else
			not_ok "$what: processes left: $(pgrep -af "$TEST_TMP")"
		fi
		if [ $sig = KILL ]; then
			# Nothing could clean up; the next build does.
			check "$what: the temporary image was left" \
			    sh -c 'ls -A | grep -q "^\.img\.rootstrap-"'
			next_build "$what"
			has "left by a build that was killed" next.log
		else
			has "interrupted by" log
			check "$what: no run directory left" \
			    test -z "$(ls -A "$TMPDIR")"
			nothing_left .
			next_build "$what"
		fi
		rm -f log
	done
done

# SIGKILL in the instant between starting the kernel and its watchdog:
# strace holds every pipe2() of rootstrap's for 0.3 s, the kernel forks a
# helper (as UML does) and kills rootstrap. The death signal reaches only
# the kernel's first process; the helper must go too.
cp "$(command -v sleep)" bin/helper
cat >forkkernel <<SH
#!/bin/sh
$TEST_TMP/bin/helper 600 &
kill -KILL \$PPID
exec $REAL_UML "\$@"
SH
chmod +x forkkernel
printf '[global]\nkernel=%s/forkkernel\n' "$TEST_TMP" >fork.conf
if command -v strace >/dev/null; then
	strace -o /dev/null -e trace=pipe2 -e inject=pipe2:delay_enter=300000 \
	    "$ROOTSTRAP" -c fork.conf -o log img >/dev/null 2>&1
	if gone; then
		ok "SIGKILL before the watchdog: no process outlived rootstrap"
	else
		not_ok "SIGKILL before the watchdog: processes left: $(pgrep -af "$TEST_TMP")"
		pkill -KILL -f "$TEST_TMP/bin/helper"
	fi
	next_build "SIGKILL before the watchdog"
	rm -f log
else
	ok "# SKIP SIGKILL before the watchdog: needs strace"
fi

# UML crashing under a module: the wrapper kills the kernel when the module
# says so through the run directory.
cat >crashkernel <<SH
#!/bin/sh
case \$1 in --help|--version) exec $REAL_UML "\$@" ;; esac
rundir=\$(printf '%s\\n' "\$@" | sed -n 's/^rsrun=//p')
$REAL_UML "\$@" &
uml=\$!
while [ ! -e "\$rundir/crash-now" ]; do sleep 0.1; done
kill -SEGV \$uml
kill -KILL \$uml
wait \$uml
SH
printf '#!/bin/sh\ntouch "$ROOTSTRAP_RUNDIR/crash-now"\nexec sleep 600\n' >mods/crasher
chmod +x crashkernel mods/crasher
printf '[global]\nkernel=%s/crashkernel\nmodulepath=mods\nmodules=mkfs crasher\n' \
    "$TEST_TMP" >crash.conf
fails_with 1 "rootstrap: module 'crasher' did not finish (UML exited with status" \
    "$ROOTSTRAP" -c crash.conf img
check "crash: no run directory left" test -z "$(ls -A "$TMPDIR")"
nothing_left .
next_build "crash"

# A module that panics the guest kernel.
printf '#!/bin/sh\necho c >/proc/sysrq-trigger\nexec sleep 600\n' >mods/panic
chmod +x mods/panic
printf '[global]\nmodulepath=mods\nmodules=mkfs panic\n' >panic.conf
fails_with 1 "rootstrap: module 'panic' did not finish (UML exited with status" \
    "$ROOTSTRAP" -c panic.conf img
has "rootstrap: the UML kernel panicked: sysrq triggered crash"
nothing_left .
next_build "panic"

# A kernel that hangs before it ever runs the builder (it answers what it
# offers as UML does).
printf '#!/bin/sh\ncase $1 in --help|--version) exec %s "$@" ;; esac\nexec sleep 600\n' \
    "$REAL_UML" >hangkernel
chmod +x hangkernel
printf '[global]\nkernel=%s/hangkernel\ntimeout=3\n' "$TEST_TMP" >hang.conf
fails_with 1 "rootstrap: UML: $TEST_TMP/hangkernel timed out after 3 s" \
    "$ROOTSTRAP" -c hang.conf img
check "hang: no run directory left" test -z "$(ls -A "$TMPDIR")"
nothing_left .
next_build "hang"

# A signal while the finished image is copied into the image cache: the
# image, complete and in place, stays; the partial copy goes. A FIFO where
# the store writes its info line holds the store at that point.
export ROOTSTRAP_CACHE=$TEST_TMP/icache
mkdir "$ROOTSTRAP_CACHE"
"$ROOTSTRAP" -n img >dry.out
key=$(sed -n 's/^cache: \([0-9a-f]*\) (miss)$/\1/p' dry.out)
for pair in INT:130 KILL:137; do
	sig=${pair%:*}
	want=${pair#*:}
	what="SIG$sig during the cache store"
	mkfifo "$ROOTSTRAP_CACHE/$key.info"
	"$ROOTSTRAP" -o log img >err 2>&1 &
	pid=$!
	wait_for log "rootstrap: built img" || show log
	kill -$sig $pid
	# A store that ignored the signal would wait on the FIFO forever.
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL $pid 2>/dev/null && echo "# rootstrap ignored SIG$sig"
	wait $pid
	rc=$?
	check "$what: exit status $want ($rc)" test "$rc" = "$want"
	check "$what: the image is in place and whole" e2fsck -fn img
	check "$what: no cached image" test ! -e "$ROOTSTRAP_CACHE/$key.img"
	if [ $sig = INT ]; then
		has "rootstrap: interrupted; the image is complete, not stored in the image cache" err
		check "$what: no partial copy" \
		    test -z "$(ls -A "$ROOTSTRAP_CACHE" | grep rootstrap-)"
	else
		# The killed store's copy stays, unlocked: cache list removes it.
		check "$what: the partial copy was left" sh -c \
		    "ls -A '$ROOTSTRAP_CACHE' | grep -q '^\.$key\.img\.rootstrap-'"
		run_status 0 "$ROOTSTRAP" cache list
		has "left by a build that was killed"
		check "$what: cache list removed the partial copy" \
		    test -z "$(ls -A "$ROOTSTRAP_CACHE" | grep rootstrap-)"
	fi
	nothing_left .
	rm -f img "$ROOTSTRAP_CACHE/$key.info" log
done
# The next build stores, whatever the killed store left.
run_status 0 "$ROOTSTRAP" -o next.log img
has "stored in the image cache as" next.log
check "the cache holds the image and nothing partial" \
    test "$(ls -A "$ROOTSTRAP_CACHE")" = "$(printf '%s.img\n%s.info' "$key" "$key")"
rm -f img
unset ROOTSTRAP_CACHE
export ROOTSTRAP_CACHE=

# Two builds in one place: the second leaves the running first one's
# temporary image and run directory alone, and its own go.
"$ROOTSTRAP" -c module.conf -o first.log first >/dev/null 2>&1 &
first=$!
wait_for first.log "stage: module" || show first.log
run_status 0 "$ROOTSTRAP" -o second.log second
check "the second build made its image" e2fsck -fn second
check "the first build's temporary image is still there" \
    sh -c 'ls -A | grep -q "^\.first\.rootstrap-"'
check "the first build's run directory is still there" \
    test "$(ls -A "$TMPDIR" | wc -l)" = 1
hasnt "left by a build that was killed" second.log
kill -TERM $first
wait $first
check "the first build, stopped, left nothing" test -z "$(ls -A "$TMPDIR")"
nothing_left .
rm -f second

# The disk fills up under the image, in a private mount namespace: the
# guest's writes fail, and the build says why instead of shipping a
# damaged image. Then the next build there works.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	printf '#!/bin/sh\ndd if=/dev/zero of="$ROOTSTRAP_TARGET/fill" bs=1M count=48\n' \
	    >mods/filler
	chmod +x mods/filler
	mkdir full
	printf '[global]\nmodulepath=%s/mods\nmodules=mkfs mount filler umount\n' \
	    "$TEST_TMP" >full.conf
	unshare -m sh -c 'mount -t tmpfs -o size=24m none full && cd full &&
	    cp ../rootstrap.conf . &&
	    { "$0" -c ../full.conf -o ../full.log img >../full.out 2>&1;
	      echo $? >../full.rc; ls -A >../full.ls;
	      "$0" -o ../full-next.log img >/dev/null 2>&1; echo $? >../next.rc;
	      e2fsck -fn img >/dev/null 2>&1; echo $? >../next.fsck; }' \
	    "$ROOTSTRAP"
	check "disk full: exit status 1" test "$(cat full.rc)" = 1
	has "rootstrap: the guest could not write the image (I/O errors on /dev/ubda; see the transcript)" full.out
	has "rootstrap: $TEST_TMP/full: No space left on device: the image file could not grow (free some space, or build elsewhere)" full.out
	check "disk full: nothing left but the configuration" \
	    test "$(cat full.ls)" = rootstrap.conf
	check "disk full: the next build there works" test "$(cat next.rc)" = 0
	check "disk full: and its image is clean" test "$(cat next.fsck)" = 0
	nothing_left .

	# The image cache's disk fills: the image is built all the same, and
	# no partial copy stays in the cache.
	mkdir cache
	printf '#!/bin/sh\ndd if=/dev/urandom of="$ROOTSTRAP_TARGET/data" bs=1M count=8\n' \
	    >mods/data
	chmod +x mods/data
	printf '[global]\nmodulepath=mods\nmodules=mkfs mount data umount\n' \
	    >data.conf
	unshare -m sh -c 'mount -t tmpfs -o size=2m,mode=755 none cache &&
	    ROOTSTRAP_CACHE=$PWD/cache "$0" -c data.conf -o cache.log img \
	    >cache.out 2>&1; echo $? >cache.rc; ls -A cache >cache.ls' \
	    "$ROOTSTRAP"
	check "cache disk full: the build succeeds" test "$(cat cache.rc)" = 0
	has "not stored in the image cache:" cache.log
	has "No space left on device while copying" cache.log
	check "cache disk full: nothing partial in the cache" test ! -s cache.ls
	check "cache disk full: the image is whole" e2fsck -fn img
	rm -f img
else
	ok "# SKIP disk full: needs root for a private mount namespace"
fi

finish
