#!/bin/sh
# An instance is its starter's alone. Another user's exec, stop and ls
# find nothing in their own registry and are refused the starter's
# (XDG_RUNTIME_DIR passed explicitly); the run directory (0700) keeps
# them from the control socket, and with it loosened the supervisor's
# peer check (SO_PEERCRED) still refuses them. The instance runs on.
. "$TEST_SRCDIR/libtest.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root, to act as another user"
img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
export TMPDIR="$TEST_TMP/tmp" XDG_RUNTIME_DIR="$TEST_TMP/runtime"
mkdir -m 700 "$TMPDIR" "$XDG_RUNTIME_DIR"
mkdir -m 700 other other/runtime
chown -R nobody:nogroup other
# as_other XDG_RUNTIME_DIR COMMAND...: run as nobody, its own HOME.
as_other() {
	xdg=$1
	shift
	setpriv --reuid=nobody --regid=nogroup --clear-groups env \
	    HOME="$TEST_TMP/other" TMPDIR="$TEST_TMP/other" \
	    XDG_RUNTIME_DIR="$xdg" "$@"
}

"$ROOTSTRAP" start -S --name mine "$img" >out 2>&1
check "start -S --name mine: status 0" test $? = 0
show out
"$ROOTSTRAP" ls --json >ls.json
dir=$("$PYTHON3" -c 'import json; print(json.load(open("ls.json"))[0]["dir"])')
check "its run directory is 0700" test "$(stat -c %a "$dir")" = 700

# In their own registry: nothing of ours.
mine=$TEST_TMP/other/runtime
fails_with 125 "rootstrap: no instance named mine is running (rootstrap ls lists those that are)" \
    as_other "$mine" "$ROOTSTRAP" exec mine -- true
fails_with 1 "rootstrap: stop: no instance named mine is running (rootstrap ls lists those that are)" \
    as_other "$mine" "$ROOTSTRAP" stop mine
as_other "$mine" "$ROOTSTRAP" ls --json >out 2>&1
check "their ls --json: none" test "$(tr -d ' \n' <out)" = "[]"

# Given our XDG_RUNTIME_DIR: refused, as it is not theirs.
fails_with 125 "rootstrap: $XDG_RUNTIME_DIR/rootstrap: Permission denied" \
    as_other "$XDG_RUNTIME_DIR" "$ROOTSTRAP" exec mine -- true
fails_with 1 "rootstrap: stop: $XDG_RUNTIME_DIR/rootstrap: Permission denied" \
    as_other "$XDG_RUNTIME_DIR" "$ROOTSTRAP" stop mine
run_status 1 as_other "$XDG_RUNTIME_DIR" "$ROOTSTRAP" ls
has "rootstrap: $XDG_RUNTIME_DIR/rootstrap: Permission denied"

# The control socket itself: first the directory keeps them out; then,
# the directory and the socket opened to all, the peer check does.
cat >connect.py <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect:", e.strerror)
    sys.exit(0)
# An OPEN frame, as exec sends: refused with an ERROR frame, then closed.
s.sendall(b"O\0\0\0\0")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
if data[:1] == b"E":
    print("refused:", data[5:].decode())
else:
    print("answered:", data)
EOF
chmod 755 "$TEST_TMP" "$TMPDIR"
# The system's python3: the suite's own may sit where nobody cannot go
# (a pyenv shim in root's home).
py_other=/usr/bin/python3
as_other "$mine" "$py_other" connect.py "$dir/control" >out 2>&1
has "connect: Permission denied"
chmod 755 "$dir"
chmod 777 "$dir/control"
as_other "$mine" "$py_other" connect.py "$dir/control" >out 2>&1
show out
has "refused: instance mine belongs to uid 0, not to uid 65534"
chmod 700 "$dir" "$TMPDIR"
chmod 700 "$dir/control"

check "the instance runs on, and answers us" \
    test "$("$ROOTSTRAP" exec mine -- echo still)" = still
"$ROOTSTRAP" stop mine >out 2>&1
check "stop mine: status 0" test $? = 0
nothing_left .
finish
