#!/bin/bash
# checkpoint.sh: what checkpoints cost.
#
# 1. Throughput of a word count kept in `state sum` over 1,000,000 keys, at
#    1 s batches, reading files (files(): positions only, no journal of the
#    data), without and with a checkpoint after every batch.
# 2. The same job on standard input from a pipe, whose records the journal
#    keeps (written, and flushed once per block interval): the disk bounds it.
# 3. The per-batch cost of a checkpoint of a 10,000,000-key state where 1 %
#    (and 10 %) of the keys change per batch (ckpt_state).
# Ratios are printed: absolute times drift on a shared machine.
set -u
cd "$(dirname "$0")"
STREAMJOB=${STREAMJOB:-../streamjob}
CKPT_STATE=${CKPT_STATE:-./ckpt_state}
files=${CK_FILES:-20}
per=${CK_LINES:-200000}
runs=${CK_RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/streamjob-ckbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
total=$((files * per))

# Lines of five words, each one of 1,000,000 keys (a fixed seed).
mkdir -p "$work/in"
for ((f = 0; f < files; f++)); do
	awk -v n="$per" -v seed=$((f + 1)) 'BEGIN { srand(seed); for (i = 0; i < n; i++)
		printf "k%d k%d k%d k%d k%d\n", rand() * 1e6, rand() * 1e6, rand() * 1e6, rand() * 1e6, rand() * 1e6 }' \
	    >"$work/in/part-$(printf %03d "$f")"
done

counted() {
	awk '{ s += $1 } END { print s + 0 }' "$work/out" 2>/dev/null
}

# Seconds until the job (script $1) has read every line of the files.
run_files() {
	local t0 t1 pid
	rm -rf "$work/ck" "$work/out"
	t0=$(date +%s.%N)
	"$STREAMJOB" -q -e "$1" >"$work/out" &
	pid=$!
	while [ "$(counted)" -lt "$total" ]; do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02 # pacing: how often the finish line is looked at
	done
	t1=$(date +%s.%N)
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

# Seconds for the job (script $1) to read all the files on a pipe, to its end.
run_pipe() {
	local t0 t1
	rm -rf "$work/ck"
	t0=$(date +%s.%N)
	cat "$work"/in/part-* | "$STREAMJOB" -q -e "$1" >/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

job='batch 1s
let lines = SOURCE
lines | flatMap _.split(" ") | map (_, 1) | reduceByKey sum | state sum | count | stdout
lines | count | stdout'
ck='checkpoint "'"$work"'/ck"'
progress_job=${job/SOURCE/files(\"$work/in\")}
pipe_job=$(printf '%s\n' "$job" | sed '$d')
pipe_job=${pipe_job/SOURCE/stdin}

plain=() with=() pplain=() pwith=()
for ((r = 0; r < runs; r++)); do
	plain+=("$(run_files "$progress_job")")
	with+=("$(run_files "$ck
$progress_job")")
	pplain+=("$(run_pipe "$pipe_job")")
	pwith+=("$(run_pipe "$ck
$pipe_job")")
done
# The progress pipeline counts lines too: the finish line is total twice.
p=$(median "${plain[@]}") w=$(median "${with[@]}")
pp=$(median "${pplain[@]}") pw=$(median "${pwith[@]}")
echo "## Checkpoint cost: word count into state sum, 1,000,000 keys, 1 s batches"
echo
echo "$files files of $per lines (5 words each), median of $runs runs."
echo
echo "| input | no checkpoint s | checkpoint every batch s | throughput kept |"
echo "| --- | ---: | ---: | ---: |"
awk -v p="$p" -v w="$w" 'BEGIN { printf "| files() | %.2f | %.2f | %.0f %% |\n", p, w, 100 * p / w }'
awk -v p="$pp" -v w="$pw" 'BEGIN { printf "| stdin from a pipe (journaled) | %.2f | %.2f | %.0f %% |\n", p, w, 100 * p / w }'
echo
echo "## Checkpoint cost of a large state, per batch"
echo
"$CKPT_STATE" "${CK_KEYS:-10000000}" 9
