#!/usr/bin/env python3
"""screen.py: the lines a terminal shows for what was written to it, for
the tests of the status line.

  screen.py FILE
      read FILE (a typescript: all a program wrote to its terminal) and
      print each line as it ends up on the screen: a carriage return goes
      back to the start of the line, ESC [ K erases from there to its end,
      other characters overwrite what is under the cursor.  So a line of
      output written after the status line without erasing it shows as
      the status text followed by the output.
"""
import sys


def screen(data):
    lines, cur, col, i = [], [], 0, 0
    while i < len(data):
        if data.startswith("\033[K", i):
            del cur[col:]
            i += 3
            continue
        c = data[i]
        if c == "\r":
            col = 0
        elif c == "\n":
            lines.append("".join(cur))
            cur, col = [], 0
        else:
            if col < len(cur):
                cur[col] = c
            else:
                cur.append(c)
            col += 1
        i += 1
    if cur:
        lines.append("".join(cur))
    return lines


def main():
    with open(sys.argv[1], "rb") as f:
        data = f.read().decode("utf-8", "replace")
    for line in screen(data):
        print(line)


if __name__ == "__main__":
    main()
