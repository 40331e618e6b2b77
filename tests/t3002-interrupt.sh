#!/bin/sh
# SIGINT, SIGTERM and the timeout stop UML and leave nothing behind: no
# image, no temporary file, no run directory, no process.
. "$TEST_SRCDIR/libtest.sh"

mkdir mods
cat >mods/sleeper <<'MOD'
#!/bin/sh
echo "sleeper: sleeping"
exec sleep 600
MOD
chmod +x mods/sleeper
conf_fast mkfs mount sleeper umount >rootstrap.conf
echo "modulepath=mods" >>rootstrap.conf

for pair in INT:130 TERM:143; do
	sig=${pair%:*}
	want=${pair#*:}
	export TMPDIR=$TEST_TMP/tmp-$sig
	mkdir "$TMPDIR"
	"$ROOTSTRAP" -o $sig.log img >/dev/null 2>&1 &
	pid=$!
	if wait_for $sig.log "sleeper: sleeping"; then
		ok "the build reached the sleeping module"
	else
		not_ok "the build never reached the sleeping module"
		show $sig.log
	fi
	kill -$sig $pid
	wait $pid
	rc=$?
	if [ "$rc" = "$want" ]; then
		ok "SIG$sig: exit status $want"
	else
		not_ok "SIG$sig: exit status $rc, expected $want"
	fi
	check "SIG$sig: no image" test ! -e img
	check "SIG$sig: the run directory is gone" test -z "$(ls "$TMPDIR")"
	nothing_left .
	unset TMPDIR
done

# SIGKILL leaves rootstrap no chance to clean up; its watchdog still ends
# UML. (The temporary image stays: nothing can remove it then.)
export TMPDIR=$TEST_TMP/tmp-KILL
mkdir "$TMPDIR"
"$ROOTSTRAP" -o KILL.log img >/dev/null 2>&1 &
pid=$!
wait_for KILL.log "sleeper: sleeping" || show KILL.log
kill -KILL $pid
wait $pid
i=0
while pgrep -f "$TMPDIR" >/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if pgrep -f "$TMPDIR" >/dev/null; then
	not_ok "SIGKILL: UML processes outlived rootstrap"
	pgrep -af "$TMPDIR" | sed 's/^/#   /'
else
	ok "SIGKILL: no UML process outlived rootstrap"
fi
rm -f .img.rootstrap-*
unset TMPDIR

# A build that runs past its timeout is stopped and says so.
sed -i 's/^timeout=.*/timeout=5/' rootstrap.conf
# (auto: the cached kernel's path; both end in linux.uml)
fails_with 1 "linux.uml timed out after 5 s" "$ROOTSTRAP" img
check "it says UML timed out" grep -q '^rootstrap: UML: /.*linux.uml timed out after 5 s$' out
nothing_left .

finish
