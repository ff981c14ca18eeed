#!/usr/bin/env python3
"""doc_blocks.py: the code blocks of the Markdown docs, for tests/docs.test.

  doc_blocks.py scripts DIR FILE...
      write each plain code block (a fence with no language: a script that
      must pass --check) of the FILEs to DIR/N.pipe; print "N FILE:LINE"
      for each
  doc_blocks.py sessions DIR FILE HEADING
      for each console block in FILE's section HEADING (from that "## "
      line to the next), write each "$ COMMAND" line to DIR/N.sh and the
      lines that follow it, up to the next command or the block's end, to
      DIR/N.out: what the command prints; print "N FILE:LINE" for each
"""
import os
import sys


def blocks(path):
    """(language, first line number, lines) of each fenced block."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            lang, start, body = lines[i][3:].strip(), i + 2, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            yield lang, start, body
        i += 1


def write(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def scripts(out, paths):
    n = 0
    for path in paths:
        for lang, start, body in blocks(path):
            if lang == "":
                n += 1
                write(os.path.join(out, "%d.pipe" % n), body)
                print(n, "%s:%d" % (path, start))


def sessions(out, path, heading):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    at = text.find("\n## " + heading + "\n")
    if at < 0:
        sys.exit("%s: no section '%s'" % (path, heading))
    first = text.count("\n", 0, at) + 2     # the heading's line number
    end = text.find("\n## ", at + 1)
    last = text.count("\n", 0, end) + 1 if end >= 0 else text.count("\n") + 1
    n = 0
    for lang, start, body in blocks(path):
        if lang != "console" or not first < start <= last:
            continue
        for k, line in enumerate(body):
            if line.startswith("$ "):
                n += 1
                write(os.path.join(out, "%d.sh" % n), [line[2:]])
                expected = []
                for more in body[k + 1:]:
                    if more.startswith("$ "):
                        break
                    expected.append(more)
                write(os.path.join(out, "%d.out" % n), expected)
                print(n, "%s:%d" % (path, start + k))


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "scripts":
        scripts(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 5 and sys.argv[1] == "sessions":
        sessions(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
