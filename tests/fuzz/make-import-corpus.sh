#!/bin/sh
# make-import-corpus.sh DIR: the seeds of fuzz_import (tests/fuzz/corpus/
# import/), the same bytes every time: a small tarball with each kind of
# entry an import writes, a sparse member (GNU tar's pax sparse format),
# and a .tar.gz of 400 names in one directory (many blocks of it). Trailing zeros are cut: libarchive takes the end of the file
# for the end of the archive. (root-file.tar, beside them, is an input
# fuzz_import found: a file named "./", whose data went into the root
# directory's block; it stays as a seed.)
set -eu
out=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${PYTHON3:-python3}" - "$tmp" <<'PY'
import gzip, io, sys, tarfile
tmp = sys.argv[1]

def add(t, name, kind="f", data=b"", target="", pax=None):
    i = tarfile.TarInfo(name)
    i.mtime = 1700000000
    i.mode = 0o644
    if kind == "d":
        i.type, i.mode = tarfile.DIRTYPE, 0o755
    elif kind == "l":
        i.type, i.linkname, i.mode = tarfile.SYMTYPE, target, 0o777
    elif kind == "h":
        i.type, i.linkname = tarfile.LNKTYPE, target
    elif kind == "c":
        i.type, i.devmajor, i.devminor = tarfile.CHRTYPE, 1, 3
    elif kind == "p":
        i.type = tarfile.FIFOTYPE
    else:
        i.size = len(data)
    if pax:
        i.pax_headers = pax
    t.addfile(i, io.BytesIO(data) if kind == "f" else None)

def write(name, entries, gz=False):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            if callable(e):
                e(t)
            else:
                add(t, *e)
    d = b.getvalue().rstrip(b"\0")
    d += bytes(-len(d) % 512)
    if gz:
        d = gzip.compress(b.getvalue(), 9, mtime=0)
    open(tmp + "/" + name, "wb").write(d)

# GNU tar's pax sparse format 1.0, as tar --sparse writes it: the map
# ahead of the data, the real name and size in pax headers.
def sparse(t):
    chunks = [(4096, b"one"), (524288, b"two")]
    m = "%d\n" % len(chunks) + "".join("%d\n%d\n" % (o, len(c))
        for o, c in chunks)
    m = m.encode() + bytes(-len(m) % 512)
    data = m + b"".join(c for o, c in chunks)
    i = tarfile.TarInfo("GNUSparseFile.0/holes")
    i.mtime, i.mode, i.size = 1700000000, 0o644, len(data)
    i.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
        "GNU.sparse.name": "holes", "GNU.sparse.realsize": "1048576"}
    t.addfile(i, io.BytesIO(data))

write("kinds.tar", [
    ("etc", "d"),
    ("etc/shadow", "f", b"root:*:19000:0:99999:7:::\n"),
    ("etc/hosts", "f", b"127.0.0.1 localhost\n", "",
        {"SCHILY.xattr.user.x": "y"}),
    ("etc/hard", "h", b"", "etc/hosts"),
    ("etc/link", "l", b"", "hosts"),
    ("etc/far", "l", b"", "/" + "t" * 200),
    ("dev", "d"),
    ("dev/null", "c"),
    ("dev/fifo", "p"),
    ("usr/share/" + "n" * 200 + "/x", "f", b"x"),
])
write("many.tar.gz", [("d", "d")] +
    [("d/%03d" % k, "f") for k in range(400)], gz=True)
write("sparse.tar", [sparse])
PY
cp "$tmp/kinds.tar" "$tmp/many.tar.gz" "$tmp/sparse.tar" "$out/"
