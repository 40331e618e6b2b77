#!/usr/bin/env python3
# readme-example.py README NAME: print the example block README.md marks
# NAME, as written. readme-example.py README --list: each marked block,
# "NAME run" or "NAME not-run", and "unmarked LINE" for a fenced block
# without a marker.
#
# The convention (README.md, "Running the tests"): the line before a fenced
# block is <!-- example: NAME --> when the suite runs the block's text, or
# <!-- example: NAME, not run: REASON --> when it does not, and why.
import re
import sys

MARK = re.compile(r"^<!-- example: ([a-z0-9-]+)(, not run: .+)? -->$")


def blocks(path):
    """(name or None, not_run, line, text) for each fenced block."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith("```") and lines[i] != "```":
            m = MARK.match(lines[i - 1]) if i > 0 else None
            j = i + 1
            while j < len(lines) and lines[j] != "```":
                j += 1
            yield (m.group(1) if m else None, bool(m and m.group(2)),
                   i + 1, "".join(l + "\n" for l in lines[i + 1:j]))
            i = j
        i += 1


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: readme-example.py README NAME|--list")
    path, want = sys.argv[1], sys.argv[2]
    found = [b for b in blocks(path)]
    if want == "--list":
        for name, not_run, line, _ in found:
            if name is None:
                print("unmarked %d" % line)
            else:
                print("%s %s" % (name, "not-run" if not_run else "run"))
        return
    texts = [t for name, _, _, t in found if name == want]
    if len(texts) != 1:
        sys.exit("%s: %d examples named %s" % (path, len(texts), want))
    sys.stdout.write(texts[0])


main()
