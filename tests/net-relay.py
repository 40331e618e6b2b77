#!/usr/bin/python3
"""An HTTP proxy for a network namespace that cannot reach the mirror.

Why this exists: the tuntap tests run UML in a namespace of their own,
whose only way out is a veth to a second namespace.  Two halves of this
script carry the guest's proxy connections from there to deb.debian.org,
the one remote host the tests may reach, or to a proxy on the host's
loopback (apt-cacher-ng), and to nothing else:

  net-relay.py host UNIXSOCKET [HOST PORT]
      in the host's namespace: every connection accepted on UNIXSOCKET is
      joined to a new TCP connection to HOST:PORT, by default
      deb.debian.org:80.
  net-relay.py proxy ADDR PORT UNIXSOCKET LOG
      in the second namespace: every TCP connection to ADDR:PORT is joined
      to a new connection to UNIXSOCKET, and each request line that passes
      ("GET http://deb.debian.org/...") is appended to LOG.

A client uses it as http_proxy=http://ADDR:PORT/; the mirror accepts the
absolute-form request lines a proxy receives, and a proxy at HOST:PORT
serves them.  Both halves run until
killed.
"""

import socket, sys, threading

MIRROR = ("deb.debian.org", 80)


def pump(src, dst, log=None):
    """Copy src to dst until EOF; log request lines on the way."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if log is not None:
                for line in data.split(b"\r\n"):
                    if line.startswith((b"GET ", b"HEAD ")):
                        with open(log, "ab") as f:
                            f.write(line + b"\n")
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def join(a, b, log=None):
    threading.Thread(target=pump, args=(a, b, log), daemon=True).start()
    threading.Thread(target=pump, args=(b, a), daemon=True).start()


def serve(listener, connect, log=None):
    while True:
        client, _ = listener.accept()
        try:
            upstream = connect()
        except OSError as e:
            sys.stderr.write("net-relay: %s\n" % e)
            client.close()
            continue
        join(client, upstream, log)


def main():
    if len(sys.argv) in (3, 5) and sys.argv[1] == "host":
        target = MIRROR
        if len(sys.argv) == 5:
            target = (sys.argv[3], int(sys.argv[4]))
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(sys.argv[2])
        ls.listen(64)
        serve(ls, lambda: socket.create_connection(target, timeout=30))
    elif len(sys.argv) == 6 and sys.argv[1] == "proxy":
        _, _, addr, port, path, log = sys.argv

        def connect():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((addr, int(port)))
        ls.listen(64)
        serve(ls, connect, log)
    else:
        sys.stderr.write(__doc__)
        return 2


if __name__ == "__main__":
    sys.exit(main())
