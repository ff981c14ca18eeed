#!/bin/bash
# redis.sh: pairs per second into a Redis hash, one batch of N distinct
# keys (10k, 100k, 1M), with -j1:
#   - streamjob's redis sink, mode="incr", without a checkpoint (pipelined
#     HINCRBY) and with one (one Lua script per part, with its progress);
#   - the naive way: one redis-cli process, connection and round trip per
#     key (10k keys only: it is slow);
#   - redis-cli --pipe of the same HINCRBY commands: the bulk limit.
# Each run starts from an empty hash on a fresh redis-server (no
# persistence) and checks that the hash then holds N fields.  Best of
# REDIS_RUNS (default 3); ratios are what to compare on a shared machine.
set -u
cd "$(dirname "$0")"
. ./lib.sh
STREAMJOB=${STREAMJOB:-../streamjob}
runs=${REDIS_RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/streamjob-redisbench.XXXXXX")
port=${REDIS_PORT:-$((20000 + RANDOM % 20000))}
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$work" \
    --daemonize no --logfile "$work/redis.log" </dev/null >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
# Wait for the server to answer (at most 5 s), or give up.
up=0
for _ in $(seq 100); do
	redis-cli -p "$port" ping >/dev/null 2>&1 && { up=1; break; }
	sleep 0.05 # pacing: how often the server is asked
done
[ "$up" -eq 1 ] || { echo "redis.sh: redis-server did not start on port $port" >&2; exit 1; }
cli=(redis-cli -p "$port")

check() {	# N: the hash holds N fields
	local got
	got=$("${cli[@]}" hlen b)
	[ "$got" -eq "$1" ] || { echo "redis.sh: the hash holds $got fields, not $1" >&2; exit 1; }
}

printf '| keys per batch | streamjob incr | streamjob incr, checkpointed | redis-cli per key | redis-cli --pipe | streamjob / --pipe |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: |\n'
for n in 10000 100000 1000000; do
	seq 1 "$n" | awk '{ print "k" $1 }' >"$work/keys"
	awk '{ printf "*4\r\n$7\r\nHINCRBY\r\n$1\r\nb\r\n$%d\r\n%s\r\n$1\r\n1\r\n", length($1), $1 }' \
	    "$work/keys" >"$work/proto"
	plain=() ck=() pipe=() naive=()
	for ((r = 0; r < runs; r++)); do
		"${cli[@]}" del b >/dev/null
		t0=$(now)
		"$STREAMJOB" -q -j1 --once -e "stdin | map (_, 1) | redis(\"redis://127.0.0.1:$port\", \"b\", mode=\"incr\")" \
		    <"$work/keys" || exit 1
		plain+=("$(since "$t0")")
		check "$n"

		"${cli[@]}" del b '{b}:streamjob_progress' >/dev/null
		rm -rf "$work/ck"
		t0=$(now)
		"$STREAMJOB" -q -j1 --once -e "checkpoint \"$work/ck\"" \
		    -e "stdin | map (_, 1) | redis(\"redis://127.0.0.1:$port\", \"b\", mode=\"incr\")" \
		    <"$work/keys" || exit 1
		ck+=("$(since "$t0")")
		check "$n"

		"${cli[@]}" del b >/dev/null
		t0=$(now)
		"${cli[@]}" --pipe <"$work/proto" >/dev/null || exit 1
		pipe+=("$(since "$t0")")
		check "$n"
	done
	naive_rate="—"
	if [ "$n" -eq 10000 ]; then
		"${cli[@]}" del b >/dev/null
		t0=$(now)
		while read -r k; do "${cli[@]}" hincrby b "$k" 1 >/dev/null; done <"$work/keys"
		t1=$(now)
		check "$n"
		naive_rate=$(printf '%.0f' "$(echo "$n / ($t1 - $t0)" | bc -l)")
	fi
	bp=$(best "${plain[@]}") bc_=$(best "${ck[@]}") bpipe=$(best "${pipe[@]}")
	printf '| %d | %.0f | %.0f | %s | %.0f | %.2fx / %.2fx |\n' "$n" \
	    "$(echo "$n / $bp" | bc -l)" "$(echo "$n / $bc_" | bc -l)" "$naive_rate" \
	    "$(echo "$n / $bpipe" | bc -l)" "$(echo "$bp / $bpipe" | bc -l)" "$(echo "$bc_ / $bpipe" | bc -l)"
done
