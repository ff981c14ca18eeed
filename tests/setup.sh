# setup.sh: shared by the test drivers.  Sourced, not run.
#
# Gives set -eu, a scratch directory removed on exit, TAP output helpers
# (one "ok N - name" line per case, the plan at the end) and the paths of
# the binary and the source tree.  STREAMJOB_WRAPPER (e.g. "valgrind -q
# --error-exitcode=99 --leak-check=full") runs the binary under a tool.

set -eu

: "${SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${STREAMJOB:=$SRCDIR/streamjob}"
: "${STREAMJOB_WRAPPER:=}"
export LC_ALL=C
shopt -s nullglob

TMP=$(mktemp -d "${TMPDIR:-/tmp}/streamjob-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

tap_n=0
tap_failed=0

sj() {
	# shellcheck disable=SC2086
	$STREAMJOB_WRAPPER "$STREAMJOB" "$@"
}

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
	shift
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}

skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

# Show how two files differ, as TAP comments.
show_diff() {
	diff -u "$1" "$2" | head -40 || true
}

done_testing() {
	echo "1..$tap_n"
	exit 0
}

# Read the words of NAME.args into the arrays params (NAME=VALUE words,
# which go after the script) and opts (the other words, options and their
# values, which go before it): "-b 2s port=9" gives opts=(-b 2s).
read_args() {
	opts=()
	params=()
	if [ -f "$1" ]; then
		for w in $(cat "$1"); do
			case "$w" in
			-*) opts+=("$w") ;;
			[A-Za-z_]*=*) params+=("$w") ;;
			*) opts+=("$w") ;;
			esac
		done
	fi
}

# Run a command until it succeeds, for at most $1 seconds; status 1 if it
# never did.
wait_for() {
	local limit=$1 i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -gt $((limit * 20)) ] && return 1
		sleep 0.05
	done
	return 0
}

# A loopback TCP port nobody listens on now.
free_port() {
	python3 "$SRCDIR/tests/netpeer.py" free-port
}

# At least $2 lines in file $1?
has_lines() {
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

# The peak resident memory of process $1, in KiB.
peak_rss_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# At least $2 lines of print's elements, "(...)", in file $1?
has_lines_matching() {
	[ -f "$1" ] && [ "$(grep -c '^(' "$1")" -ge "$2" ]
}

# Does process $1 catch SIGINT (its handler is installed)?
catches_sigint() {
	local mask
	mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$mask" ] && (( 0x$mask & 2 ))
}
