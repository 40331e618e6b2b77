#!/bin/sh
# README.md's instance examples, extracted and run as written: the ssh
# server (sshd-conf, sshd-session: a real build with openssh-server, a key
# put in by exec, a login from the host through -p, exec checks, stop) and
# the shell-test pattern (instance-test: one instance, many execs, a trap
# that stops it), passing on the suite's image, failing on one whose
# hostname differs, and interrupted. The test chooses only the free port
# (PORT, which the session reads).
. "$TEST_SRCDIR/libtest.sh"

# No instance of ours is left: ls --json lists none.
no_instance() {
	rootstrap ls --json >ls.out 2>&1 && "$PYTHON3" -c 'import json, sys
sys.exit(json.load(open("ls.out")) != [])'
}

# rootstrap as installed: the shipped system file under the example's.
export ROOTSTRAP_SYSTEM_CONF=$TEST_SRCDIR/../conf/rootstrap.conf
mkdir bin
ln -s "$ROOTSTRAP" bin/rootstrap
PATH=$TEST_TMP/bin:$PATH
# Instances and their run directories in here, so nothing_left sees them.
export TMPDIR="$TEST_TMP" XDG_RUNTIME_DIR="$TEST_TMP/runtime"
mkdir -m 700 "$XDG_RUNTIME_DIR"
check "ssh and ssh-keygen are installed (.ci/run: openssh-client)" \
    sh -c 'command -v ssh && command -v ssh-keygen'

mkdir sshd && cd sshd || exit 1
check "README has the sshd-conf example" readme_example sshd-conf
readme_example sshd-conf >sshd.conf
check "README has the sshd-session example" readme_example sshd-session
readme_example sshd-session >session.sh
port=$(free_port)
PORT=$port sh -ex session.sh </dev/null >out 2>err
rc=$?
check "the ssh example runs as written, on port $port (status $rc)" \
    test "$rc" = 0
show err 15
has_line "sshbox" out
has_line "sshd is running." out
has_line "logged in over ssh" out
check "stop left no instance" no_instance
# Not stopped if the session failed half-way.
rootstrap stop sshbox >/dev/null 2>&1
check "the image is a clean filesystem" e2fsck -fn sshd.img
check "-S: the image has no /root/note" \
    sh -c '! debugfs -R "stat /root/note" sshd.img 2>&1 | grep -q Inode:'
check "the image has sshd" \
    sh -c 'debugfs -R "stat /usr/sbin/sshd" sshd.img 2>&1 | grep -q Inode:'
cd .. || exit 1

# The shell-test pattern: all six checks on the suite's image.
img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"
check "README has the instance-test example" readme_example instance-test
readme_example instance-test >t-image.sh
sh t-image.sh "$img" </dev/null >out 2>err
rc=$?
check "the test script passes on the suite's image (status $rc)" \
    test "$rc" = 0
show out 10
show err 10
check "six checks ok" test "$(grep -c '^ok [1-6] - ' out)" = 6
has_line "1..6" out
check "its trap stopped the instance" no_instance

# On the ssh image (hostname sshbox) the hostname check fails: its
# status reaches the script's output, the script fails, and the trap
# still stops the instance.
sh t-image.sh sshd/sshd.img </dev/null >out 2>err
rc=$?
check "the test script fails on another hostname (status $rc)" \
    test "$rc" = 1
show out 10
has_line "not ok 3 - has the configured hostname (exit status 1)" out
check "the other five are ok" test "$(grep -c '^ok ' out)" = 5
check "its trap stopped that instance too" no_instance

# SIGTERM to the script mid-check (each exec held 3 s by a wrapper, so the
# signal lands inside one): the check ends, the trap stops the instance,
# and the script exits 130.
mkdir slow
cat >slow/rootstrap <<SH
#!/bin/sh
[ "\$1" != exec ] || { echo exec >>"$TEST_TMP/in-exec"; sleep 3; }
exec "$ROOTSTRAP" "\$@"
SH
chmod +x slow/rootstrap
PATH=$TEST_TMP/slow:$PATH sh t-image.sh "$img" </dev/null >out 2>err &
script=$!
wait_for in-exec exec
kill -TERM $script
wait $script
rc=$?
check "SIGTERM to the test script: it exits 130 (got $rc)" test "$rc" = 130
show err 5
check "its trap stopped the instance on the way out" no_instance

# A port already taken stops start before the guest boots, naming it.
"$PYTHON3" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(60)' >taken &
holder=$!
wait_for taken ""
taken=$(cat taken)
rootstrap start -S -p "127.0.0.1:$taken:22" --name busy sshd/sshd.img \
    >out 2>&1
rc=$?
check "start on a taken port $taken: status 125 (got $rc)" test "$rc" = 125
has "$taken" out
kill $holder
wait $holder 2>/dev/null
check "and left no instance" no_instance

nothing_left .
# Whatever a failed check left running is stopped, not merely killed.
rootstrap ls --json 2>/dev/null | "$PYTHON3" -c 'import json, sys
for i in json.load(sys.stdin): print(i["name"])' 2>/dev/null |
while read -r name; do
	rootstrap stop "$name" >/dev/null 2>&1
done
finish
