#!/usr/bin/env bash
# wordcount.sh: the word-count benchmark (see bench/README.md).
#
# Counts the words of one generated file (Zipf-distributed, comma-separated) with streamjob and with
# the usual alternatives, checks that every tool's counts equal those of the tight C loop, and prints
# a Markdown table (also written to bench/results-wordcount.md).
#
# Environment (all optional):
#   STREAMJOB        streamjob binary (default: ../streamjob next to bench/, else streamjob in PATH)
#   BENCH_CC / CC    C compiler for gen.c, wc_tight.c, rss.c (default cc)
#   BENCH_CFLAGS     their flags (default -O2)
#   BENCH_BYTES      input size in bytes (default 100000000)
#   BENCH_RUNS       runs of the fast tools, best time kept (default 3)
#   BENCH_SLOW_RUNS  runs of the slow ones: tr|sort|uniq, python (default 1)
#   BENCH_TOOLS      the rows to run, space-separated (default: all of
#                    "tight sj-j1 sj-j2 sj-batch mawk gawk sort python"; tight always runs)
#   BENCH_DATA_DIR   cache of generated inputs (default bench/data)
#   BENCH_BUILD      build and scratch directory (default bench/build)
#   BENCH_RESULTS    where the table is written (default bench/results-wordcount.md)
#   BENCH_TIMEOUT    seconds before one run is killed (default 900; needs `timeout`)
#   BENCH_NO_PIN=1   do not pin to two CPUs with taskset
# Exit status: 0 when every tool that ran agreed with the tight loop, 1 on a MISMATCH or a tool
# failure (a streamjob that cannot run jobs yet is reported as n/a and is not a failure), 2 when the
# benchmark itself could not be set up.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
BYTES=${BENCH_BYTES:-100000000}
RUNS=${BENCH_RUNS:-3}
SLOW_RUNS=${BENCH_SLOW_RUNS:-1}
DATA_DIR=${BENCH_DATA_DIR:-$here/data}
BUILD=${BENCH_BUILD:-$here/build}
RESULTS=${BENCH_RESULTS:-$here/results-wordcount.md}
TIMEOUT_S=${BENCH_TIMEOUT:-900}
CC=${BENCH_CC:-${CC:-cc}}
CFLAGS=${BENCH_CFLAGS:--O2}
TOOLS=${BENCH_TOOLS:-tight sj-j1 sj-j2 sj-batch mawk gawk sort python}
export LC_ALL=C

die() { echo "wordcount.sh: $*" >&2; exit 2; }
note() { echo "wordcount.sh: $*" >&2; }

case $BYTES in ''|*[!0-9]*) die "BENCH_BYTES must be a number of bytes, not '$BYTES'";; esac
[ "$BYTES" -gt 0 ] || die "BENCH_BYTES must be positive"

# ---- streamjob ---------------------------------------------------------------------------------
if [ -z "${STREAMJOB:-}" ]; then
	if [ -x "$here/../streamjob" ]; then STREAMJOB=$here/../streamjob
	else STREAMJOB=$(command -v streamjob || true)
	fi
fi
if [ -n "$STREAMJOB" ] && [ -x "$STREAMJOB" ]; then
	STREAMJOB=$(cd "$(dirname "$STREAMJOB")" && pwd)/$(basename "$STREAMJOB")
elif [ -n "$STREAMJOB" ] && command -v "$STREAMJOB" >/dev/null; then
	STREAMJOB=$(command -v "$STREAMJOB")
else
	note "no streamjob binary found (set STREAMJOB); its rows will be n/a"
	STREAMJOB=
fi

# ---- build the helpers -------------------------------------------------------------------------
mkdir -p "$BUILD" "$DATA_DIR" || die "cannot create $BUILD or $DATA_DIR"
build() { # NAME [LIBS]
	local src=$here/$1.c bin=$BUILD/$1
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		note "building $1 ($CC $CFLAGS)"
		# shellcheck disable=SC2086
		$CC $CFLAGS -o "$bin.tmp" "$src" ${2:-} && mv "$bin.tmp" "$bin" || die "cannot build $1"
	fi
}
build gen -lm
build wc_tight
build rss
GEN=$BUILD/gen TIGHT=$BUILD/wc_tight RSS=$BUILD/rss

# ---- the input, generated once -----------------------------------------------------------------
if [ $((BYTES % 1000000)) -eq 0 ]; then name=words-$((BYTES / 1000000))MB.txt
else name=words-${BYTES}B.txt
fi
DATA=$DATA_DIR/$name
if [ ! -s "$DATA" ] || [ "$here/gen.c" -nt "$DATA" ]; then
	note "generating $DATA ($BYTES bytes)"
	"$GEN" "$BYTES" > "$DATA.tmp" && mv "$DATA.tmp" "$DATA" || die "cannot generate $DATA"
fi
SIZE=$(wc -c < "$DATA" | tr -d ' ')
MB=$(awk -v b="$SIZE" 'BEGIN{printf "%.1f", b/1e6}')

# ---- pinning to two CPUs -----------------------------------------------------------------------
PIN=() PIN_NOTE="not pinned (taskset not available)"
if [ "${BENCH_NO_PIN:-0}" = 1 ]; then
	PIN_NOTE="not pinned (BENCH_NO_PIN=1)"
elif command -v taskset >/dev/null 2>&1; then
	# the first two CPUs this process may run on (a container's cpuset may not start at 0)
	allowed=$(taskset -pc $$ 2>/dev/null | sed 's/.*: *//')
	cpus=$(echo "$allowed" | tr ',' '\n' | awk -F- 'NF==2{for(i=$1;i<=$2;i++) print i; next} NF==1&&$1!=""{print $1}' | head -n 2 | paste -sd, -)
	if [ -n "$cpus" ]; then
		PIN=(taskset -c "$cpus")
		PIN_NOTE="pinned to CPUs $cpus with taskset"
	fi
fi
TIMEOUT=()
if command -v timeout >/dev/null 2>&1; then TIMEOUT=(timeout "$TIMEOUT_S"); fi

LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

# ---- the rows ----------------------------------------------------------------------------------
# Each command reads the input on stdin and writes word counts on stdout; it runs under sh -c with
# these variables exported, so the strings below need no further quoting.
export SJ=$STREAMJOB TIGHT
export SJPROG='stdin | flatMap _.split(",") | map (_, 1) | reduceByKey sum | stdout'
export AWKPROG='{for(i=1;i<=NF;i++) c[$i]++} END{for(k in c) print k "\t" c[k]}'
export WC_PY=$here/wc_count.py
PY=$(command -v python3 || true)
export PY

ids=() labels=() cmds=() kinds=()
row() { ids+=("$1"); labels+=("$2"); kinds+=("$3"); cmds+=("$4"); }
# kind: fast|slow (number of runs), and what the row needs / how its output is normalised
row tight    'wc_tight (tight C loop)'          fast '"$TIGHT"'
row sj-j1    'streamjob --once -j 1'            fast '"$SJ" -q --once -j 1 -e "$SJPROG"'
row sj-j2    'streamjob --once -j 2'            fast '"$SJ" -q --once -j 2 -e "$SJPROG"'
row sj-batch 'streamjob --batch 1s -j 2'        fast '"$SJ" -q --batch 1s -j 2 -e "$SJPROG"'
row mawk     'mawk'                             fast 'mawk -F, "$AWKPROG"'
row gawk     'gawk'                             fast 'gawk -F, "$AWKPROG"'
row sort     "tr , '\\n' \\| sort \\| uniq -c"  slow "tr , '\\n' | sort | uniq -c"
row python   'python3 wc_count.py (Counter)'    slow '"$PY" "$WC_PY"'

OUT=$BUILD/out
rm -rf "$OUT" && mkdir -p "$OUT" || die "cannot create $OUT"

want() { [ "$1" = tight ] && return 0; case " $TOOLS " in *" $1 "*) return 0;; esac; return 1; }
available() { # ID -> empty when it can run, else the reason
	case $1 in
	sj-*) [ -n "$STREAMJOB" ] || echo "n/a (no streamjob binary)";;
	mawk|gawk) command -v "$1" >/dev/null 2>&1 || echo "n/a ($1 not installed)";;
	sort) for t in tr sort uniq; do command -v $t >/dev/null 2>&1 || { echo "n/a ($t not installed)"; return; }; done;;
	python) [ -n "$PY" ] || echo "n/a (python3 not installed)";;
	esac
}
normalise() { # ID RAW NORM: sorted word<TAB>count lines
	case $1 in
	sort) sed -E 's/^ *([0-9]+) (.*)$/\2\t\1/' "$2" | sort > "$3";;
	# batches: a word's count is split over the batches it occurs in; add them up
	sj-batch) awk -F'\t' '{c[$1]+=$2} END{for(k in c) printf "%s\t%d\n", k, c[k]}' "$2" | sort > "$3";;
	*) sort "$2" > "$3";;
	esac
}

declare -A T RSSKB STATUS
failed=0
for i in "${!ids[@]}"; do
	id=${ids[$i]}
	want "$id" || continue
	reason=$(available "$id")
	if [ -n "$reason" ]; then STATUS[$id]=$reason; note "$id: $reason"; continue; fi
	n=$RUNS; [ "${kinds[$i]}" = slow ] && n=$SLOW_RUNS
	note "$id: ${labels[$i]//\\|/|} ($n run(s))"
	best='' maxrss=0
	for ((r = 1; r <= n; r++)); do
		"$RSS" -o "$OUT/$id.time" "${TIMEOUT[@]}" "${PIN[@]}" sh -c "${cmds[$i]}" \
			< "$DATA" > "$OUT/$id.raw" 2> "$OUT/$id.err"
		rc=$?
		if [ $rc -ne 0 ]; then
			if [[ $id == sj-* ]] && [ $rc -eq 2 ] && grep -q 'not available' "$OUT/$id.err"; then
				STATUS[$id]="n/a (runtime not available)"
			elif [ $rc -eq 124 ] && [ ${#TIMEOUT[@]} -gt 0 ]; then
				STATUS[$id]="FAILED (timed out after ${TIMEOUT_S}s)"; failed=1
			else
				msg=$(head -n 1 "$OUT/$id.err" | cut -c1-80 | tr '|' '/')
				STATUS[$id]="FAILED (exit $rc${msg:+: $msg})"; failed=1
			fi
			note "$id: ${STATUS[$id]}"
			[ -s "$OUT/$id.err" ] && sed 's/^/    /' "$OUT/$id.err" | head -n 5 >&2
			break
		fi
		read -r secs kb _ < "$OUT/$id.time"
		note "  run $r: ${secs}s, $((kb / 1024)) MB"
		if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN{exit !(a < b)}'; then best=$secs; fi
		[ "$kb" -gt "$maxrss" ] && maxrss=$kb
	done
	[ -n "${STATUS[$id]:-}" ] && continue
	T[$id]=$best RSSKB[$id]=$maxrss
	normalise "$id" "$OUT/$id.raw" "$OUT/$id.norm"
	if [ "$id" = tight ]; then
		STATUS[$id]=reference
		WORDS=$(awk -F'\t' '{s+=$2} END{printf "%d", s}' "$OUT/tight.norm")
		DISTINCT=$(wc -l < "$OUT/tight.norm" | tr -d ' ')
	elif cmp -s "$OUT/$id.norm" "$OUT/tight.norm"; then
		STATUS[$id]=ok
	else
		STATUS[$id]=MISMATCH; failed=1
		echo "MISMATCH: $id's counts differ from wc_tight's (first differences below; files in $OUT)" >&2
		diff "$OUT/tight.norm" "$OUT/$id.norm" | head -n 10 >&2
	fi
done
[ -n "${T[tight]:-}" ] || die "the tight loop failed; no reference to compare with"

# ---- the table ---------------------------------------------------------------------------------
cpu=$(awk -F': *' '/^model name/{print $2; exit}' /proc/cpuinfo 2>/dev/null)
[ -n "$cpu" ] || cpu=$(uname -m)
sjver=
[ -n "$STREAMJOB" ] && sjver=$("$STREAMJOB" --version 2>/dev/null | head -n 1)
fmt() { awk "BEGIN{printf \"$1\", $2}"; }
tt=${T[tight]}
tm=${T[mawk]:-}
{
	echo "## Word count: streamjob vs. the usual tools"
	echo
	echo "- machine: $(nproc) CPUs (nproc), $cpu, $(uname -sr)"
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average at the start: $LOAD"
	echo "- input: \`$(basename "$DATA")\`, $SIZE bytes ($MB MB), $WORDS words, $DISTINCT distinct (bench/gen.c: Zipf s=1.0 over 100,000 pseudo-words, seed 42)"
	echo "- runs: best of $RUNS (tr/sort/uniq and python: $SLOW_RUNS); $PIN_NOTE"
	echo "- streamjob: ${sjver:-not found}; program \`$SJPROG\`"
	echo
	echo "| tool | wall s | MB/s | peak RSS MB | time / tight loop | speed-up over mawk | output |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
	for i in "${!ids[@]}"; do
		id=${ids[$i]}
		want "$id" || continue
		if [ -n "${T[$id]:-}" ]; then
			t=${T[$id]}
			mbs=$(fmt '%.0f' "$SIZE/1e6/($t > 0 ? $t : 0.001)")
			rss=$(fmt '%.1f' "${RSSKB[$id]}/1024")
			rel=$(fmt '%.2fx' "$t/($tt > 0 ? $tt : 0.001)")
			vm=—
			[ -n "$tm" ] && [ "$id" != mawk ] && vm=$(fmt '%.2fx' "$tm/($t > 0 ? $t : 0.001)")
			echo "| ${labels[$i]} | $t | $mbs | $rss | $rel | $vm | ${STATUS[$id]} |"
		else
			echo "| ${labels[$i]} | ${STATUS[$id]} | | | | | |"
		fi
	done
	echo
	echo "time / tight loop: wall time divided by wc_tight's (1.00x = as fast as the hand-written loop)."
	echo "speed-up over mawk: mawk's wall time divided by the tool's. Peak RSS is that of the largest"
	echo "single process (for tr|sort|uniq, of the largest of the three)."
	echo
	# The claims are about one worker (-j 1); two must beat one.
	if [ -n "${T[sj-j1]:-}" ]; then
		t=${T[sj-j1]}
		rel=$(fmt '%.2f' "$t/$tt")
		c2=$(awk -v r="$rel" 'BEGIN{print (r <= 1.5) ? "met" : "NOT met"}')
		line="Claims (streamjob --once -j 1): ${rel}x the tight loop's time (claim: at most 1.5x, $c2)"
		if [ -n "$tm" ]; then
			su=$(fmt '%.2f' "$tm/$t")
			c1=$(awk -v s="$su" 'BEGIN{print (s >= 4) ? "met" : "NOT met"}')
			line="$line; ${su}x faster than mawk (claim: at least 4x, $c1)"
		fi
		if [ -n "${T[sj-j2]:-}" ]; then
			c3=$(awk -v a="${T[sj-j2]}" -v b="$t" 'BEGIN{print (a < b) ? "met" : "NOT met"}')
			line="$line; -j 2 takes ${T[sj-j2]} s against ${t} s (claim: faster, $c3)"
		fi
		echo "$line."
	else
		echo "Claims: not measured — streamjob did not run (${STATUS[sj-j1]:-not selected})."
	fi
} > "$OUT/table.md"

cat "$OUT/table.md"
cp "$OUT/table.md" "$RESULTS.tmp" && mv "$RESULTS.tmp" "$RESULTS" || note "cannot write $RESULTS"
[ $failed -eq 0 ] || { echo "wordcount.sh: FAILED: see MISMATCH / FAILED above" >&2; exit 1; }
exit 0
