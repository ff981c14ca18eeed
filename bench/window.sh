#!/bin/bash
# window.sh: the cost of a slide of a 60-batch window against a 1-batch one.
#
# A producer writes WIN_LINES lines (keys k0..k999) every 100 ms for
# WIN_BATCHES batches into `map (_, V) | window W | reduceByKey sum`, once
# with W = one batch and once with W = 60 batches, and once with no window
# as the baseline; the job's CPU time per batch is compared.  V is
# WIN_VALUE, 1 by default (1.0 sums doubles).  An incremental window
# combines the newest batch's partials with what it keeps of the others, a
# bounded number of combinations per key and batch, so the 60-batch window
# should cost about what the 1-batch one does.  With the default 60
# batches the 60-batch window never slides a batch out; WIN_BATCHES=180
# makes it.
set -u
cd "$(dirname "$0")"
STREAMJOB=${STREAMJOB:-../streamjob}
lines=${WIN_LINES:-50000}
batches=${WIN_BATCHES:-60}
value=${WIN_VALUE:-1}

producer() {
	python3 - "$lines" "$batches" <<'PY'
import random, sys, time
r = random.Random(7)
n, batches = int(sys.argv[1]), int(sys.argv[2])
chunk = "".join("k%d\n" % r.randint(0, 999) for _ in range(n))
for _ in range(batches):
    t0 = time.time()
    sys.stdout.write(chunk)
    sys.stdout.flush()
    time.sleep(max(0.0, 0.1 - (time.time() - t0)))
PY
}

# CPU seconds (user + system) of one run of the job on the producer's lines.
cpu() {
	local out
	out=$( { producer | /usr/bin/env time -f '%U %S' "$STREAMJOB" -q -j 1 -b 100ms -e "$1" >/dev/null; } 2>&1 | tail -1)
	awk -v u="${out% *}" -v s="${out#* }" 'BEGIN { printf "%.3f", u + s }'
}

base=$(cpu "stdin | map (_, $value) | reduceByKey sum | count | stdout")
one=$(cpu "stdin | map (_, $value) | window 100ms | reduceByKey sum | count | stdout")
sixty=$(cpu "stdin | map (_, $value) | window 6s | reduceByKey sum | count | stdout")
echo "## Window slides: 60 batches against 1 ($batches batches of $lines lines, 1000 keys, map (_, $value))"
echo
echo "| job | CPU s | per batch ms |"
echo "| --- | ---: | ---: |"
for row in "no window:$base" "window 1 batch:$one" "window 60 batches:$sixty"; do
	awk -v name="${row%%:*}" -v t="${row#*:}" -v n="$batches" \
	    'BEGIN { printf "| %s | %.3f | %.2f |\n", name, t, t * 1000 / n }'
done
echo
awk -v a="$sixty" -v b="$one" 'BEGIN { r = a / b; printf "A slide of the 60-batch window costs %.2fx one of the 1-batch window (claim: at most 1.2x, %s).\n", r, r <= 1.2 ? "met" : "NOT met" }'
