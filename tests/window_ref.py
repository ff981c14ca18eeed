#!/usr/bin/env python3
"""window_ref.py: random window scripts and their expected output, computed
naively -- every window recomputed from its raw records -- as the reference
for the incremental windows of the runtime.

Half the cases hold small integers; the others doubles too -- quarters,
which add up exactly in any order, with now and then inf, -inf or nan --
so a window that once held inf or nan must be exact again once they leave.

usage: window_ref.py DIR N SEED   writes DIR/caseK.pipe and DIR/caseK.out
"""
import random
import sys

from ref_common import REDUCERS as COMMON, fmt

REDUCERS = COMMON + [
    ("(a, b) => a + b inverse (a, b) => a - b", lambda vs: sum(vs)),
    ("(a, b) => max(a, b) * 1", lambda vs: max(vs)),
]


# inf, -inf and nan are made from strings: a literal cannot be one
SPECIALS = ('  | map (k, v) => (k, if v == "inf" then 1e308 * 10 else if v == "-inf" then'
            ' -1e308 * 10 else if v == "nan" then 1e308 * 10 - 1e308 * 10 else v)\n')


def lit(v):
    return '"%s"' % v if isinstance(v, str) else repr(v)


def num(v):
    return float(v) if isinstance(v, str) else v


def main():
    out, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rnd = random.Random(seed)
    for case in range(n):
        batch = rnd.choice([1, 2])                    # seconds
        nbatches = rnd.randint(1, 14)
        length = batch * rnd.randint(1, 6)
        slide = batch * rnd.randint(1, 3)
        keys = ["k%d" % i for i in range(rnd.randint(1, 5))]
        kind = rnd.choice(["byKey", "byKey", "byKey", "countByValue", "count", "reduce"])
        red_name, red = rnd.choice(REDUCERS)
        doubles = rnd.random() < 0.5 and "inverse" not in red_name and "max(" not in red_name
        # nan has no place in min's and max's order as Python sees it
        specials = ["inf", "-inf"] + ([] if red_name in ("min", "max") else ["nan"])

        def value():
            if not doubles:
                return rnd.randint(-20, 20)
            r = rnd.random()
            if r < 0.07:
                return rnd.choice(specials)
            if r < 0.25:
                return rnd.randint(-20, 20)
            return rnd.randint(-40, 40) / 4

        batches = []
        for _ in range(nbatches):
            batches.append([(rnd.choice(keys), value())
                            for _ in range(rnd.choice([0, 1, 2, 5, 9]))])
        lists = ", ".join("[" + ", ".join('("%s", %s)' % (k, lit(v)) for k, v in b) + "]"
                          for b in batches)
        batches = [[(k, num(v)) for k, v in b] for b in batches]
        # The reducer comes right after the window, so it is incremental.
        pre = {"countByValue": "  | map (k, v) => k\n", "reduce": "  | map (k, v) => v\n"}.get(kind, "")
        if doubles:
            pre = SPECIALS + pre
        head = "batch %ds\nbatches(%s)\n%s  | window %ds slide %ds\n" % (
            batch, lists, pre, length, slide)
        if kind == "byKey":
            stage = "  | reduceByKey %s\n  | map (k, v) => (batchTime(), k, v)" % red_name
        elif kind == "countByValue":
            stage = "  | countByValue\n  | map (k, v) => (batchTime(), k, v)"
        elif kind == "count":
            stage = "  | count\n  | map c => (batchTime(), c)"
        else:
            stage = "  | reduce %s\n  | map r => (batchTime(), r)" % red_name
        script = "# expect: sorted\n" + head + stage + "\n  | stdout\n"
        lines = []
        nslots = length // batch
        for i in range(nbatches):
            t = (i + 1) * batch * 1000
            if t % (slide * 1000) != 0:
                continue
            window = [kv for b in batches[max(0, i - nslots + 1):i + 1] for kv in b]
            if kind == "byKey":
                groups = {}
                for k, v in window:
                    groups.setdefault(k, []).append(v)
                for k, vs in groups.items():
                    lines.append("%d\t%s\t%s" % (t, k, fmt(red(vs))))
            elif kind == "countByValue":
                groups = {}
                for k, _ in window:
                    groups[k] = groups.get(k, 0) + 1
                for k, c in groups.items():
                    lines.append("%d\t%s\t%d" % (t, k, c))
            elif kind == "count":
                lines.append("%d\t%d" % (t, len(window)))
            elif window:
                lines.append("%d\t%s" % (t, fmt(red([v for _, v in window]))))
        with open("%s/case%d.pipe" % (out, case), "w") as f:
            f.write(script)
        with open("%s/case%d.out" % (out, case), "w") as f:
            f.write("".join(l + "\n" for l in sorted(lines)))


main()
