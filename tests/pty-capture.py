#!/usr/bin/env python3
# pty-capture.py [--cols N] [--stdout-pipe FILE] OUTFILE COMMAND...:
# run COMMAND with a terminal of N columns (default 80) as its stdin,
# stdout and stderr, as a user at a terminal would, and keep every byte it
# wrote there in OUTFILE (redraws, carriage returns and escape sequences
# included). With --stdout-pipe, its stdout is a pipe into FILE instead,
# and only stderr is the terminal. With --screen FILE, what the terminal
# shows at the end is written to FILE as text, one line per row that has
# been written (carriage returns, erase-line and newlines applied; other
# escape sequences dropped). With --redraws FILE, each line drawn and then
# erased in place (a progress line) is written to FILE, one a line.
# Exits with COMMAND's status.
import argparse, fcntl, os, pty, struct, subprocess, sys, termios

ap = argparse.ArgumentParser()
ap.add_argument("--cols", type=int, default=80)
ap.add_argument("--stdout-pipe")
ap.add_argument("--screen")
ap.add_argument("--redraws")
ap.add_argument("outfile")
ap.add_argument("command", nargs=argparse.REMAINDER)
a = ap.parse_args()

master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, a.cols, 0, 0))
stdout = open(a.stdout_pipe, "wb") if a.stdout_pipe else slave
# A session of its own with the terminal as its controlling one, so that
# the command is in the terminal's foreground, as under a shell.
child = subprocess.Popen(a.command, stdin=slave, stdout=stdout, stderr=slave,
                         start_new_session=True,
                         preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
os.close(slave)
with open(a.outfile, "wb") as out:
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every writer is gone
            break
        if not data:
            break
        out.write(data)


def screen(data):
    """The rows a terminal of unlimited height shows after data, and the
    lines erased from it."""
    rows, erased, row, col, i = [], [], bytearray(), 0, 0
    while i < len(data):
        c = data[i]
        if c == 0x1b:
            j = i + 1
            if j < len(data) and data[j] == ord("["):
                j += 1
                while j < len(data) and not 0x40 <= data[j] <= 0x7e:
                    j += 1
                if data[j:j + 1] == b"K":
                    if col == 0 and row:
                        erased.append(bytes(row))
                    del row[col:]
            i = j + 1
            continue
        if c == ord("\r"):
            col = 0
        elif c == ord("\n"):
            rows.append(bytes(row))
            row, col = bytearray(), 0
        else:
            row[col:col + 1] = bytes([c])
            col += 1
        i += 1
    if row:
        rows.append(bytes(row))
    return (b"".join(r + b"\n" for r in rows),
            b"".join(r + b"\n" for r in erased))


with open(a.outfile, "rb") as f:
    shown, erased = screen(f.read())
if a.screen:
    with open(a.screen, "wb") as f:
        f.write(shown)
if a.redraws:
    with open(a.redraws, "wb") as f:
        f.write(erased)
sys.exit(child.wait() if child.returncode is None else child.returncode)
