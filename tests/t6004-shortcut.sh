#!/bin/sh
# The shortcut that stands in for dpkg-maintscript-helper,
# deb-systemd-helper and update-ca-certificates during a build answers
# every call exactly as the real helper does (exit status, stdout, stderr,
# the files it leaves), answers the first-install calls itself, and hands
# every other call to the real helper.
#
# In the bookworm image, each call runs three times: through the real
# helper; through the shortcut with the real one at NAME.rootstrap-real;
# and through the shortcut with no real one there, where a call it hands
# on fails with 127. The files a call may touch are laid out afresh each
# time.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
shortcut=$ROOTSTRAP_LIBEXECDIR/shortcut
# Static: it runs in any target, whatever its C library.
check "the shortcut has no program interpreter" sh -c \
    "! readelf -l '$shortcut' | grep -q 'program interpreter'"

mkdir share share/debs
cp "$shortcut" share/shortcut
# ca-certificates and what it needs beyond the image, from the suite's
# package cache (fetched there if missing).
printf '[global]\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n[debian]\ndist=bookworm\ninclude=ca-certificates\ncache=%s\n' \
    "$TEST_CACHE/bookworm" >fetch.conf
mkdir -p "$TEST_CACHE/bookworm"
"$ROOTSTRAP" fetch -p -c fetch.conf 2>fetch.err >fetch.list
for p in ca-certificates openssl libssl3; do
	awk -v p=$p '$1 == p { print $3 }' fetch.list | xargs -r -I{} cp {} share/debs/
done
check "ca-certificates and openssl fetched" sh -c \
    'ls share/debs/ca-certificates_*.deb share/debs/openssl_*.deb'
cat >share/guest.sh <<'EOF'
# CASE fast|handed NAME SETUP -- HELPER ARG...: SETUP is a shell snippet.
set -u
mkdir -p /tmp/sc
ln -sf /mnt/share/shortcut /tmp/sc/dpkg-maintscript-helper
ln -sf /mnt/share/shortcut /tmp/sc/deb-systemd-helper
n=0
# Only the real helper's name in its messages differs.
norm() { sed -e 's/\.rootstrap-real//g' -e 's|/tmp/sc/|/usr/bin/|g' "$1"; }
reset() {
	rm -rf /etc/old.conf /etc/old.conf.dpkg-backup /etc/old.conf.dpkg-remove \
	    /usr/share/doc/x /usr/share/doc/x.dpkg-backup \
	    /etc/systemd/system/foo.service \
	    /var/lib/systemd/deb-systemd-helper-masked
	sh -c "$1"
}
run() {	# HOW SETUP HELPER ARG...
	how=$1 setup=$2 tool=$3
	shift 3
	reset "$setup"
	touch /tmp/stamp
	sleep 0.01
	case $how in
	real) /usr/bin/$tool "$@" ;;
	*) /tmp/sc/$tool "$@" ;;
	esac >out.$how 2>err.$how
	echo $? >rc.$how
	find /etc /usr/share/doc /var/lib/systemd -newer /tmp/stamp \
	    2>/dev/null | sort >fs.$how
}
case_() {	# fast|handed DESCRIPTION SETUP HELPER ARG...
	kind=$1 desc=$2 setup=$3 tool=$4
	shift 4
	n=$((n + 1))
	cp -p /usr/bin/$tool /usr/bin/$tool.rootstrap-real
	run real "$setup" "$tool" "$@"
	run short "$setup" "$tool" "$@"
	rm /usr/bin/$tool.rootstrap-real
	run alone "$setup" "$tool" "$@"
	if [ "$(cat rc.real)" = "$(cat rc.short)" ] &&
	    [ "$(norm out.real)" = "$(norm out.short)" ] &&
	    [ "$(norm err.real)" = "$(norm err.short)" ] &&
	    cmp -s fs.real fs.short; then
		echo "PASS $tool $* ($desc): same as the real one (status $(cat rc.real))"
	else
		echo "FAIL $tool $* ($desc): real $(cat rc.real) [$(cat out.real)] [$(cat err.real)] [$(cat fs.real)]," \
		    "shortcut $(cat rc.short) [$(cat out.short)] [$(cat err.short)] [$(cat fs.short)]"
	fi
	if [ $kind = fast ] && [ "$(cat rc.alone)" = "$(cat rc.real)" ] &&
	    [ "$(norm err.alone)" = "$(norm err.real)" ]; then
		echo "PASS $tool $* ($desc): answered by the shortcut"
	elif [ $kind = handed ] && [ "$(cat rc.alone)" = 127 ] &&
	    grep -q "rootstrap-real: No such file" err.alone; then
		echo "PASS $tool $* ($desc): handed to the real one"
	else
		echo "FAIL $tool $* ($desc): expected $kind, alone gave $(cat rc.alone) [$(cat err.alone)]"
	fi
}
cd /tmp
export DPKG_MAINTSCRIPT_PACKAGE=base-files DPKG_MAINTSCRIPT_ARCH=amd64
unset DPKG_ROOT DPKG_DEBUG

export DPKG_MAINTSCRIPT_NAME=preinst
case_ fast "supports" : dpkg-maintscript-helper supports rm_conffile
case_ fast "supports" : dpkg-maintscript-helper supports dir_to_symlink
case_ fast "first install" : dpkg-maintscript-helper rm_conffile /etc/old.conf 1.2-1 -- install
case_ fast "first install, conffile there" 'echo x >/etc/old.conf' \
    dpkg-maintscript-helper rm_conffile /etc/old.conf 1.2-1 -- install
case_ fast "first install" : dpkg-maintscript-helper mv_conffile /etc/old.conf /etc/new.conf 1:2.0~rc1+b1 base-files -- install
case_ fast "first install" : dpkg-maintscript-helper dir_to_symlink /usr/share/doc/x y 1.0 -- install
case_ fast "first install" : dpkg-maintscript-helper symlink_to_dir /usr/share/doc/x ../y -- install
case_ handed "upgrade" 'echo x >/etc/old.conf' \
    dpkg-maintscript-helper rm_conffile /etc/old.conf 1.2-1 -- upgrade 1.0-1
case_ handed "relative path" : dpkg-maintscript-helper rm_conffile etc/old.conf -- install
case_ handed "bad version" : dpkg-maintscript-helper rm_conffile /etc/old.conf 'a b' -- install
case_ handed "version with a letter first" : dpkg-maintscript-helper rm_conffile /etc/old.conf x1 -- install
case_ handed "no --" : dpkg-maintscript-helper rm_conffile /etc/old.conf 1.0
case_ handed "no script arguments" : dpkg-maintscript-helper rm_conffile /etc/old.conf 1.0 --
case_ handed "unknown command" : dpkg-maintscript-helper supports frobnicate
case_ handed "unknown command" : dpkg-maintscript-helper frobnicate /x -- install
case_ handed "version" : dpkg-maintscript-helper --version
case_ handed "no command" : dpkg-maintscript-helper
case_ handed "interrupted upgrade" 'echo x >/etc/old.conf.dpkg-remove' \
    dpkg-maintscript-helper rm_conffile /etc/old.conf -- install

export DPKG_MAINTSCRIPT_NAME=postinst
case_ fast "first configure" : dpkg-maintscript-helper rm_conffile /etc/old.conf 1.2-1 -- configure ''
case_ fast "first configure" : dpkg-maintscript-helper rm_conffile /etc/old.conf -- configure
case_ fast "first configure" : dpkg-maintscript-helper symlink_to_dir /usr/share/doc/x ../y 1.0 -- configure ''
case_ handed "backup left" 'mkdir -p /usr/share/doc; ln -s ../y /usr/share/doc/x.dpkg-backup' \
    dpkg-maintscript-helper symlink_to_dir /usr/share/doc/x ../y 1.0 -- configure ''
case_ handed "reconfigure" 'echo x >/etc/old.conf.dpkg-remove' \
    dpkg-maintscript-helper rm_conffile /etc/old.conf 1.2-1 -- configure 1.0-1
export DPKG_MAINTSCRIPT_NAME=postrm
case_ handed "purge" 'echo x >/etc/old.conf.dpkg-backup' \
    dpkg-maintscript-helper rm_conffile /etc/old.conf -- purge
export DPKG_MAINTSCRIPT_NAME=postinst
export DPKG_DEBUG=1
case_ handed "debugging" : dpkg-maintscript-helper supports rm_conffile
unset DPKG_DEBUG
unset DPKG_MAINTSCRIPT_NAME
case_ handed "outside a maintainer script" : dpkg-maintscript-helper supports rm_conffile

export DPKG_MAINTSCRIPT_NAME=postinst
case_ fast "not masked" : deb-systemd-helper unmask foo.service
case_ fast "no state" : deb-systemd-helper --quiet was-enabled foo.service
case_ fast "no state, said" : deb-systemd-helper was-enabled foo.service bar.timer
case_ handed "state recorded" : deb-systemd-helper --quiet was-enabled e2scrub_all.timer
case_ handed "masked by the helper" \
    'ln -s /dev/null /etc/systemd/system/foo.service; mkdir -p /var/lib/systemd/deb-systemd-helper-masked; touch /var/lib/systemd/deb-systemd-helper-masked/foo.service' \
    deb-systemd-helper unmask foo.service
case_ handed "masked by the admin" 'ln -s /dev/null /etc/systemd/system/foo.service' \
    deb-systemd-helper unmask foo.service
case_ handed "debian-installed" : deb-systemd-helper debian-installed e2scrub_all.timer
case_ handed "user instance" : deb-systemd-helper --user unmask foo.service
case_ handed "no unit" : deb-systemd-helper unmask
case_ handed "no action" : deb-systemd-helper
unset DPKG_MAINTSCRIPT_PACKAGE
case_ handed "outside a maintainer script" : deb-systemd-helper unmask foo.service

# update-ca-certificates: unpacked, not configured (its postinst would run
# the real one over every certificate); each case runs it three times as
# above, and the shortcut's run is counted in processes.
dpkg --unpack /mnt/share/debs/*.deb >/dev/null 2>&1 ||
    echo "FAIL dpkg --unpack of ca-certificates"
ln -sf /mnt/share/shortcut /tmp/sc/update-ca-certificates
ucc=/usr/sbin/update-ca-certificates
certs_state() {	# names, link targets, contents and modes in /etc/ssl/certs
	(cd /etc/ssl/certs && ls -A | LC_ALL=C sort | while IFS= read -r f; do
		if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"
		else echo "$f $(sha256sum <"$f" | cut -c1-16) $(stat -c %a "$f")"
		fi
	done)
	ls /tmp | grep -c '^ca-certificates\.tmp' | sed 's/^/temporary files: /'
}
ucc_run() {	# HOW SETUP ARG...
	how=$1
	rm -rf /etc/ssl/certs /etc/ca-certificates.conf /usr/local/share/ca-certificates \
	    /etc/ca-certificates/update.d
	mkdir -p /etc/ssl/certs /etc/ca-certificates/update.d /usr/local/share/ca-certificates
	sh -c "$2"
	shift 2
	before=$(cut -d' ' -f5 /proc/loadavg)
	case $how in
	real) $ucc "$@" ;;
	*) /tmp/sc/update-ca-certificates "$@" ;;
	esac >out.$how 2>err.$how
	echo $? >rc.$how
	after=$(cut -d' ' -f5 /proc/loadavg)
	echo $((after - before)) >procs.$how
	certs_state >fs.$how
}
ucc_case() {	# fast|handed DESCRIPTION SETUP ARG...
	kind=$1 desc=$2 setup=$3
	shift 3
	n=$((n + 1))
	ucc_run real "$setup" "$@"
	cp -p $ucc $ucc.rootstrap-real
	ucc_run short "$setup" "$@"
	rm $ucc.rootstrap-real
	if [ "$(cat rc.real)" = "$(cat rc.short)" ] &&
	    [ "$(norm out.real)" = "$(norm out.short)" ] &&
	    [ "$(norm err.real)" = "$(norm err.short)" ] &&
	    cmp -s fs.real fs.short; then
		echo "PASS update-ca-certificates $* ($desc): same as the real one (status $(cat rc.real), $(grep -c . fs.real) entries)"
	else
		echo "FAIL update-ca-certificates $* ($desc): real $(cat rc.real) [$(cat out.real)] [$(cat err.real)], shortcut $(cat rc.short) [$(cat out.short)] [$(cat err.short)]"
		diff fs.real fs.short | head -20 | sed 's/^/  /'
	fi
	# The real one runs at least a process per certificate.
	if [ $kind = fast ] && [ "$(cat procs.short)" -le 4 ]; then
		echo "PASS update-ca-certificates $* ($desc): answered by the shortcut ($(cat procs.short) processes, the real one $(cat procs.real))"
	elif [ $kind = handed ] && [ "$(cat procs.short)" -gt 4 ]; then
		echo "PASS update-ca-certificates $* ($desc): handed to the real one"
	else
		echo "FAIL update-ca-certificates $* ($desc): expected $kind, the shortcut's run took $(cat procs.short) processes"
	fi
}
some='printf "# a comment, not read\nmozilla/ISRG_Root_X1.crt\nmozilla/GTS_Root_R1.crt\n!mozilla/Amazon_Root_CA_1.crt\n\nmozilla/NetLock_Arany_=Class_Gold=_F\305\221tan\303\272s\303\255tv\303\241ny.crt\nmozilla/Entrust_Root_Certification_Authority_-_EC1.crt\n" >/etc/ca-certificates.conf'
all='(cd /usr/share/ca-certificates && find . -name "*.crt" | sed "s|^\./||" | LC_ALL=C sort) >/etc/ca-certificates.conf'
stale='ln -s /usr/share/ca-certificates/mozilla/Gone.crt /etc/ssl/certs/Gone.pem; ln -s /usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt /etc/ssl/certs/Amazon_Root_CA_1.pem; ln -s /nowhere /etc/ssl/certs/dangling.pem; ln -s /etc/hostname /etc/ssl/certs/foreign.pem; echo local >/etc/ssl/certs/local.pem; echo old >/etc/ssl/certs/ca-certificates.crt'
ucc_case fast "postinst, first install: every certificate" "$all" --hooksdir "" --fresh
ucc_case fast "its trigger, nothing changed" "$all; $ucc >/dev/null 2>&1"
ucc_case fast "a few, one disabled" "$some" --fresh
ucc_case fast "stale, dangling and foreign links" "$some; $stale" --fresh
ucc_case fast "stale links, not fresh" "$some; $stale"
ucc_case fast "a listed certificate missing" "$some; echo mozilla/No_Such_CA.crt >>/etc/ca-certificates.conf" -f
ucc_case fast "an empty configuration" ": >/etc/ca-certificates.conf"
ucc_case handed "no configuration" :
ucc_case fast "no hooks directory" "$some; rmdir /etc/ca-certificates/update.d"
ucc_case handed "a hook" "$some; printf '#!/bin/sh\\ncat >/dev/null\\n' >/etc/ca-certificates/update.d/h; chmod +x /etc/ca-certificates/update.d/h"
ucc_case handed "a local certificate" "$some; cp /usr/share/ca-certificates/mozilla/GTS_Root_R1.crt /usr/local/share/ca-certificates/mine.crt" --fresh
ucc_case handed "a bundle left half-written" "$some; echo x >/etc/ssl/certs/ca-certificates.crt.new"
ucc_case handed "a backslash in the configuration" "$some; echo 'mozilla/A\\B.crt' >>/etc/ca-certificates.conf"
ucc_case handed "an unterminated last line" "$some; printf mozilla/GTS_Root_R2.crt >>/etc/ca-certificates.conf"
ucc_case handed "a blank in a name in /etc/ssl/certs" "$some; touch '/etc/ssl/certs/a b.pem'" --fresh
ucc_case handed "verbose" "$some" --verbose
# Another script than the ones it was compared with: the real one runs.
cp $ucc /tmp/ucc.orig
echo '# changed' >>$ucc
ucc_case handed "a script it does not know" "$some" --fresh
cp /tmp/ucc.orig $ucc
echo "DONE $n"
EOF

"$ROOTSTRAP" run -S -t 900 -s "$TEST_TMP/share:/mnt/share" "$img" -- \
    sh /mnt/share/guest.sh >guest.out 2>&1
guest_cases guest.out

# Unknown names are refused rather than guessed at.
fails_with 2 "shortcut: stands in for dpkg-maintscript-helper, deb-systemd-helper, update-ca-certificates and addgroup during a rootstrap build" \
    "$shortcut"

finish
