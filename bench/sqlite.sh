#!/bin/bash
# sqlite.sh: pairs per second into SQLite with the sqlite sink, one batch
# of N distinct keys (10k, 100k, 1M), -j1, next to the sqlite3 tool's
# .import of the same pairs into the same kind of table (key TEXT PRIMARY
# KEY, value INTEGER) with the sink's settings (WAL, a 128 MiB page
# cache), the store's own bulk loader, as the limit; and, on the first
# 500 keys of the 10k only (it is slow: a process, a connection and a
# flushed transaction per pair), the naive way: one sqlite3 call per pair,
# each an upsert.
#
# The job reads the keys from a file on standard input, makes (key, 1)
# pairs and upserts them: one batch (a long batch interval; the input
# ends). Its time less the time of the same job counting the pairs
# instead (reading and pairing, no store) is the sink's: both figures are
# printed, best of RUNS.
set -u
cd "$(dirname "$0")"
. ./lib.sh
STREAMJOB=${STREAMJOB:-../streamjob}
runs=${SQ_RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/streamjob-sqbench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Best wall time of $runs runs of "$@" (a fresh database each run).
best_run() {
	local times=() t0
	for ((r = 0; r < runs; r++)); do
		rm -f "$work/b.db" "$work/b.db-wal" "$work/b.db-shm"
		t0=$(now)
		"$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
		times+=("$(since "$t0")")
	done
	best "${times[@]}"
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

NAIVE_KEYS=500
naive() {
	sqlite3 "$work/b.db" 'PRAGMA journal_mode=WAL' \
	    'CREATE TABLE t (key TEXT PRIMARY KEY, value INTEGER)' >/dev/null
	while read -r k; do
		sqlite3 "$work/b.db" "INSERT INTO t VALUES ('$k', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1"
	done < <(head -n "$NAIVE_KEYS" "$work/keys")
}

printf '%-9s %12s %12s %14s %14s %8s %14s\n' keys "job s" "count s" "sink pairs/s" "import pairs/s" ratio \
    "naive pairs/s"
for n in 10000 100000 1000000; do
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "key%08d\n", (i * 7919) % n }' >"$work/keys"
	awk '{ print $0 "\t1" }' "$work/keys" >"$work/pairs"
	tj=$(best_run sink_job)
	[ "$(sqlite3 "$work/b.db" 'SELECT count(*) FROM t')" = "$n" ] || { echo "sink: wrong row count" >&2; exit 1; }
	tc=$(best_run count_job)
	ti=$(best_run import_tool)
	[ "$(sqlite3 "$work/b.db" 'SELECT count(*) FROM t')" = "$n" ] || { echo "import: wrong row count" >&2; exit 1; }
	sink=$(echo "$n / ($tj - $tc)" | bc -l)
	imp=$(echo "$n / $ti" | bc -l)
	nv="-"
	if [ "$n" -eq 10000 ]; then
		rm -f "$work/b.db" "$work/b.db-wal" "$work/b.db-shm"
		t0=$(now)
		naive
		t1=$(now)
		[ "$(sqlite3 "$work/b.db" 'SELECT count(*) FROM t')" = "$NAIVE_KEYS" ] ||
		    { echo "naive: wrong row count" >&2; exit 1; }
		nv=$(printf '%.0f' "$(echo "$NAIVE_KEYS / ($t1 - $t0)" | bc -l)")
	fi
	printf '%-9s %12.3f %12.3f %14.0f %14.0f %8.2f %14s\n' "$n" "$tj" "$tc" "$sink" "$imp" \
	    "$(echo "$imp / $sink" | bc -l)" "$nv"
done
