#!/bin/sh
# The host-side unpacker (debian method=host) on a handful of real .debs,
# without UML: what lands in the image (owners, modes, setuid bits,
# symlinks, hard links, device nodes, merged /usr) and dpkg's database as
# "dpkg --unpack" leaves it (info files, .list, status, conffiles, trigger
# interests), read back with debugfs, rootstrap export and the host's dpkg.
. "$TEST_SRCDIR/libtest.sh"

unpack=$TEST_BUILDDIR/unpack-debs
pkgs="passwd login perl-base zlib1g debianutils libc-bin"
debs=$TEST_CACHE/t6002
mkdir -p "$debs"
for p in $pkgs; do
	ls "$debs/${p}"_*.deb >/dev/null 2>&1 ||
	    (cd "$debs" && apt-get download -q "$p" >/dev/null 2>&1) ||
	    cp "$TEST_CACHE/bookworm/${p}"_*.deb "$debs/" 2>/dev/null ||
	    skip_all "no .deb of $p (apt-get download failed, no cache)"
done
set -- "$debs"/*.deb
ndebs=$#

truncate -s 256M img
mke2fs -q -F -t ext4 img
run_status 0 "$unpack" img http://deb.debian.org/debian bookworm "$@"
has "unpacked $ndebs packages"
check "e2fsck -fn finds the image clean" e2fsck -fn img
"$ROOTSTRAP" export img all.tar
tar -tvf all.tar >list 2>/dev/null

# Merged /usr: the top directories are links, their files under /usr.
check "/bin is a link to usr/bin" sh -c "grep -q '^l.* \./bin -> usr/bin\$' list"
check "/sbin is a link to usr/sbin" sh -c "grep -q '^l.* \./sbin -> usr/sbin\$' list"
check "login's /bin/login landed in /usr/bin" sh -c "grep -q '^-rwxr-xr-x 0/0 .* \./usr/bin/login\$' list"
hasnt " ./bin/login" list

# Owners and modes as the packages have them.
check "passwd is setuid root" sh -c "grep -q '^-rwsr-xr-x 0/0 .* \./usr/bin/passwd\$' list"
check "chage is setgid shadow (42)" sh -c "grep -q '^-rwxr-sr-x 0/42 .* \./usr/bin/chage\$' list"
check "perl5.36.0 is a hard link to perl" sh -c "grep -q '^h.* \./usr/bin/perl5.36.0 link to \./usr/bin/perl\$' list"
check "libz's symlink is there" sh -c "grep -q '^l.* \./usr/lib/x86_64-linux-gnu/libz.so.1 -> libz.so.1' list"

# debootstrap's device nodes and /dev links.
check "/dev/null is char 1,3 mode 666" sh -c "grep -q '^crw-rw-rw- 0/0 *1,3 .* \./dev/null\$' list"
check "/dev/console is char 5,1" sh -c "grep -q '^crw-rw-rw- 0/0 *5,1 .* \./dev/console\$' list"
check "/dev/fd links to /proc/self/fd" sh -c "grep -q '^l.* \./dev/fd -> /proc/self/fd\$' list"

# Conffiles wait as NAME.dpkg-new for dpkg --configure.
has " ./etc/login.defs.dpkg-new" list
hasnt " ./etc/login.defs\$" list
check "login.defs itself is not there" sh -c "! grep -q ' \./etc/login.defs\$' list"

# dpkg's database.
mkdir x
tar -C x -xf all.tar ./var/lib/dpkg ./etc/apt 2>/dev/null
info=x/var/lib/dpkg/info
check "the Multi-Arch: same package's files carry the arch" test -f "$info/zlib1g:amd64.list"
check "a plain package's do not" test -f "$info/passwd.list"
check "preinst kept, executable" test -x "$info/passwd.preinst"
check "md5sums kept" test -s "$info/passwd.md5sums"
check "conffiles kept" grep -qx /etc/login.defs "$info/login.conffiles"
check "no control file among the info files" test ! -e "$info/passwd.control"
check "the .list starts with /." test "$(head -1 "$info/passwd.list")" = /.
has_line "/usr/bin/passwd" "$info/passwd.list"
has_line "/bin/login" "$info/login.list"
has_line "/usr/bin/perl5.36.0" "$info/perl-base.list"
check "the .list has as many lines as data.tar has entries" test \
    "$(wc -l <"$info/passwd.list")" = \
    "$(dpkg-deb --fsys-tarfile "$debs"/passwd_*.deb | tar -t | wc -l)"
status=x/var/lib/dpkg/status
check "every package is in the status file, unpacked" test \
    "$(grep -c '^Status: install ok unpacked$' "$status")" = "$ndebs"
has_line " /etc/login.defs newconffile" "$status"
dpkg-query --admindir=x/var/lib/dpkg -W -f '${Package} ${db:Status-Abbrev}\n' >q 2>&1
has_line "login iU " q
has_line "zlib1g iU " q
dpkg --admindir=x/var/lib/dpkg --audit >audit 2>&1
has "The following packages have been unpacked but not yet configured" audit
has_line "/usr/share/debianutils/shells.d debianutils/noawait" x/var/lib/dpkg/triggers/File
has_line "libc-bin" x/var/lib/dpkg/triggers/ldconfig
has_line "apt apt" x/var/lib/dpkg/cmethopt
has_line "deb http://deb.debian.org/debian bookworm main" x/etc/apt/sources.list

# A package whose data.tar would leave the image is refused.
"$PYTHON3" - <<'PY'
import io, tarfile
def tar(entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        for name, data in entries:
            i = tarfile.TarInfo(name)
            i.size = len(data)
            t.addfile(i, io.BytesIO(data))
    return b.getvalue()
def ar(members):
    out = b"!<arch>\n"
    for name, data in members:
        out += b"%-16s%-12d%-6d%-6d%-8s%-10d`\n" % (name.encode(), 0, 0, 0,
            b"100644", len(data))
        out += data + (b"\n" if len(data) % 2 else b"")
    return out
control = b"Package: evil\nVersion: 1\nArchitecture: all\n"
with open("evil.deb", "wb") as f:
    f.write(ar([("debian-binary", b"2.0\n"),
        ("control.tar", tar([("./control", control)])),
        ("data.tar", tar([("./etc/../../escape", b"bad")]))]))
with open("nodata.deb", "wb") as f:
    f.write(ar([("debian-binary", b"2.0\n"),
        ("control.tar", tar([("./control", control)]))]))
PY
truncate -s 64M bad.img
mke2fs -q -F -t ext4 bad.img
fails_with 1 "unpack-debs: evil.deb: 'etc/../../escape' leaves the image" \
    "$unpack" bad.img http://deb.debian.org/debian bookworm evil.deb
fails_with 1 "nodata.deb: not a Debian package (no data.tar)" \
    "$unpack" bad.img http://deb.debian.org/debian bookworm nodata.deb
echo "not a deb" >junk.deb
fails_with 1 "junk.deb: " \
    "$unpack" bad.img http://deb.debian.org/debian bookworm junk.deb

# [debian] method: checked before anything runs; with method=host the
# host makes the filesystem, so the guest's mkfs leaves the plan.
cp "$TEST_SRCDIR/../conf/rootstrap.conf" rootstrap.conf
printf '[debian]\nmethod=bogus\n' >bogus.conf
fails_with 2 "bogus.conf:2: method: invalid value 'bogus' (one of host|debootstrap)" \
    "$ROOTSTRAP" -c bogus.conf x.img
printf '[debian]\nmethod=host\n' >host.conf
check "nothing made" test ! -e x.img
run_status 0 "$ROOTSTRAP" -n -c host.conf x.img
has "module debian: (stock)"
hasnt "module mkfs:"

finish
