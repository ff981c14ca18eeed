# setup.sh: shared by the test drivers.  Sourced, not run.
#
# Gives set -eu, a scratch directory removed on exit, TAP output helpers
# (one "ok N - name" line per case, the plan at the end) and the paths of
# the binary and the source tree.  STREAMJOB_WRAPPER (e.g. "valgrind -q
# --error-exitcode=99 --leak-check=full") runs the binary under a tool:
# every run goes through sj (a function) or "$SJ" (the same as a file, for
# background jobs, timeout(1), script(1) and other programs), never
# "$STREAMJOB" itself.  TIMEOUT_SCALE (a whole number, 1 if not set)
# multiplies every wait's limit, for slow tools.  Under CI=true a case
# skipped for a missing tool fails instead.

set -eu

: "${SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${STREAMJOB:=$SRCDIR/streamjob}"
: "${STREAMJOB_WRAPPER:=}"
: "${TIMEOUT_SCALE:=1}"
export LC_ALL=C
shopt -s nullglob

case $TIMEOUT_SCALE in
''|*[!0-9]*|0*)
	echo "Bail out! TIMEOUT_SCALE must be a whole number from 1, not '$TIMEOUT_SCALE'"
	exit 1 ;;
esac

TMP=$(mktemp -d "${TMPDIR:-/tmp}/streamjob-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# The binary under the wrapper, as an executable that becomes it (exec):
# "$SJ" & gives the job's own process id in $!, for signals.
mkdir "$TMP/bin"
SJ=$TMP/bin/streamjob
{
	echo '#!/bin/sh'
	printf 'exec %s %q "$@"\n' "$STREAMJOB_WRAPPER" "$STREAMJOB"
} >"$SJ"
chmod +x "$SJ"

tap_n=0
tap_failed=0

sj() {
	# shellcheck disable=SC2086
	$STREAMJOB_WRAPPER "$STREAMJOB" "$@"
}

# A case passes only if no wait in it timed out (see await): ok then
# reports the case as failed, with what was waited for.
ok() {
	if [ -n "$timed_out" ]; then
		not_ok "$1"
		return
	fi
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
	shift
	if [ -n "$timed_out" ]; then
		set -- "$timed_out" "$@"
		timed_out=
	fi
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}

# A case that cannot run here (a tool is missing).  Under CI=true, where
# every tool should be installed, it fails instead, with the reason.
skip() {
	if [ "${CI:-}" = true ]; then
		not_ok "$1" "not run under CI=true: $2"
		return
	fi
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

# Show how two files differ, as TAP comments.
show_diff() {
	diff -u "$1" "$2" | head -40 || true
}

done_testing() {
	if [ -n "$timed_out" ]; then
		not_ok "no wait timed out after the last case"
	fi
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

# A limit in seconds, scaled by TIMEOUT_SCALE: for timeout(1).
scaled() {
	echo $(($1 * TIMEOUT_SCALE))
}

# Run a command until it succeeds, for at most $1 seconds (scaled); status
# 1 if it never did.  For a wait whose outcome the case tests itself; a
# step that must happen is waited for with await.
wait_for() {
	local limit=$(($1 * TIMEOUT_SCALE)) i=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -gt $((limit * 20)) ] && return 1
		sleep 0.05
	done
	return 0
}

# await LIMIT WHAT COMMAND...: wait as wait_for does for a step the case
# needs.  If it times out, the case fails (ok turns into not_ok) saying it
# timed out waiting for WHAT; the later waits of that case then return at
# once.  Always status 0, so a script under set -e goes on to its check.
timed_out=
await() {
	local limit=$1 what=$2
	shift 2
	[ -z "$timed_out" ] || return 0
	if ! wait_for "$limit" "$@"; then
		timed_out="timed out after $(scaled "$limit") s waiting for $what"
	fi
	return 0
}

# await_probe LIMIT WHAT PROBE COMMAND...: for a job whose readiness shows
# only in what it does with input: run the shell text PROBE (which gives
# the job some), wait up to a second (scaled) for COMMAND, and again, until
# LIMIT seconds have passed.  A timeout fails the case as with await.
await_probe() {
	local limit=$1 what=$2 probe=$3 i
	shift 3
	[ -z "$timed_out" ] || return 0
	for ((i = 0; i < limit; i++)); do
		eval "$probe"
		wait_for 1 "$@" && return 0
	done
	timed_out="timed out after $(scaled "$limit") s waiting for $what"
	return 0
}

# Has process $1 ended (and been reaped)?
exited() {
	! kill -0 "$1" 2>/dev/null
}

# Send job $1 the signal $2 (TERM if not given), wait for it to end (at
# most 30 s, scaled; a job that does not is killed and the case fails) and
# set status to its exit status.
stop_job() {
	local pid=$1 sig=${2:-TERM}
	kill -"$sig" "$pid" 2>/dev/null || true
	await 30 "process $pid to end after SIG$sig" exited "$pid"
	exited "$pid" || kill -KILL "$pid" 2>/dev/null || true
	status=0
	wait "$pid" || status=$?
}

# Wait for job $1 to end by itself (at most $2 seconds, scaled; then it is
# killed and the case fails); status is set to its exit status.
end_job() {
	local pid=$1
	await "$2" "process $pid to end" exited "$pid"
	exited "$pid" || kill -KILL "$pid" 2>/dev/null || true
	status=0
	wait "$pid" || status=$?
}

# Is a socket listening on loopback TCP port $1?  (Read from the kernel's
# table, without connecting: a connection would be a client to the peer.)
listening() {
	local hex
	hex=$(printf ':%04X' "$1")
	awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
	    END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# PostgreSQL's server programs (initdb, pg_ctl), for the cases that start
# a server: PG_BIN if set, else the newest of Debian's, else where initdb
# is on PATH; nothing when there are none.
pg_bin_dir() {
	local d
	if [ -n "${PG_BIN:-}" ]; then
		echo "$PG_BIN"
		return
	fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
		[ -x "$d/initdb" ] && { echo "$d"; return; }
	done
	if command -v initdb >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
	fi
}

# as_pg COMMAND...: run as the user postgres when the test runs as root
# (the server refuses root; that user must then reach the scratch
# directory: chmod 711), else as it is.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# The wall clock in milliseconds; has it reached $1?  (A duration a case
# asks for -- an outage of 5 s -- is awaited as this condition.)
now_ms() {
	date +%s%3N
}
past() {
	[ "$(now_ms)" -ge "$1" ]
}

# Is nothing left unread in the pipe open on this shell's descriptor $1
# (the reader has taken all that was written)?
pipe_empty() {
	[ "$(pipe_bytes "$1")" -eq 0 ]
}

# Has something been written into the pipe on descriptor $1?
pipe_written() {
	[ "$(pipe_bytes "$1")" -gt 0 ]
}

pipe_bytes() {
	python3 -c 'import array, fcntl, sys, termios
b = array.array("i", [0])
fcntl.ioctl(int(sys.argv[1]), termios.FIONREAD, b)
print(b[0])' "$1"
}

# Follow the peak resident memory of job $1 until it ends (at most $2
# seconds, scaled; then it is killed and the case fails): sets peak (KiB)
# and status.
watch_peak() {
	local pid=$1 limit=$(($2 * TIMEOUT_SCALE * 10)) i=0 rss
	peak=0
	while kill -0 "$pid" 2>/dev/null; do
		rss=$(peak_rss_kb "$pid")
		[ -n "$rss" ] && [ "$rss" -gt "$peak" ] && peak=$rss
		i=$((i + 1))
		if [ "$i" -gt "$limit" ]; then
			[ -n "$timed_out" ] ||
			    timed_out="timed out after $(scaled "$2") s waiting for process $pid to end"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.1	# sampling interval, not a wait
	done
	status=0
	wait "$pid" || status=$?
}

# Is a peak resident size of $1 KiB under the bound $2 KiB?  Under a
# wrapper the size measured is mostly the tool's (valgrind's shadow
# memory), so the bound holds by default there.
rss_within() {
	[ -n "$STREAMJOB_WRAPPER" ] || [ "$1" -lt "$2" ]
}

# Is the signal numbered $2 pending for process $1 (sent, not yet taken)?
signal_pending() {
	local mask m
	mask=$(awk '/^(SigPnd|ShdPnd):/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	for m in $mask; do
		(( 0x$m & (1 << ($2 - 1)) )) && return 0
	done
	return 1
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
