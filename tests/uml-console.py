#!/usr/bin/python3
"""Run commands on the console of a User-Mode Linux guest, as a person would.

Why this exists: the test suites have to show that a root filesystem image
really boots and works (services start, root can log in, files are in place).
User-Mode Linux boots it without privileges or hardware virtualisation, but
the only way into the guest is its console.  So this script plays the
operator: it starts linux.uml on a fresh pseudo-terminal, waits for the login
prompt, logs in as root, runs each COMMAND, copies its output to stdout and
notes its exit status, then powers the guest off.  On every exit path all the
UML processes are killed with SIGKILL and reaped: nothing is left running.

UML runs as `KERNEL ubd0=IMAGE mem=256M con0=fd:0,fd:1 con=null UMLARG...`.
Root's shell runs each COMMAND as `eval 'COMMAND' </dev/null` between unique
markers (so a command cannot swallow what is typed after it); stdout gets the
commands' output (their stdout and stderr, \\r removed) and nothing else.

Exit status: 0 all commands succeeded; 1 some command failed; 2 usage error;
3 UML exited or login failed too early; 124 --timeout (whole session) ran out.
"""

import argparse, contextlib, ctypes, errno, fcntl, os, pty, re, select, signal
import shlex, subprocess, sys, termios, time, tty

SHELL_PROMPT = rb"[#$] ?$"
PR_SET_CHILD_SUBREAPER = 36
# Sent once logged in: no echo, no prompts, no pagers or colours, no kernel
# messages on the console.  '' splits the marker so the echoed line can't match.
SETUP = (b"stty -echo 2>/dev/null; dmesg -n 1 2>/dev/null; "
         b"bind 'set enable-bracketed-paste off' 2>/dev/null; "
         b"PS1= PS2= PROMPT_COMMAND=; "
         b"export PAGER=cat SYSTEMD_PAGER=cat TERM=dumb; echo ==REA''DY==\n")


class Failure(Exception):
    """Failure(exit status, message)"""


def children():
    """Our child processes, from /proc."""
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % d) as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                    yield int(d)
        except (OSError, ValueError, IndexError):
            pass


class Console:
    def __init__(self, argv, timeout, transcript):
        self.timeout, self.transcript = timeout, transcript
        self.started = time.monotonic()
        self.deadline = self.started + timeout
        self.buf = b""  # everything the console printed, with \r removed
        self.pos, self.eof = 0, False  # where the next expect() starts looking
        self.fd, slave = pty.openpty()
        tty.setraw(slave)
        # UML gets its own session and process group, and the pty as controlling
        # tty: else UML starts a SIGWINCH helper that setsid()s out of the group.
        try:
            self.proc = subprocess.Popen(
                argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                preexec_fn=lambda: (fcntl.ioctl(0, termios.TIOCSCTTY, 0),
                                    signal.pthread_sigmask(signal.SIG_SETMASK, ())))
        finally:
            os.close(slave)
        # A guardian SIGKILLs the group if we die without kill() (e.g. SIGKILL).
        r, w = os.pipe()
        if os.fork() == 0:
            try:
                os.setsid()
                os.close(w)
                if not os.read(r, 1):  # EOF: we are gone; kill() kills it first
                    os.killpg(self.proc.pid, signal.SIGKILL)
            finally:
                os._exit(0)
        os.close(r)

    def exit_status(self):
        """How UML exited, or None.  Never reaps it, so its pid (which is also
        its process group id) cannot be reused before kill()."""
        info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        return info and "%s %d" % (
            "status" if info.si_code == os.CLD_EXITED else "signal", info.si_status)

    def read(self, timeout):
        """Read what the console printed within timeout; False if nothing."""
        if self.eof or not select.select([self.fd], [], [], timeout)[0]:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError as e:  # EIO: nobody has the slave side open any more
            if e.errno != errno.EIO:
                raise
            data = b""
        self.eof = not data
        self.buf += data.replace(b"\r", b"")
        if self.transcript:
            self.transcript.write(data)
        return bool(data)

    def send(self, data):
        while data:
            data = data[os.write(self.fd, data):]

    def expect(self, regex, what):
        """Wait until regex matches the output after the previous match."""
        regex = re.compile(regex) if isinstance(regex, bytes) else regex
        while True:
            m = regex.search(self.buf, self.pos)
            if m:
                self.pos = m.end()
                return m
            if self.eof or self.exit_status() is not None:
                while self.read(0.2):  # collect the last words
                    pass
                if not regex.search(self.buf, self.pos):
                    raise Failure(3, "UML exited (%s) while waiting for %s"
                                  % (self.exit_status() or "console closed", what))
                continue
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise Failure(124, "timed out after %g s waiting for %s"
                              % (self.timeout, what))
            self.read(min(remaining, 0.5))

    def login(self, prompt, password):
        self.expect(prompt, "the login prompt")
        self.login_after = time.monotonic() - self.started
        self.send(b"root\n")
        pattern = rb"(?P<pw>Password: ?$)|(?P<bad>Login incorrect)|(?P<sh>%s)" % SHELL_PROMPT
        m = self.expect(pattern, "a password or shell prompt")
        if m.group("pw"):
            self.send(password.encode() + b"\n")
            m = self.expect(pattern, "the shell prompt")
        if not m.group("sh"):
            raise Failure(3, "logging in as root failed (%s)"
                          % m.group().decode(errors="replace").strip())
        self.send(SETUP)
        self.expect(rb"==READY==\n", "the shell to accept commands")

    def run(self, n, command):
        """Run one command; returns (output, exit status)."""
        quoted = "'" + command.replace("'", "'\\''") + "'"
        self.send(("echo ==BEG''IN-%d==; eval %s </dev/null; echo ==E''ND-%d== $?\n"
                   % (n, quoted, n)).encode())
        what = "command %d to finish: %s" % (n, command)
        start = self.expect(rb"==BEGIN-%d==\n" % n, what).end()
        end = self.expect(rb"==END-%d== (\d+)\n" % n, what)
        return self.buf[start:end.start()], int(end.group(1))

    def shutdown(self):
        """Ask the guest to power off; give it up to 60 s (within the timeout):
        systemd's shutdown under load takes a while, and `rootstrap boot`
        has its own work after UML exits (moving a new COW file)."""
        self.send(b"poweroff\n")
        until = min(time.monotonic() + 60, self.deadline)
        while not self.eof and self.exit_status() is None and time.monotonic() < until:
            self.read(0.2)
        while self.read(0.1):
            pass

    def kill(self):
        """SIGKILL the UML process group, then all our children (the guardian,
        and, as main() made us a child subreaper, any orphaned UML helper that
        left the group); reap them all."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        while True:
            for pid in children():
                os.kill(pid, signal.SIGKILL)
            try:
                if os.waitpid(-1, 0)[0] == self.proc.pid:
                    self.proc.returncode = -1
            except ChildProcessError:
                break
        os.close(self.fd)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="uml-console.py", description=__doc__.split("\n")[0],
        usage="%(prog)s [--kernel linux.uml] [--timeout SECONDS] [--password PW] [--transcript "
        "FILE] [--login-prompt REGEX] IMAGE [UMLARG...] -- COMMAND [COMMAND...]")
    p.add_argument("--kernel", default="linux.uml",
                   help="default: linux.uml from PATH; words are split, e.g. 'rootstrap boot -N user'")
    p.add_argument("--timeout", type=float, default=300, help="whole session (default 300 s)")
    p.add_argument("--password", default="", help="root password (default empty)")
    p.add_argument("--transcript", help="write the raw console output here")
    p.add_argument("--login-prompt", default=r"login: ?$", help="regex (default 'login: ?$')")
    p.add_argument("--login-time", action="store_true",
                   help="say on stderr how long the boot took to the login prompt")
    p.add_argument("image")
    p.add_argument("umlargs", nargs="*", default=[], metavar="UMLARG")
    split = argv.index("--") if "--" in argv else len(argv)
    args = p.parse_args(argv[:split])
    args.commands = argv[split + 1:]
    if not args.commands:
        p.error("expected -- COMMAND [COMMAND...] after the image")
    if args.timeout <= 0:
        p.error("--timeout must be positive")
    try:
        args.login_prompt = re.compile(args.login_prompt.encode())
    except re.error as e:
        p.error("bad --login-prompt: %s" % e)
    return args


def on_signal(signum, frame):
    raise Failure(128 + signum, "stopped by %s" % signal.Signals(signum).name)


def main():
    args = parse_args(sys.argv[1:])
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans become our children
    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    for s in handled:
        signal.signal(s, on_signal)
    con, status = None, 0
    try:
        transcript = open(args.transcript, "wb", buffering=0) if args.transcript else None
        argv = shlex.split(args.kernel) + ["ubd0=" + args.image, "mem=256M",
                "con0=fd:0,fd:1", "con=null"] + args.umlargs
        signal.pthread_sigmask(signal.SIG_BLOCK, handled)  # no Failure before con is set
        con = Console(argv, args.timeout, transcript)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, handled)
        con.login(args.login_prompt, args.password)
        if args.login_time:
            print("login-prompt-after=%.2f" % con.login_after, file=sys.stderr)
        for n, command in enumerate(args.commands, 1):
            output, code = con.run(n, command)
            sys.stdout.buffer.write(output)
            sys.stdout.flush()
            if code:
                status = 1
                print("uml-console: command %d failed with status %d: %s"
                      % (n, code, command), file=sys.stderr, flush=True)
        con.shutdown()
    except Failure as f:
        status = f.args[0]
        print("uml-console: %s" % f.args[1], file=sys.stderr)
    except OSError as e:  # e.g. no such kernel or transcript directory
        status = 2 if con is None else 3
        print("uml-console: %s" % e, file=sys.stderr)
    finally:
        for s in handled:
            signal.signal(s, signal.SIG_IGN)
        if con:
            con.kill()
    if status and con and con.buf:
        lines = con.buf.decode(errors="replace").splitlines()[-60:]
        sys.stderr.write("uml-console: last %d lines of the console:\n" % len(lines))
        sys.stderr.write("".join("  | %s\n" % line for line in lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
