#!/bin/sh
# rootstrap import: a root tarball into a new image, written on the host
# with libext2fs, then the uml fix-ups in one short boot. A round trip
# image -> tar -> image -> tar is exact; a foreign tarball (mmdebstrap)
# boots to a console login; a tarball that escapes the image is refused.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
cp "$TEST_SRCDIR/../conf/rootstrap.conf" rootstrap.conf

"$ROOTSTRAP" export "$img" first.tar
run_status 0 "$ROOTSTRAP" import first.tar imported.img
has "rootstrap: module uml: ok"
check "e2fsck -fn finds the imported image clean" e2fsck -fn imported.img
"$ROOTSTRAP" export imported.img second.tar
check "image -> tar -> image -> tar gives the same archive, byte for byte" \
    cmp first.tar second.tar
run_status 0 "$ROOTSTRAP" run -S imported.img -- sh -c \
    'dpkg --audit && echo audit-clean; stat -c "%a %U" /usr/bin/passwd'
has_line "audit-clean"
has_line "4755 root"

# A tarball someone else made: mmdebstrap's, with an init and udev.
if command -v mmdebstrap >/dev/null; then
	mmdebstrap --quiet --variant=minbase --include=systemd-sysv,udev \
	    bookworm mm.tar.gz http://deb.debian.org/debian >mm.log 2>&1
	check "mmdebstrap made a tarball" test -s mm.tar.gz || show mm.log
	run_status 0 "$ROOTSTRAP" import -o import.log mm.tar.gz mm.img
	check "e2fsck -fn finds it clean" e2fsck -fn mm.img
	boot "$TEST_TMP/mm.img" \
	    'readlink /proc/$$/fd/2' \
	    'findmnt -no SOURCE /' \
	    'for i in $(seq 60); do hostname -I | grep -q . && break; sleep 1; done; hostname -I' \
	    'cat /etc/hostname'
	has_line "/dev/tty0"
	has_line "/dev/ubda"
	has "10.0.2.15"
	has_line "rootstrap"
else
	not_ok "mmdebstrap is not installed (apt-get install mmdebstrap)"
fi

# Names that would leave the image are refused, and nothing is left.
"$PYTHON3" - <<'PY'
import io, tarfile
with tarfile.open("evil.tar", "w") as t:
    i = tarfile.TarInfo("./etc/../../escape")
    i.size = 3
    t.addfile(i, io.BytesIO(b"bad"))
PY
fails_with 1 "rootstrap: import: evil.tar: './etc/../../escape' leaves the image" \
    "$ROOTSTRAP" import evil.tar evil.img
check "no image from a refused tarball" test ! -e evil.img
fails_with 2 "rootstrap: missing.tar: No such file or directory" \
    "$ROOTSTRAP" import missing.tar x.img
nothing_left .

finish
