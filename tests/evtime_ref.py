#!/usr/bin/env python3
"""evtime_ref.py: random event-time window scripts and their expected output,
computed naively from SPEC 1.7 as the reference for the runtime's windows.

The reference takes the records one by one in arrival order.  The watermark
is the largest event time seen before a record minus the lateness; the
record goes into each window [end - LEN, end) that holds its time and whose
end is above that watermark, and is late when it has windows and none of
them is open.  After each record, every window the watermark has reached is
noted as closed in that record's batch; windows still open when the input
ends close in the last batch.  Only windows that hold something are emitted.

usage: evtime_ref.py cases DIR N SEED
           writes DIR/caseK.pipe, DIR/caseK.out (print's exact output)
           and DIR/caseK.late (how many records are late)
       evtime_ref.py stream DIR SEED
           writes DIR/stream.pipe, DIR/stream.in (lines for stdin) and
           DIR/stream.out, DIR/stream.late: the windows' results, sorted,
           which cannot depend on how the input was cut into batches
"""
import random
import sys

from ref_common import REDUCERS as COMMON, fmt

REDUCERS = COMMON + [
    ("(a, b) => max(a, b)", lambda vs: max(vs)),
]


def windows_of(t, length, slide):
    """The ends of the windows [end - length, end) that hold time t."""
    end = (t // slide + 1) * slide
    ends = []
    while end <= t + length:
        ends.append(end)
        end += slide
    return ends


def run(records, length, slide, lateness, nbatches, dropped=None):
    """records: (batch, time, key, value) in arrival order.  Returns the
    windows as {end: (batch closed in, [(key, value), ...])} and the number
    of late records.  A record for which dropped(value) is true is dropped
    on its way to the window: it moves the watermark, and that is all."""
    seen = None
    content = {}
    closed = {}
    late = 0
    for b, t, k, v in records:
        wm = None if seen is None else seen - lateness
        ends = [] if dropped and dropped(v) else windows_of(t, length, slide)
        live = [e for e in ends if wm is None or e > wm]
        if ends and not live:
            late += 1
        for e in live:
            content.setdefault(e, []).append((k, v))
        seen = t if seen is None else max(seen, t)
        wm = seen - lateness
        for e in content:
            if e not in closed and e <= wm:
                closed[e] = b
    for e in content:
        closed.setdefault(e, nbatches - 1)
    return {e: (closed[e], content[e]) for e in content}, late


def results(kind, red, end, items):
    """The lines the stages after the window give for one window."""
    if kind == "byKey":
        groups = {}
        for k, v in items:
            groups.setdefault(k, []).append(v)
        return [(end, k, red(vs)) for k, vs in groups.items()]
    if kind == "countByValue":
        groups = {}
        for k, _ in items:
            groups[k] = groups.get(k, 0) + 1
        return [(end, k, n) for k, n in groups.items()]
    if kind == "count":
        return [(end, len(items))]
    if kind == "reduce":
        return [(end, red([v for _, v in items]))]
    return [(end, k, v) for k, v in items]


def line(t):
    return "(" + ",".join(fmt(x) for x in t) + ")"


def random_times(rnd, n, start, step):
    """Event times that mostly rise, with some out of order and some far
    behind; multiples of step, so that with a coarse step many fall on
    window ends and watermarks on them."""
    clock = start
    out = []
    for _ in range(n):
        clock += rnd.randint(0, 700 // step) * step
        t = clock - rnd.choice([0, 0, 0, 0, rnd.randint(0, 1500 // step) * step,
                                rnd.randint(0, 6000 // step) * step])
        out.append(t)
    return out


def case(rnd, out, num):
    batch = rnd.choice([500, 1000, 1000])
    length = batch * rnd.randint(1, 6)
    slide = batch * rnd.randint(1, 4)
    lateness = rnd.choice([0, 0, 300, 1000, 2000, 4500])
    nbatches = rnd.randint(1, 10)
    start = rnd.choice([0, 0, -20000, 1700000000000])
    keys = ["k%d" % i for i in range(rnd.randint(1, 4))]
    sizes = [rnd.choice([0, 1, 2, 4, 8]) for _ in range(nbatches)]
    times = random_times(rnd, sum(sizes), start, rnd.choice([1, 100, 250]))
    records = []
    lists = []
    for b, size in enumerate(sizes):
        items = []
        for _ in range(size):
            t = times[len(records)]
            k, v = rnd.choice(keys), rnd.randint(-9, 20)
            records.append((b, t, k, v))
            items.append('(%d, "%s", %d)' % (t, k, v))
        lists.append("[" + ", ".join(items) + "]")
    kind = rnd.choice(["byKey", "byKey", "byKey", "countByValue", "count", "reduce", "plain"])
    red_name, red = rnd.choice(REDUCERS)
    late_clause = " lateness %dms" % lateness if lateness else ""
    # Some cases drop records between the timestamp and the window (they
    # still move the watermark); some read the timestamped stream twice, so
    # the window takes its blocks in phase B instead of from the workers.
    drop = rnd.random() < 0.3
    twice = rnd.random() < 0.3
    head = "batch %dms\n%sbatches(%s)\n  | timestamp _[0]%s%s | map (_[1], _[2])\n" % (
        batch, "let ev = " if twice else "", ", ".join(lists), late_clause,
        " | filter _[2] % 5 != 0" if drop else "")
    if twice:
        head += "ev | filter false | stdout\nev\n"
    pre = {"countByValue": "  | map (k, v) => k\n", "reduce": "  | map (k, v) => v\n"}.get(kind, "")
    win = "  | window %dms slide %dms\n" % (length, slide)
    stage = {
        "byKey": "  | reduceByKey %s\n  | map (k, v) => (batchTime(), k, v)" % red_name,
        "countByValue": "  | countByValue\n  | map (k, n) => (batchTime(), k, n)",
        "count": "  | count\n  | map n => (batchTime(), n)",
        "reduce": "  | reduce %s\n  | map r => (batchTime(), r)" % red_name,
        "plain": "  | map (k, v) => (batchTime(), k, v)",
    }[kind]
    script = head + pre + win + stage + "\n  | sort\n  | print 100000\n"
    wins, late = run(records, length, slide, lateness, nbatches,
                     (lambda v: v % 5 == 0) if drop else None)
    text = []
    for b in range(nbatches):
        ends = sorted(e for e, (cb, _) in wins.items() if cb == b)
        if not ends:
            continue
        text.append("-------------------------------------------\n"
                    "Time: %d ms\n"
                    "-------------------------------------------\n" % ((b + 1) * batch))
        for e in ends:
            for t in sorted(results(kind, red, e, wins[e][1])):
                text.append(line(t) + "\n")
        text.append("\n")
    with open("%s/case%d.pipe" % (out, num), "w") as f:
        f.write(script)
    with open("%s/case%d.out" % (out, num), "w") as f:
        f.write("".join(text))
    with open("%s/case%d.late" % (out, num), "w") as f:
        f.write("%d\n" % late)


def stream(rnd, out):
    """Many records for stdin: sums per key over sliding windows."""
    n = 60000
    times = random_times(rnd, n, 1700000000000, 1)
    records = [(0, t, "k%d" % rnd.randint(0, 30), rnd.randint(0, 9)) for t in times]
    with open("%s/stream.in" % out, "w") as f:
        for _, t, k, v in records:
            f.write("%d,%s,%d\n" % (t, k, v))
    with open("%s/stream.pipe" % out, "w") as f:
        f.write("batch 100ms\nblock 20ms\n"
                "stdin | map csv(_) | timestamp num(_[0]) lateness 2s\n"
                "  | map (_[1], num(_[2])) | window 3s slide 1s | reduceByKey sum\n"
                "  | map (k, v) => (batchTime(), k, v) | stdout\n")
    wins, late = run(records, 3000, 1000, 2000, 1)
    lines = []
    for e, (_, items) in wins.items():
        for t in results("byKey", sum, e, items):
            lines.append("%d\t%s\t%d" % t)
    with open("%s/stream.out" % out, "w") as f:
        f.write("".join(l + "\n" for l in sorted(lines)))
    with open("%s/stream.late" % out, "w") as f:
        f.write("%d\n" % late)


def main():
    if sys.argv[1] == "cases":
        out, n, seed = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        rnd = random.Random(seed)
        for num in range(n):
            case(rnd, out, num)
    else:
        stream(random.Random(int(sys.argv[3])), sys.argv[2])


main()
