#!/bin/sh
# Instructions per notification of the whole pushgwd process (every thread),
# from valgrind --tool=callgrind: two pushgw-bench runs with pushgwd started
# under callgrind, SMALL and LARGE recipients; start-up and shutdown cancel
# out in (Ir(LARGE) - Ir(SMALL)) / (LARGE - SMALL). Repeatable to about 1% on
# a loaded machine, unlike CPU time (docs/performance.md).
#
#   bench/callgrind_per_notification.sh BINDIR [apns|fcm] [track_sends 0|1] [SMALL] [LARGE] ["more pushgw-bench args"]
#
# BINDIR holds pushgwd, pushgw-sim and pushgw-bench (e.g. build/bin). The
# sixth argument is passed on, e.g. "--distinct-tokens 1000" (repeat tokens).
# CALLGRIND_KEEP=DIR keeps each run's profiles in DIR/<recipients>/ for
# callgrind_annotate (use --inclusive=yes to see where a notification's work goes).
# The bench polls pushgwd's stats every STATS_MS of wall clock (default
# 2500): valgrind runs pushgwd ~50 times slower, so the default 50 ms of a
# real run would put ~50 times as many polls on each notification, a cost
# no real run (and no h2load run) has. STATS_MS=50 measures as before stop 25.
set -eu
BIN=$(cd "$1" && pwd)
PLATFORM=${2:-apns}
TRACK=${3:-1}
SMALL=${4:-5000}
LARGE=${5:-25000}
EXTRA=${6:-}
STATS_MS=${STATS_MS:-2500}
WORK=$(mktemp -d /tmp/pushgw-callgrind-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ln -s "$BIN/pushgw-sim" "$WORK/pushgw-sim"
cat > "$WORK/pushgwd" <<WRAP
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file=$WORK/callgrind.out.%p "$BIN/pushgwd" "\$@"
WRAP
chmod +x "$WORK/pushgwd"

instructions() {
  rm -f "$WORK"/callgrind.out.*
  "$BIN/pushgw-bench" --bin-dir "$WORK" --platform "$PLATFORM" --recipients "$1" --connections 4 --streams 100 \
    --track-sends "$TRACK" --stats-ms "$STATS_MS" $EXTRA > "$WORK/bench.json"
  # %.0f, not %d: mawk's %d stops at 2^31-1, which a Web Push run passes.
  grep -h '^totals:' "$WORK"/callgrind.out.* | awk '{ s += $2 } END { printf "%.0f\n", s }'
  if [ -n "${CALLGRIND_KEEP:-}" ]; then mkdir -p "$CALLGRIND_KEEP/$1" && cp "$WORK"/callgrind.out.* "$CALLGRIND_KEEP/$1/"; fi
}

small=$(instructions "$SMALL")
large=$(instructions "$LARGE")
echo "$PLATFORM track_sends=$TRACK stats_ms=$STATS_MS $EXTRA: Ir $SMALL=$small $LARGE=$large per notification: $(( (large - small) / (LARGE - SMALL) ))"
