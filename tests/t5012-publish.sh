#!/bin/sh
# rootstrap run -p and boot -p: a host port forwarded to a service in the
# guest (TCP and UDP) by the user-mode network, bound to 127.0.0.1 unless
# an address is given; a port already taken is an error before the boot.
. "$TEST_SRCDIR/libtest.sh"

img=$TEST_IMAGES/bookworm.img
[ -f "$img" ] || echo "# $img missing: t7001 failed"

free_port() {
	"$PYTHON3" -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ask PROTO ADDR PORT: send "hello" until the guest answers; print it.
ask() {
	"$PYTHON3" - "$@" <<'PY'
import socket, sys, time
proto, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(1200):
    try:
        if proto == "udp":
            c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            c.settimeout(0.5)
            c.sendto(b"hello\n", (addr, port))
            d = c.recv(100)
        else:
            c = socket.create_connection((addr, port), timeout=5)
            c.sendall(b"hello\n")
            d = c.recv(100)
        if d:
            sys.stdout.write(d.decode())
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
PY
}

# A TCP service in the guest (perl-base is in every image), one answer.
tcp_server='use IO::Socket::INET;
$s = IO::Socket::INET->new(LocalPort => 7000, Listen => 1, ReuseAddr => 1)
    or die "listen: $!";
$c = $s->accept; $l = <$c>; print $c "guest got $l"; close $c;
print "served\n";'
udp_server='use IO::Socket::INET;
$s = IO::Socket::INET->new(LocalPort => 7001, Proto => "udp") or die "$!";
$s->recv($l, 100); $s->send("guest got $l"); print "served\n";'

P=$(free_port)
"$ROOTSTRAP" run -S -t 300 -p "$P:7000" "$img" -- perl -e "$tcp_server" \
    >server.out 2>&1 &
run=$!
ask tcp 127.0.0.1 "$P" >answer
check "a TCP connection to 127.0.0.1:$P reaches the guest's port 7000" \
    test "$(cat answer)" = "guest got hello"
wait $run
check "the run ends with the command's status (0: $?)" test $? = 0
has_line served server.out

# Bound to 127.0.0.1 unless an address is given.
P=$(free_port)
"$ROOTSTRAP" run -S -t 300 -p "$P:7000" "$img" -- perl -e "$tcp_server" \
    >server.out 2>&1 &
run=$!
for i in $(seq 300); do
	ss -Hltn "sport = :$P" >listen
	[ -s listen ] && break
	sleep 0.1
done
check "only 127.0.0.1 listens on port $P" \
    test "$(awk '{ print $4 }' listen)" = "127.0.0.1:$P"
ask tcp 127.0.0.1 "$P" >/dev/null
wait $run

P=$(free_port)
"$ROOTSTRAP" run -S -t 300 -p "127.0.0.2:$P:7000" "$img" -- \
    perl -e "$tcp_server" >server.out 2>&1 &
run=$!
ask tcp 127.0.0.2 "$P" >answer
check "-p 127.0.0.2:$P:7000 listens on 127.0.0.2" \
    test "$(cat answer)" = "guest got hello"
wait $run

# UDP.
P=$(free_port)
"$ROOTSTRAP" run -S -t 300 -p "$P:7001/udp" "$img" -- \
    perl -e "$udp_server" >server.out 2>&1 &
run=$!
ask udp 127.0.0.1 "$P" >answer
check "a UDP datagram to port $P/udp reaches the guest's 7001 and back" \
    test "$(cat answer)" = "guest got hello"
wait $run

# A port already taken: an error naming it, before any guest boots.
"$PYTHON3" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(600)' >taken &
holder=$!
for i in $(seq 100); do [ -s taken ] && break; sleep 0.1; done
P=$(cat taken)
fails_with 125 "rootstrap: run: --publish $P:80: cannot listen on 127.0.0.1 port $P/tcp: Address already in use" \
    "$ROOTSTRAP" run -S -p "$P:80" "$img" -- true
fails_with 1 "rootstrap: boot: --publish $P:80: cannot listen on 127.0.0.1 port $P/tcp: Address already in use" \
    "$ROOTSTRAP" boot -p "$P:80" ubd0=nonexistent.img
kill $holder

# Usage errors.
fails_with 2 "rootstrap: --publish 1.2.3:8080:80: invalid IPv4 address '1.2.3'" \
    "$ROOTSTRAP" run -p 1.2.3:8080:80 "$img" true
fails_with 2 "rootstrap: --publish 8080:80/sctp: 'sctp' is neither tcp nor udp" \
    "$ROOTSTRAP" run -p 8080:80/sctp "$img" true
fails_with 2 "rootstrap: --publish 8080:0: invalid guest port '0'" \
    "$ROOTSTRAP" run -p 8080:0 "$img" true
fails_with 2 "rootstrap: --publish 8080: not [ADDR:]HOSTPORT:GUESTPORT[/udp]" \
    "$ROOTSTRAP" boot -p 8080 ubd0=x
fails_with 2 "rootstrap: --publish: ports are forwarded by the user-mode network alone, not -N none" \
    "$ROOTSTRAP" run -N none -p 8080:80 "$img" true

nothing_left .
finish
