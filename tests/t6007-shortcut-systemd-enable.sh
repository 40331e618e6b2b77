#!/bin/sh
# The shortcut answers "deb-systemd-helper enable UNIT" on a first install
# (six units of the shipped set are enabled so): the same systemctl preset
# runs and says the same, and the same state is recorded (UNIT.dsh-also and
# the enabled-state files) as by init-system-helpers' own perl; every other
# enable goes to the real helper.
#
# In the bookworm image, each call runs three times from the same state:
# through the real helper; through the shortcut with the real one at
# NAME.rootstrap-real; and through the shortcut with the real one there
# but not executable, where a call it hands on fails with 127.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"

mkdir share
cp "$ROOTSTRAP_LIBEXECDIR/shortcut" share/shortcut
cat >share/guest.sh <<'EOF'
set -u
dsh=/usr/bin/deb-systemd-helper
st=/var/lib/systemd/deb-systemd-helper-enabled
mkdir -p /tmp/sc /tmp/orig
ln -sf /mnt/share/shortcut /tmp/sc/deb-systemd-helper
# The state as before any unit was enabled: no links, no records, and
# not the mask the image's boot path puts on e2scrub_reap.
rm -rf /etc/systemd/system/*.wants /etc/systemd/system/*.requires $st \
    /etc/systemd/system/e2scrub_reap.service
cp -a /etc/systemd/system /tmp/orig/system
cp -p $dsh /tmp/orig/dsh
n=0
export DPKG_MAINTSCRIPT_PACKAGE=e2fsprogs DPKG_MAINTSCRIPT_NAME=postinst
unset DPKG_ROOT
reset() {
	rm -rf /etc/systemd/system $st
	cp -a /tmp/orig/system /etc/systemd/system
	cp -p /tmp/orig/dsh $dsh
	sh -c "$1"
}
state() {	# links, modes and the records' contents
	(cd / && find etc/systemd/system ${st#/} -printf '%y %m %p %l\n' 2>/dev/null | sort)
	for f in $st/*.dsh-also; do
		[ -f "$f" ] && { echo "== $f"; cat "$f"; }
	done
	ls -a $st 2>/dev/null | grep '^\.state' || true
}
run() {	# HOW SETUP ARG...
	how=$1 setup=$2
	shift 2
	reset "$setup"
	case $how in
	real) $dsh "$@" ;;
	*) /tmp/sc/deb-systemd-helper "$@" ;;
	esac >out.$how 2>err.$how
	echo $? >rc.$how
	state >fs.$how
}
norm() { sed -e 's/\.rootstrap-real//g' -e 's|/tmp/sc/|/usr/bin/|g' "$1"; }
case_() {	# fast|handed DESCRIPTION SETUP ARG...
	kind=$1 desc=$2 setup=$3
	shift 3
	n=$((n + 1))
	run real "$setup" "$@"
	cp -p $dsh $dsh.rootstrap-real
	run short "$setup" "$@"
	chmod a-x $dsh.rootstrap-real
	run alone "$setup" "$@"
	rm $dsh.rootstrap-real
	if [ "$(cat rc.real)" = "$(cat rc.short)" ] &&
	    [ "$(norm out.real)" = "$(norm out.short)" ] &&
	    [ "$(norm err.real)" = "$(norm err.short)" ] &&
	    cmp -s fs.real fs.short; then
		echo "PASS deb-systemd-helper $* ($desc): same as the real one (status $(cat rc.real))"
	else
		echo "FAIL deb-systemd-helper $* ($desc): real $(cat rc.real) [$(cat err.real)], shortcut $(cat rc.short) [$(cat err.short)]"
		diff fs.real fs.short | head -20
	fi
	if [ $kind = fast ]; then
		if [ "$(cat rc.alone)" = "$(cat rc.real)" ] && cmp -s fs.real fs.alone; then
			echo "PASS deb-systemd-helper $* ($desc): answered by the shortcut"
		else
			echo "FAIL deb-systemd-helper $* ($desc): needed the real one (status $(cat rc.alone))"
		fi
	elif [ "$(cat rc.alone)" = 127 ]; then
		echo "PASS deb-systemd-helper $* ($desc): handed to the real one"
	else
		echo "FAIL deb-systemd-helper $* ($desc): not handed on (status $(cat rc.alone))"
	fi
}
cd /tmp
u=/lib/systemd/system
# The shipped set's six, on a first install.
for unit in dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service \
    fstrim.timer apt-daily-upgrade.timer apt-daily.timer; do
	case_ fast "first install" : enable $unit
done
case_ fast "a second unit into the same .wants" "$dsh enable fstrim.timer" enable apt-daily.timer
case_ fast "a preset that disables it" "mkdir -p /etc/systemd/system-preset; echo 'disable fstrim.timer' >/etc/systemd/system-preset/10-x.preset" enable fstrim.timer
case_ fast "RequiredBy= and two WantedBy= values" "printf '[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target  getty.target\nRequiredBy=sysinit.target\n' >/etc/systemd/system/x.service" enable x.service
case_ fast "a masked unit: the preset fails" "ln -s /dev/null /etc/systemd/system/e2scrub_reap.service" enable e2scrub_reap.service
case_ fast "no [Install] section" "printf '[Service]\nExecStart=/bin/true\n' >/etc/systemd/system/y.service" enable y.service
case_ handed "enabled before: state recorded" "$dsh enable fstrim.timer" enable fstrim.timer
case_ handed "Also=" "printf '[Install]\nWantedBy=multi-user.target\nAlso=fstrim.timer\n' >/etc/systemd/system/x.service" enable x.service
case_ handed "Alias=" "printf '[Install]\nWantedBy=multi-user.target\nAlias=z.service\n' >/etc/systemd/system/x.service" enable x.service
case_ handed "a quoted value" "printf '[Install]\nWantedBy=\"multi-user.target\"\n' >/etc/systemd/system/x.service" enable x.service
case_ handed "a lower-case key" "printf '[Install]\nwantedby=multi-user.target\n' >/etc/systemd/system/x.service" enable x.service
case_ handed "a template" : enable getty@.service
case_ handed "no such unit" : enable nosuch.service
case_ handed "two units" : enable fstrim.timer apt-daily.timer
case_ handed "quiet" : --quiet enable fstrim.timer
case_ handed "user units" : --user enable fstrim.timer
case_ handed "another helper than the one compared with" "echo '# changed' >>$dsh" enable fstrim.timer
echo "DONE $n"
EOF

"$ROOTSTRAP" run -S -t 900 -s "$TEST_TMP/share:/mnt/share" "$img" -- \
    sh /mnt/share/guest.sh >guest.out 2>&1
guest_cases guest.out 22

finish
