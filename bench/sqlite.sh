#!/bin/bash
# sqlite.sh: pairs per second into SQLite with the sqlite sink, one batch
# of N distinct keys (10k, 100k, 1M), -j1, next to the sqlite3 tool's
# .import of the same pairs into the same kind of table (key TEXT PRIMARY
# KEY, value INTEGER) with the sink's settings (WAL, a 128 MiB page
# cache), the store's own bulk loader, as the limit.
#
# The job reads the keys from a file on standard input, makes (key, 1)
# pairs and upserts them: one batch (a long batch interval; the input
# ends). Its time less the time of the same job counting the pairs
# instead (reading and pairing, no store) is the sink's: both figures are
# printed, best of RUNS.
set -u
cd "$(dirname "$0")"
STREAMJOB=${STREAMJOB:-../streamjob}
runs=${SQ_RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/streamjob-sqbench.XXXXXX")
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }

# Best wall time of $runs runs of "$@" (a fresh database each run).
best() {
	local b= t0 t1 t
	for ((r = 0; r < runs; r++)); do
		rm -f "$work/b.db" "$work/b.db-wal" "$work/b.db-shm"
		t0=$(now)
		"$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
		t1=$(now)
		t=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}

sink_job() {
	"$STREAMJOB" -j1 -q -b 600s -e 'stdin | map (_, 1) | sqlite("'"$work"'/b.db", "t")' <"$work/keys"
}
count_job() {
	"$STREAMJOB" -j1 -q -b 600s -e 'stdin | map (_, 1) | count | print' <"$work/keys"
}
import_tool() {
	sqlite3 "$work/b.db" 'PRAGMA journal_mode=WAL' 'PRAGMA cache_size=-131072' \
	    'CREATE TABLE t (key TEXT PRIMARY KEY, value INTEGER)' '.mode tabs' ".import $work/pairs t"
}

printf '%-9s %12s %12s %14s %14s %8s\n' keys "job s" "count s" "sink pairs/s" "import pairs/s" ratio
for n in 10000 100000 1000000; do
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "key%08d\n", (i * 7919) % n }' >"$work/keys"
	awk '{ print $0 "\t1" }' "$work/keys" >"$work/pairs"
	tj=$(best sink_job)
	[ "$(sqlite3 "$work/b.db" 'SELECT count(*) FROM t')" = "$n" ] || { echo "sink: wrong row count" >&2; exit 1; }
	tc=$(best count_job)
	ti=$(best import_tool)
	[ "$(sqlite3 "$work/b.db" 'SELECT count(*) FROM t')" = "$n" ] || { echo "import: wrong row count" >&2; exit 1; }
	sink=$(echo "$n / ($tj - $tc)" | bc -l)
	imp=$(echo "$n / $ti" | bc -l)
	printf '%-9s %12.3f %12.3f %14.0f %14.0f %8.2f\n' "$n" "$tj" "$tc" "$sink" "$imp" \
	    "$(echo "$imp / $sink" | bc -l)"
done
