#!/bin/sh
# The shortcut stands in for "addgroup --system --quiet NAME" while a build
# configures its packages (udev's postinst makes four groups so): it answers
# those calls itself, leaving the same /etc/group, /etc/gshadow, their
# backups and /run/adduser as adduser's own run of groupadd, and hands every
# other call to the real addgroup.
#
# In the bookworm image, each call runs three times from the same files:
# through the real addgroup; through the shortcut; and through the shortcut
# with adduser not executable, where a call it hands on fails with 127.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"

# The build took the shadowing file away again: the image's
# /usr/local/sbin is as base-files made it, empty.
image_ls() {
	debugfs -R "ls -p $2" "$1" 2>/dev/null |
	    awk -F/ '$6 != "." && $6 != ".." && $6 != "" { print $6 }'
}
check "the build left nothing in /usr/local/sbin" \
    test -z "$(image_ls "$img" /usr/local/sbin)"
image_cat "$img" /etc/group >group
has_line "input:x:101:" group
has_line "render:x:104:" group

mkdir share
cp "$ROOTSTRAP_LIBEXECDIR/shortcut" share/shortcut
cat >share/guest.sh <<'EOF'
set -u
mkdir -p /tmp/sc /tmp/orig
ln -sf /mnt/share/shortcut /tmp/sc/addgroup
for f in group gshadow group- gshadow- adduser.conf nsswitch.conf; do
	cp -p /etc/$f /tmp/orig/$f
done
cp -p /usr/sbin/adduser /tmp/orig/adduser
n=0
reset() {
	for f in group gshadow group- gshadow- adduser.conf nsswitch.conf; do
		cp -p /tmp/orig/$f /etc/$f
	done
	cp -p /tmp/orig/adduser /usr/sbin/adduser
	rm -f /run/adduser
	sh -c "$1"
}
state() {	# the files a call may touch, and whether the lock file is there
	for f in group gshadow group- gshadow-; do
		echo "== $f"; cat /etc/$f
	done
	ls -l /run/adduser 2>&1 | cut -d' ' -f1,5
}
run() {	# HOW SETUP ARG...
	how=$1 setup=$2
	shift 2
	reset "$setup"
	# adduser there to be compared with, but not to be run.
	[ $how = alone ] && chmod a-x /usr/sbin/adduser
	case $how in
	real) /usr/sbin/addgroup "$@" ;;
	*) /tmp/sc/addgroup "$@" ;;
	esac >out.$how 2>err.$how
	echo $? >rc.$how
	state >fs.$how
}
case_() {	# fast|handed DESCRIPTION SETUP ARG...
	kind=$1 desc=$2 setup=$3
	shift 3
	n=$((n + 1))
	run real "$setup" "$@"
	run short "$setup" "$@"
	run alone "$setup" "$@"
	if [ "$(cat rc.real)" = "$(cat rc.short)" ] &&
	    cmp -s out.real out.short && cmp -s err.real err.short &&
	    cmp -s fs.real fs.short; then
		echo "PASS addgroup $* ($desc): same as adduser (status $(cat rc.real))"
	else
		echo "FAIL addgroup $* ($desc): real $(cat rc.real) [$(cat err.real)], shortcut $(cat rc.short) [$(cat err.short)]"
		diff fs.real fs.short | head -20
	fi
	if [ $kind = fast ]; then
		if [ "$(cat rc.alone)" = "$(cat rc.real)" ] && cmp -s fs.real fs.alone; then
			echo "PASS addgroup $* ($desc): answered by the shortcut"
		else
			echo "FAIL addgroup $* ($desc): needed adduser (status $(cat rc.alone))"
		fi
	else
		if [ "$(cat rc.alone)" = 127 ]; then
			echo "PASS addgroup $* ($desc): handed to adduser"
		else
			echo "FAIL addgroup $* ($desc): not handed on (status $(cat rc.alone))"
		fi
	fi
}
cd /tmp
fresh='sed -i "/^\(input\|sgx\|kvm\|render\|systemd-[a-z]*\):/d" /etc/group /etc/gshadow'
# udev's four calls on the files as they were before udev's postinst.
case_ fast "udev's first group" "$fresh" --quiet --system input
case_ fast "the order of the options" "$fresh; groupadd -g 101 input" --system -q sgx
case_ fast "a gap in the GIDs is filled" "$fresh; groupadd -g 101 a; groupadd -g 103 b" --quiet --system kvm
case_ fast "there already, a system group" : --quiet --system render
case_ fast "a name with _ and -" "$fresh" --quiet --system _foo-bar
case_ fast "a commented adduser.conf line" "echo '# FIRST_SYSTEM_GID=500' >>/etc/adduser.conf" --quiet --system newgrp
case_ handed "there already, not a system group" : --quiet --system staff
case_ handed "not quiet" "$fresh" --system input
case_ handed "not a system group" "$fresh" --quiet input
case_ handed "a GID asked for" "$fresh" --quiet --system --gid 555 input
case_ handed "adduser.conf moves the range" "echo FIRST_SYSTEM_GID=500 >>/etc/adduser.conf" --quiet --system newgrp
case_ handed "adduser.conf: a GID pool" "echo GID_POOL=/etc/pool >>/etc/adduser.conf" --quiet --system newgrp
case_ handed "a name adduser refuses" : --quiet --system Bad.Name
case_ handed "a name of digits" : --quiet --system 1234
case_ handed "groups not only from files" "sed -i 's/^group:.*/group: files systemd/' /etc/nsswitch.conf" --quiet --system newgrp
case_ handed "two names" : --quiet --system a b
case_ handed "another adduser than the one compared with" "$fresh; echo '# changed' >>/usr/sbin/adduser" --quiet --system input
echo "DONE $n"
EOF

"$ROOTSTRAP" run -S -t 900 -s "$TEST_TMP/share:/mnt/share" "$img" -- \
    sh /mnt/share/guest.sh >guest.out 2>&1
guest_cases guest.out 17

finish
