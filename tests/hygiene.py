#!/usr/bin/env python3
"""hygiene.py: rules the test drivers keep, checked by tests/hygiene.test.

  hygiene.py FILE...
      print one line "RULE FILE:LINE: TEXT" for each place that breaks a
      rule, nothing if none does:

  direct  the binary run as "$STREAMJOB" instead of through sj or "$SJ"
          (which apply STREAMJOB_WRAPPER); only tests/setup.sh may
  ignored a wait whose timeout is thrown away: wait_for ... || true (a
          step the case needs is waited for with await, which fails it)
  sleep   a sleep that is not input pacing or the behaviour under test
          (those say so, "pacing" or "under test", on the line or the
          line before): a test waits for a condition instead
  bgsj    sj (a shell function) run in the background: $! is then a
          subshell, not the job, so a signal would miss it; "$SJ" & is
          the job itself
"""
import re
import sys

DIRECT = re.compile(r"\$\{?STREAMJOB(?![A-Za-z0-9_])|environ[^\n]*[\"']STREAMJOB[\"']")
IGNORED = re.compile(r"\b(wait_for|await)\b[^#\n]*\|\|\s*(true|:)(\s|;|$)")
SLEEP = re.compile(r"(^|[^\w.])sleep\s+[0-9.]|\btime\.sleep\(")
EXCUSE = re.compile(r"pacing|under test|sampling interval")
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
BG = re.compile(r"(?<![&<>|])&(?![&>])")
SEGMENT = re.compile(r"\|\||&&|[|;({]")
ASSIGN = re.compile(r"^\w+=\S*$")
KEYWORDS = {"then", "do", "else", "elif", "if", "while", "until", "!", "time"}


def word(chars):
    """A quoted part as the scanner keeps it: a plain word (a here-document's
    delimiter) as it is, anything else as Q."""
    w = "".join(chars)
    return w if re.match(r"^\w+$", w) else "Q"


def shell_commands(text):
    """(line, text) of each unquoted command line of a shell script, with
    quoted parts, comments and here-documents left out."""
    out, cur, start = [], [], 1
    i, line, n = 0, 1, len(text)
    quote = None
    quoted = []
    pending_heredocs = []
    while i < n:
        c = text[i]
        if quote == "'":
            if c == "'":
                quote = None
                cur.append(word(quoted))
            else:
                quoted.append(c)
        elif quote == '"':
            if c == "\\" and i + 1 < n:
                i += 1
            elif c == '"':
                quote = None
                cur.append(word(quoted))
            else:
                quoted.append(c)
        elif c == "\\" and i + 1 < n:
            if text[i + 1] == "\n":
                line += 1
                cur.append(" ")
            else:
                cur.append(text[i + 1])
            i += 2
            continue
        elif c in "'\"":
            quote = c
            quoted = []
        elif c == "#" and (not cur or cur[-1] in " \t;|&("):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif c == "\n":
            logical = "".join(cur)
            for m in HEREDOC.finditer(logical):
                pending_heredocs.append(m.group(2))
            out.append((start, logical))
            cur = []
            # Skip the bodies of here-documents begun on this line.
            for delim in pending_heredocs:
                j = i + 1
                while j < n:
                    k = text.find("\n", j)
                    k = n if k < 0 else k
                    line += 1
                    if text[j:k].strip() == delim:
                        j = k
                        break
                    j = k + 1
                i = j
            pending_heredocs = []
            line += 1
            start = line
        else:
            cur.append(c)
        if c == "\n" and quote:
            line += 1
        i += 1
    if cur:
        out.append((start, "".join(cur)))
    return out


def background_sj(text):
    for line, cmd in shell_commands(text):
        last = 0
        for m in BG.finditer(cmd):
            job = cmd[last:m.start()]
            last = m.end()
            for seg in SEGMENT.split(job):
                words = [w for w in seg.split() if not ASSIGN.match(w)]
                while words and words[0] in KEYWORDS:
                    words.pop(0)
                if words and words[0] == "sj":
                    yield line
                    break


def check(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.split("\n")
    bad = []
    for no, l in enumerate(lines, 1):
        if DIRECT.search(l):
            bad.append(("direct", no, l))
        if IGNORED.search(l):
            bad.append(("ignored", no, l))
        if SLEEP.search(l) and not EXCUSE.search(l) and \
                not (no > 1 and EXCUSE.search(lines[no - 2])):
            bad.append(("sleep", no, l))
    if not path.endswith(".py"):
        for no in background_sj(text):
            bad.append(("bgsj", no, lines[no - 1]))
    for rule, no, l in sorted(bad, key=lambda b: b[1]):
        print("%s %s:%d: %s" % (rule, path, no, l.strip()))


def main():
    for path in sys.argv[1:]:
        check(path)


if __name__ == "__main__":
    main()
