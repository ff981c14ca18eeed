#!/bin/bash
# postgres.sh: pairs per second into a PostgreSQL table, one batch of N
# distinct keys (10k, 100k, 1M), with -j1:
#   - streamjob's postgres sink (upserts into a new table it creates,
#     key text PRIMARY KEY, value bigint), without a checkpoint and with one
#     (each part's progress row in the same transaction);
#   - the naive way: one psql process, connection and round trip per key
#     (INSERT ... ON CONFLICT of one row), on the first 1,000 keys of the
#     10k batch only: at ~100 keys a second the whole batch takes minutes;
#   - psql's \copy of the same pairs into the same kind of table: the bulk
#     limit (COPY inserts, it cannot upsert).
# A PostgreSQL server of its own, default settings, on a loopback port;
# each run starts from no table and checks that the table then holds N
# rows.  Best of PG_RUNS (default 3); ratios are what to compare on a
# shared machine.  PG_BIN says where initdb and pg_ctl are.
set -u
cd "$(dirname "$0")"
. ./lib.sh
STREAMJOB=${STREAMJOB:-../streamjob}
runs=${PG_RUNS:-3}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r | head -1)}
[ -x "$PG_BIN/initdb" ] || PG_BIN=$(dirname "$(command -v initdb 2>/dev/null || echo /none/initdb)")
[ -x "$PG_BIN/initdb" ] || { echo "postgres.sh: no initdb (set PG_BIN)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/streamjob-pgbench.XXXXXX")
port=${PG_PORT:-$((20000 + RANDOM % 20000))}
if [ "$(id -u)" -eq 0 ]; then
	chmod 711 "$work"
	mkdir "$work/pg" && chown postgres "$work/pg"
	as_pg() { runuser -u postgres -- "$@"; }
else
	mkdir "$work/pg"
	as_pg() { "$@"; }
fi
as_pg "$PG_BIN/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null 2>&1 ||
    { echo "postgres.sh: initdb failed" >&2; exit 1; }
trap 'as_pg "$PG_BIN/pg_ctl" -D "$work/pg/data" -m fast -w stop >/dev/null 2>&1; rm -rf "$work"' EXIT
as_pg "$PG_BIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $work/pg" start >/dev/null 2>&1 ||
    { echo "postgres.sh: the server did not start on port $port" >&2; exit 1; }
conn="host=127.0.0.1 port=$port dbname=postgres user=postgres"
sql=(psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres)

fresh() {
	"${sql[@]}" -c 'DROP TABLE IF EXISTS t, streamjob_progress' >/dev/null 2>&1
}
check() {	# N: the table holds N rows
	local got
	got=$("${sql[@]}" -c 'SELECT count(*) FROM t')
	[ "$got" -eq "$1" ] || { echo "postgres.sh: the table holds $got rows, not $1" >&2; exit 1; }
}

printf '| keys per batch | streamjob | streamjob, checkpointed | psql per key | psql \\copy | streamjob / \\copy |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: |\n'
for n in 10000 100000 1000000; do
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "key%08d\n", (i * 7919) % n }' >"$work/keys"
	awk '{ print $0 "\t1" }' "$work/keys" >"$work/pairs"
	plain=() ck=() copy=()
	for ((r = 0; r < runs; r++)); do
		fresh
		t0=$(now)
		"$STREAMJOB" -q -j1 --once -e "stdin | map (_, 1) | postgres(\"$conn\", \"t\")" \
		    <"$work/keys" || exit 1
		plain+=("$(since "$t0")")
		check "$n"
		fresh
		rm -rf "$work/ck"
		t0=$(now)
		"$STREAMJOB" -q -j1 --once -e "checkpoint \"$work/ck\"" \
		    -e "stdin | map (_, 1) | postgres(\"$conn\", \"t\")" <"$work/keys" || exit 1
		ck+=("$(since "$t0")")
		check "$n"
		fresh
		"${sql[@]}" -c 'CREATE TABLE t (key text PRIMARY KEY, value bigint)'
		t0=$(now)
		"${sql[@]}" -c "\\copy t from '$work/pairs'" || exit 1
		copy+=("$(since "$t0")")
		check "$n"
	done
	naive_rate="—"
	if [ "$n" -eq 10000 ]; then
		fresh
		"${sql[@]}" -c 'CREATE TABLE t (key text PRIMARY KEY, value bigint)'
		t0=$(now)
		head -1000 "$work/keys" | while read -r k; do
			"${sql[@]}" -c "INSERT INTO t VALUES ('$k', 1) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
		done
		t1=$(now)
		check 1000
		naive_rate=$(printf '%.0f' "$(echo "1000 / ($t1 - $t0)" | bc -l)")
	fi
	bp=$(best "${plain[@]}") bck=$(best "${ck[@]}") bcopy=$(best "${copy[@]}")
	printf '| %d | %.0f | %.0f | %s | %.0f | %.2fx / %.2fx |\n' "$n" \
	    "$(echo "$n / $bp" | bc -l)" "$(echo "$n / $bck" | bc -l)" "$naive_rate" \
	    "$(echo "$n / $bcopy" | bc -l)" "$(echo "$bp / $bcopy" | bc -l)" "$(echo "$bck / $bcopy" | bc -l)"
done
