# lib.sh: what the bench scripts share.  Sourced, not run.

# The wall clock in seconds, to the nanosecond.
now() { date +%s.%N; }
# since T0: the seconds from T0 (a now) to now.
since() { echo "$(now) - $1" | bc -l; }
# best TIMES...: the smallest.
best() { printf '%s\n' "$@" | sort -g | head -1; }
