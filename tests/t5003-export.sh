#!/bin/sh
# rootstrap export: the image's files as a tar stream, read without root
# or a mount; checked against what the booted image itself reports.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"

run_status 0 "$ROOTSTRAP" export "$img" image.tar.xz
check "the suffix chose xz" sh -c "xz -t image.tar.xz"
"$ROOTSTRAP" export "$img" - >image.tar
check "'-' writes a tar to stdout" tar tf image.tar ./etc/hostname
"$ROOTSTRAP" export "$img" - >again.tar
check "the same image gives the same archive" cmp image.tar again.tar

# What the guest sees, for every file outside the API mounts.
"$ROOTSTRAP" run -S "$img" -- find / -xdev -printf '%y %U %G %m %s %p -> %l\n' \
    >guest.list 2>guest.err
check "find ran in the guest" test -s guest.list
"$PYTHON3" - image.tar >tar.list <<'PY'
import sys, tarfile, stat
kind = {tarfile.REGTYPE: "f", tarfile.DIRTYPE: "d", tarfile.SYMTYPE: "l",
        tarfile.CHRTYPE: "c", tarfile.BLKTYPE: "b", tarfile.FIFOTYPE: "p"}
with tarfile.open(sys.argv[1]) as t:
    links = {}
    for m in t.getmembers():
        path = "/" + m.name[2:] if m.name != "." else "/"
        if m.islnk():
            m = links[m.linkname]   # a hard link has its first name's inode
        else:
            links[m.name] = m
        size = m.size if m.isreg() else 0
        print(kind[m.type], m.uid, m.gid, "%o" % stat.S_IMODE(m.mode), size,
              path, "->", m.linkname if m.issym() else "")
PY
# find prints sizes of directories and links; compare those as 0.
awk '{ if ($1 != "f") $5 = 0; print }' guest.list | sort >guest.sorted
sed -e 's/ $//' tar.list | awk '{ print }' | sort >tar.sorted
# The guest sees its own /dev, /proc, /sys and /run mounted over those.
grep -vE ' /(dev|proc|sys|run)( |/)' tar.sorted >tar.cmp
grep -vE ' /(dev|proc|sys|run)( |/)' guest.sorted | sed -e 's/ $//' >guest.cmp
if diff -u guest.cmp tar.cmp >diff.out; then
	ok "every file's type, owner, mode, size and link target match the guest ($(wc -l <tar.cmp) files)"
else
	not_ok "the archive differs from the guest's view"
	head -40 diff.out | sed 's/^/#   /'
fi

# Content, hard links, devices, setuid, extended attributes.
mkdir x
tar -C x -xf image.tar ./etc/hostname ./usr/bin/passwd 2>/dev/null
check "content comes through" test "$(cat x/etc/hostname)" = rootstrap
"$ROOTSTRAP" run -S "$img" -- sha256sum /usr/bin/passwd >sum.guest
check "a binary is byte for byte the guest's" \
    test "$(cut -d' ' -f1 sum.guest)" = "$(sha256sum x/usr/bin/passwd | cut -d' ' -f1)"
tar tvf image.tar >verbose 2>/dev/null
has "crw-rw-rw- 0/0             1,3" verbose
has "-rwsr-xr-x 0/0" verbose
has " link to ./usr/bin/" verbose

"$PYTHON3" - image.tar >acl.out <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    m = t.getmember("./var/log/journal")
    print(sorted(k for k in m.pax_headers if "xattr" in k))
PY
has "SCHILY.xattr.system.posix_acl_access" acl.out
has "SCHILY.xattr.system.posix_acl_default" acl.out

# A broken image: an error, and nothing at the output path.
head -c 1048576 /dev/zero >broken.img
fails_with 2 "rootstrap: broken.img: Bad magic number in super-block while opening the filesystem" \
    "$ROOTSTRAP" export broken.img out.tar
check "no output file" test ! -e out.tar
fails_with 2 "usage: rootstrap export image" "$ROOTSTRAP" export "$img"

finish
