#!/usr/bin/env python3
"""Word count with collections.Counter, for the word-count benchmark.

Reads stdin in 1 MiB chunks, splits on b',' and b'\\n' (a b'\\r' before b'\\n' is dropped, empty
words are skipped, as in wc_tight.c) and prints word<TAB>count lines, unsorted.
"""
import sys
from collections import Counter


def main():
    counts = Counter()
    inp = sys.stdin.buffer
    carry = b""
    while True:
        chunk = inp.read(1 << 20)
        if not chunk:
            break
        data = carry + chunk
        cut = data.rfind(b"\n") + 1
        carry = data[cut:]
        data = data[:cut]
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n")
        counts.update(data.replace(b"\n", b",").split(b","))
    if carry:
        counts.update(carry.rstrip(b"\r").split(b","))
    counts.pop(b"", None)
    sys.stdout.buffer.write(
        b"".join(k + b"\t" + str(v).encode() + b"\n" for k, v in counts.items()))


if __name__ == "__main__":
    main()
