#!/bin/bash
# soak.sh: `yes a,b` into the streaming word count for SOAK_SECONDS
# (default 60) in 1 s batches, printing the job's resident memory every
# 5 s; it fails when the memory grows past SOAK_LIMIT_KB (default 200 MiB).
set -u
STREAMJOB=${STREAMJOB:-$(dirname "$0")/../streamjob}
seconds=${SOAK_SECONDS:-60}
limit=${SOAK_LIMIT_KB:-204800}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

yes a,b | "$STREAMJOB" -q -e 'stdin | flatMap _.split(",") | map (_, 1) | reduceByKey sum | print' >"$out" 2>&1 &
sleep 1
pid=$(pgrep -n -f 'streamjob -q -e stdin | flatMap' || true)
[ -n "$pid" ] || { echo "soak.sh: the job did not start"; exit 2; }
peak=0
for ((t = 5; t <= seconds; t += 5)); do
	sleep 5
	rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
	[ "${rss:-0}" -gt "$peak" ] && peak=$rss
	echo "t=${t}s rss=${rss} KiB"
done
kill -TERM "$pid"
wait "$pid" 2>/dev/null
batches=$(grep -c '^Time:' "$out")
echo "batches: $batches; peak rss: $peak KiB (limit $limit KiB)"
[ "$peak" -lt "$limit" ]
