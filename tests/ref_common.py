"""ref_common.py: what the window reference scripts (window_ref.py,
evtime_ref.py) share: the reducers every window case may use, with what
each computes over a window's values, and the print form of a number."""

REDUCERS = [
    ("sum", lambda vs: sum(vs)),
    ("count", lambda vs: len(vs)),
    ("min", lambda vs: min(vs)),
    ("max", lambda vs: max(vs)),
    ("avg", lambda vs: sum(vs) / len(vs)),
    ("first", lambda vs: vs[0]),
    ("last", lambda vs: vs[-1]),
    ("(a, b) => a + b", lambda vs: sum(vs)),
]


def fmt(v):
    if isinstance(v, float):
        return repr(v)
    return str(v)
