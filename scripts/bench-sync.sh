#!/bin/sh
# bench-sync.sh — the performance targets of `orgctl scim sync` (issue 13),
# measured in one run, offline, and printed against their targets:
#
#   (a) initial sync of 10,000 users in 30 groups to the in-process SCIM
#       server, throughput as a ratio of a plain Go loop posting the same
#       payloads at the same concurrency (BenchmarkInitialSync10k)
#   (b) re-sync of 100,000 unchanged users: writes and time, in the library
#       (BenchmarkResync100k) and through the CLI (the whole `orgctl scim
#       sync` process, reading the CSV included)
#   (c) peak RSS of the `orgctl scim sync` process over an initial sync and
#       a re-sync of a 1,000,000-user CSV
#   (d) requests per user, initial sync and re-sync
#
# The CLI runs go to nullscim (provision/provisiontest/nullscim), a SCIM
# service that accepts every write and keeps nothing: the client's time and
# memory are what is measured, and a service holding a million users would
# take minutes. Sources come from provisiontest (gensource).
#
# Usage: scripts/bench-sync.sh   (or make bench-sync)
#   BENCH_SYNC_USERS_C=1000000   users of (c)
#   BENCH_SYNC_USERS_B=100000    users of (b) through the CLI
#   BENCH_SYNC_COUNT=5           runs of each side of (a); the fastest of each
#                                gives the ratio (the others measure the neighbours)
set -eu

GO=${GO:-go}
USERS_C=${BENCH_SYNC_USERS_C:-1000000}
USERS_B=${BENCH_SYNC_USERS_B:-100000}
COUNT=${BENCH_SYNC_COUNT:-5}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-sync.XXXXXX")
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

say() { printf '%s\n' "$*" >&2; }

say "building orgctl, gensource, nullscim…"
$GO build -o "$tmp/orgctl" ./cmd/orgctl
$GO build -o "$tmp/gensource" ./provision/provisiontest/gensource
$GO build -o "$tmp/nullscim" ./provision/provisiontest/nullscim

# --- (a), (b) library, (d) initial: the benchmarks of provision ---------
say "(a) BenchmarkInitialSync10k, $COUNT runs a side; (b) BenchmarkResync100k…"
$GO test -c -o "$tmp/provision.test" ./provision/
# Run from the package's directory, as go test does.
(cd provision && "$tmp/provision.test" -test.run '^$' -test.bench '^BenchmarkInitialSync10k$' -test.benchtime "${COUNT}x" &&
	"$tmp/provision.test" -test.run '^$' -test.bench '^BenchmarkResync100k$' -test.benchtime 1x) >"$tmp/bench.txt"
# metric NAME BENCH: the mean of the value printed before unit NAME.
metric() {
	awk -v unit="$1" -v bench="$2" '$1 ~ "^"bench"(-[0-9]+)?$" {
		for (i = 2; i < NF; i++) if ($(i+1) == unit) { s += $i; n++ } }
		END { if (n) printf "%.3g", s / n; else print "?" }' "$tmp/bench.txt"
}
ratio=$(metric ratio BenchmarkInitialSync10k)
users_s=$(metric users/s BenchmarkInitialSync10k)
req_user_a=$(metric req/user BenchmarkInitialSync10k)
resync_ns=$(metric ns/op BenchmarkResync100k)
resync_s=$(awk -v ns="$resync_ns" 'BEGIN { printf "%.2f", ns / 1e9 }')
resync_writes=$(metric writes BenchmarkResync100k)
resync_requests=$(metric requests BenchmarkResync100k)

# --- the CLI runs against nullscim ---------------------------------------
"$tmp/nullscim" >"$tmp/url" 2>"$tmp/nullscim.err" &
server=$!
i=0
until [ -s "$tmp/url" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || { say "nullscim did not start"; exit 1; }
	sleep 0.1
done
export ORGCTL_SCIM_URL="$(cat "$tmp/url")" ORGCTL_SCIM_TOKEN=bench-token NO_COLOR=1

# run NAME ARGS…: runs orgctl ARGS with -o json, keeping the summary in
# $tmp/NAME.json, and sets rss (KiB, peak) and secs (wall clock).
run() {
	name=$1; shift
	start=$(date +%s.%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -v -o "$tmp/$name.time" "$tmp/orgctl" "$@" -o json >"$tmp/$name.json" 2>"$tmp/$name.err" || {
			say "orgctl $* failed:"; cat "$tmp/$name.err" >&2; exit 1; }
		rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/$name.time")
	else
		# No GNU time: sample VmHWM (monotonic) from /proc until the end.
		"$tmp/orgctl" "$@" -o json >"$tmp/$name.json" 2>"$tmp/$name.err" &
		pid=$! rss=0
		while h=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null) && [ -n "$h" ]; do
			rss=$h; sleep 0.05
		done
		wait $pid || { say "orgctl $* failed:"; cat "$tmp/$name.err" >&2; exit 1; }
	fi
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
}
# field NAME KEY: a number of the JSON summary of run NAME.
field() { grep -o "\"$2\": *[0-9]*" "$tmp/$1.json" | head -1 | tr -dc 0-9; }

say "(b) CLI: $USERS_B users, initial sync then re-sync…"
"$tmp/gensource" -users "$USERS_B" -o "$tmp/b.csv"
run b_initial scim sync "$tmp/b.csv" --verified-domain example.com --state-dir "$tmp/state-b"
b_users=$(field b_initial created)
b_initial_req=$(field b_initial requests)
run b_resync scim sync "$tmp/b.csv" --verified-domain example.com --state-dir "$tmp/state-b"
b_secs=$secs b_writes=$(field b_resync writes) b_req=$(field b_resync requests)

say "(c) CLI: $USERS_C users, initial sync then re-sync (peak RSS)…"
"$tmp/gensource" -users "$USERS_C" -o "$tmp/c.csv"
run c_initial scim sync "$tmp/c.csv" --verified-domain example.com --state-dir "$tmp/state-c"
c_rss_initial=$rss c_secs_initial=$secs c_users=$(field c_initial created) c_initial_req=$(field c_initial requests)
run c_resync scim sync "$tmp/c.csv" --verified-domain example.com --state-dir "$tmp/state-c"
c_rss_resync=$rss c_secs_resync=$secs c_resync_writes=$(field c_resync writes)

mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
per() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b ? a / b : 0 }'; }
ok() { if awk "BEGIN { exit !($1) }"; then echo ok; else echo MISSED; fi; }

printf '\n%-58s %-22s %-10s %s\n' "orgctl scim sync (issue 13)" "measured" "target" ""
printf '%-58s %-22s %-10s %s\n' "(a) initial 10k: throughput / plain Go loop (best of $COUNT)" "$ratio" ">= 0.8" "$(ok "$ratio >= 0.8")"
printf '%-58s %-22s %-10s\n' "    sync users/s (in-process server)" "$users_s" ""
printf '%-58s %-22s %-10s %s\n' "(b) re-sync 100k unchanged, library: writes" "$resync_writes" "0" "$(ok "$resync_writes == 0")"
printf '%-58s %-22s %-10s %s\n' "    time (s)" "$resync_s" "<= 5" "$(ok "$resync_s <= 5")"
printf '%-58s %-22s %-10s %s\n' "(b) re-sync $USERS_B unchanged, CLI process: writes" "$b_writes" "0" "$(ok "$b_writes == 0")"
printf '%-58s %-22s %-10s %s\n' "    time (s), reading the CSV included" "$b_secs" "<= 5" "$(ok "$b_secs <= 5")"
printf '%-58s %-22s %-10s %s\n' "(c) $USERS_C users, initial sync: peak RSS (MiB)" "$(mib "$c_rss_initial") (${c_secs_initial} s)" "<= 150" "$(ok "$c_rss_initial <= 150 * 1024")"
printf '%-58s %-22s %-10s %s\n' "    re-sync: peak RSS (MiB)" "$(mib "$c_rss_resync") (${c_secs_resync} s)" "<= 150" "$(ok "$c_rss_resync <= 150 * 1024")"
printf '%-58s %-22s %-10s %s\n' "    re-sync writes" "$c_resync_writes" "0" "$(ok "$c_resync_writes == 0")"
printf '%-58s %-22s %-10s\n' "(d) requests/user, initial 10k (in-process server)" "$req_user_a" "printed"
printf '%-58s %-22s %-10s\n' "    initial $USERS_B / $USERS_C (CLI)" "$(per "$b_initial_req" "$b_users") / $(per "$c_initial_req" "$c_users")" "printed"
printf '%-58s %-22s %-10s\n' "    re-sync 100k (library) / $USERS_B (CLI)" "$(per "$resync_requests" 100000) / $(per "$b_req" "$b_users")" "printed"
