#!/usr/bin/python3
"""Call a uml_net helper the way the UML 6.1 kernel does, byte for byte.

Why this exists: the kernel waits for the helper's answer without a
timeout, so a helper that answers wrongly, or not at all, hangs the guest.
This script plays the kernel's side (arch/um/os-Linux/drivers/tuntap_user.c
for "tuntap up", arch/um/drivers/net_user.c for add/del) and reports what
came back in a form a shell test can grep, with a timeout standing in for
"UML would hang" (exit 3).

  tuntap up: socketpair(AF_UNIX, SOCK_DGRAM) as the helper's fd 1, one
             recvmsg with a 4095-byte buffer and CMSG_SPACE(sizeof(int)).
  add, del:  socketpair(AF_UNIX, SOCK_STREAM) as fd 1, the parent keeps the
             child's end open (so no EOF ever comes), reads a host-endian int
             N, then N bytes.

Output lines: kind=, datagrams=, len=, name=, text=, fds=, ctrunc=,
fdlink=, tunname=, tunflags=, second=, frame=, exit=.  After a successful
"up", in the order given, each --then COMMAND runs (sh -c, UML_TAP set to
the interface name) while the tap is held open, and each --udp writes a
raw Ethernet frame into it, as the guest would.

Exit status: 0 the helper answered in protocol; 3 it did not (timeout, no
answer, malformed); 2 usage.
"""

import argparse, array, fcntl, os, signal, socket, struct, subprocess, sys
import time

TUNGETIFF = 0x800454d2
IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE, IFF_VNET_HDR, IFF_PERSIST = \
    0x0002, 0x1000, 0x0100, 0x4000, 0x0800


def start(argv, kind, opts):
    """Fork the helper with one end of a socketpair as its stdout."""
    parent, child = socket.socketpair(socket.AF_UNIX, kind)
    extra = None
    if opts.extra_fd:
        extra = os.open(opts.extra_fd, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    stdin = subprocess.DEVNULL
    keep = None
    if opts.stdin_pipe:
        stdin, keep = os.pipe()

    def pre():
        os.dup2(child.fileno(), 1)
        if extra is not None:
            os.dup2(extra, 7)
            os.set_inheritable(7, True)
        if opts.hostile_signals:
            # What a helper may inherit from UML: all blocked, some ignored.
            signal.pthread_sigmask(signal.SIG_BLOCK, range(1, signal.NSIG))
            for s in (signal.SIGCHLD, signal.SIGPIPE, signal.SIGTERM):
                signal.signal(s, signal.SIG_IGN)

    env = dict(os.environ)
    for kv in opts.env:
        k, _, v = kv.partition("=")
        env[k] = v
    proc = subprocess.Popen(argv, stdin=stdin, preexec_fn=pre, env=env,
                            pass_fds=[7] if extra is not None else [],
                            close_fds=True)
    return parent, child, proc, keep


def finish(proc, out):
    try:
        out.append("exit=%d" % proc.wait(timeout=5))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        out.append("exit=timeout")


def gone(proc, out):
    """After a timeout: the helper's status if it ended, else kill it."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
        out.append("exit=killed")
    else:
        out.append("exit=%d" % proc.returncode)


def show_text(data):
    return "text=" + repr(data.rstrip(b"\0").decode("utf-8", "replace"))


def tuntap_up(opts, out):
    parent, child, proc, keep = start(opts.argv, opts.socktype, opts)
    child.close()                       # the kernel closes fds[1] (:85)
    parent.settimeout(opts.timeout)
    cbuf = socket.CMSG_SPACE(struct.calcsize("i"))
    try:
        data, anc, flags, _ = parent.recvmsg(4095, cbuf)
    except socket.timeout:
        gone(proc, out)
        print("\n".join(out + ["timeout: no datagram (UML would hang)"]))
        return 3, None
    finish(proc, out)
    fds = []
    for level, typ, cdata in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            a = array.array("i")
            a.frombytes(cdata[:len(cdata) - len(cdata) % a.itemsize])
            fds.extend(a)
    out.append("datagrams=1")
    out.append("len=%d" % len(data))
    out.append("nul_terminated=%s" % ("yes" if data.endswith(b"\0")
                                      else "no"))
    out.append("ctrunc=%s" % ("yes" if flags & socket.MSG_CTRUNC else "no"))
    out.append("fds=%d" % len(fds))
    if fds:
        name = data[:16]
        out.append("name_nul=%s" % ("yes" if b"\0" in name else "no"))
        out.append("name=" + name.split(b"\0")[0].decode())
        out.append(show_text(data[16:]))
        out.append("fdlink=" + os.readlink("/proc/self/fd/%d" % fds[0]))
        ifr = fcntl.ioctl(fds[0], TUNGETIFF, bytes(40))
        tflags = struct.unpack_from("H", ifr, 16)[0]
        out.append("tunname=" + ifr[:16].split(b"\0")[0].decode())
        out.append("tunflags=" + ",".join(
            n for n, b in (("tap", IFF_TAP), ("no_pi", IFF_NO_PI),
                           ("multi_queue", IFF_MULTI_QUEUE),
                           ("vnet_hdr", IFF_VNET_HDR),
                           ("persist", IFF_PERSIST)) if tflags & b))
    else:
        out.append(show_text(data))
    parent.setblocking(False)
    try:
        parent.recv(4096)
        out.append("second=yes")
    except BlockingIOError:
        out.append("second=no")
    if keep is not None:
        os.close(keep)
    return 0, fds[0] if fds else None


def udp_frame(tapname, spec):
    """Ethernet/IPv4/UDP from a made-up guest MAC to the tap's own MAC."""
    src, sport, dst, dport, payload = spec.split(":", 4)
    with open("/sys/class/net/%s/address" % tapname) as f:
        dmac = bytes.fromhex(f.read().strip().replace(":", ""))
    payload = payload.encode()
    udp = struct.pack("!HHHH", int(sport), int(dport), 8 + len(payload), 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) + len(payload),
                     1, 0, 64, 17, 0, socket.inet_aton(src),
                     socket.inet_aton(dst))
    s = sum(struct.unpack("!10H", ip))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
    return dmac + bytes.fromhex("02fd0a000002") + b"\x08\x00" + ip + udp + \
        payload


def add_del(opts, out):
    parent, child, proc, keep = start(opts.argv, opts.socktype, opts)
    # Like change_tramp: the parent still holds fds[1] while it reads.
    parent.settimeout(opts.timeout)
    try:
        head = b""
        while len(head) < 4:
            chunk = parent.recv(4 - len(head))
            if not chunk:
                break
            head += chunk
        if len(head) < 4:
            print("\n".join(out + ["noframe: %d bytes" % len(head)]))
            return 3
        n = struct.unpack("i", head)[0]
        data = b""
        while len(data) < n:
            chunk = parent.recv(n - len(data))
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        gone(proc, out)
        print("\n".join(out + ["timeout: no frame (UML would hang)"]))
        return 3
    finish(proc, out)
    out.append("frame=%d" % n)
    out.append("len=%d" % len(data))
    out.append("nul_terminated=%s" % ("yes" if data.endswith(b"\0")
                                      else "no"))
    out.append(show_text(data))
    if keep is not None:
        os.close(keep)
    child.close()
    return 0 if len(data) == n else 3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", choices=["dgram", "stream"])
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--then", action="append", dest="actions", default=[],
                    type=lambda v: ("sh", v), help="a shell command")
    ap.add_argument("--udp", action="append", dest="actions",
                    type=lambda v: ("udp", v),
                    help="SRC:SPORT:DST:DPORT:PAYLOAD, a frame into the tap")
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--extra-fd", help="open FILE as the helper's fd 7")
    ap.add_argument("--stdin-pipe", action="store_true",
                    help="stdin: a pipe that stays open")
    ap.add_argument("--hostile-signals", action="store_true")
    ap.add_argument("argv", nargs=argparse.REMAINDER)
    opts = ap.parse_args()
    if opts.argv[:1] == ["--"]:
        opts.argv = opts.argv[1:]
    if not opts.argv:
        ap.error("no helper given")
    up = "tuntap" in opts.argv
    kind = opts.kind or ("dgram" if up else "stream")
    opts.socktype = socket.SOCK_DGRAM if kind == "dgram" else \
        socket.SOCK_STREAM
    out = ["kind=" + kind]
    if kind == "stream":
        rc = add_del(opts, out)
        print("\n".join(out))
        return rc
    rc, fd = tuntap_up(opts, out)
    if rc != 0:
        return rc
    print("\n".join(out), flush=True)
    if fd is None:
        return 0
    name = [l[5:] for l in out if l.startswith("name=")][0]
    for what, arg in opts.actions:
        if what == "sh":
            subprocess.run(["sh", "-c", arg],
                           env=dict(os.environ, UML_TAP=name))
        else:
            os.write(fd, udp_frame(name, arg))
            time.sleep(0.5)
    os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
