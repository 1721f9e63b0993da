#!/usr/bin/env bash
# bench.sh — whole-process benchmarks of orgctl against local servers (issue 12).
#
# Starts BIND 9 (authoritative, 127.0.0.1:$AUTH_PORT) and a validating Unbound
# (127.0.0.1:$RES_PORT) under a temporary directory, builds two workloads and
# prints each measurement with its ratio against the baseline measured in the
# same run:
#   (a) one `orgctl verify dns` against one `dig` through the same resolver
#   (b) shape A (N names under one DNSSEC-signed wildcard zone) and shape B
#       (N names over N/10 unsigned zones), names/s, against
#       `xargs -P 64 -n 50 dig` and against one dig per name (a loop, on
#       SEQ_N names: a dig process costs ~10 ms, so N of them would dominate
#       the run), and against a bare lookup, zdns's work (scripts/barelookup:
#       one TXT query a name, 100 threads; zdns itself too when on PATH)
#   (c) `orgctl version` start-up against a minimal cobra + viper binary
#   (d) peak RSS of orgctl verify dns for RSS_N names
# Offline; stops its servers on exit. Usage: scripts/bench.sh [ORGCTL_BIN]
# Environment: N (10000), SEQ_N (300), RSS_N (100000), START_REPS (200), CONCURRENCY (orgctl's
# default), AUTH_PORT (5391), RES_PORT (5392), KEEP=1 keeps the directory,
# SERVE=1 only starts the servers and waits (for profiling by hand).
set -euo pipefail

ORGCTL=${1:-bin/orgctl}
N=${N:-10000}
SEQ_N=${SEQ_N:-300}
RSS_N=${RSS_N:-100000}
AUTH_PORT=${AUTH_PORT:-5391}
RES_PORT=${RES_PORT:-5392}
CODE=logmein-verification-code=668e156b-f5d3-430e-9944-f1d4385d043e
UUID=${CODE#*=}
PATH=$PATH:/usr/sbin:/sbin
ORGCTL=$(realpath "$ORGCTL")
MINIMAL=$(realpath "${MINIMAL:-bin/cobraviper}")
BARE=$(realpath "${BARE:-bin/barelookup}")

for bin in named unbound dig dnssec-keygen dnssec-signzone dnssec-dsfromkey /usr/bin/time; do
	command -v "$bin" >/dev/null || { echo "bench: $bin is missing: run 'make deps'" >&2; exit 1; }
done

W=$(mktemp -d /tmp/orgctl-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ "${KEEP:-}" = 1 ] && echo "bench: kept $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT

now() { date +%s.%N; }
# rate N START END: names per second
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# ---- zones -------------------------------------------------------------------------------
mkdir -p "$W/bind" "$W/unbound"
ZONES=$((N / 10))
{
	echo "\$TTL 3600"
	echo "@ IN SOA ns1.a.bench. h.a.bench. ( 1 3600 600 86400 300 )"
	echo "@ IN NS ns1.a.bench."
	echo "ns1 IN A 127.0.0.1"
	echo "* IN TXT \"$CODE\""
} >"$W/bind/a.bench.db"
(
	cd "$W/bind"
	dnssec-keygen -q -a ECDSAP256SHA256 -f KSK -n ZONE a.bench. >/dev/null
	dnssec-keygen -q -a ECDSAP256SHA256 -n ZONE a.bench. >/dev/null
	for k in Ka.bench.*.key; do echo "\$INCLUDE $k" >>a.bench.db; done
	dnssec-signzone -q -o a.bench. -f a.bench.db.signed a.bench.db >/dev/null
	dnssec-dsfromkey -2 "$(grep -l 257 Ka.bench.*.key)" >"$W/unbound/ds"
)
cat >"$W/bind/named.conf" <<EOF
options {
	directory "$W/bind"; pid-file "$W/bind/named.pid"; session-keyfile "$W/bind/session.key";
	listen-on port $AUTH_PORT { 127.0.0.1; }; listen-on-v6 { none; };
	recursion no; dnssec-validation no; notify no; max-udp-size 1232;
};
controls { };
zone "a.bench." { type primary; file "a.bench.db.signed"; };
EOF
for ((z = 0; z < ZONES; z++)); do
	zn=z$z.b.bench
	{
		echo "\$TTL 3600"
		echo "@ IN SOA ns1.$zn. h.$zn. ( 1 3600 600 86400 300 )"
		echo "@ IN NS ns1.$zn."
		echo "ns1 IN A 127.0.0.1"
		for ((i = 0; i < 10; i++)); do echo "n$i IN TXT \"$CODE\""; done
	} >"$W/bind/$zn.db"
	echo "zone \"$zn.\" { type primary; file \"$zn.db\"; };" >>"$W/bind/named.conf"
done

cat >"$W/unbound/unbound.conf" <<EOF
server:
	interface: 127.0.0.1
	port: $RES_PORT
	do-ip6: no
	so-reuseport: no
	num-threads: 1
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	chroot: ""
	username: ""
	directory: "$W/unbound"
	pidfile: "$W/unbound/unbound.pid"
	logfile: "$W/unbound/unbound.log"
	use-syslog: no
	module-config: "validator iterator"
	trust-anchor-file: "$W/unbound/ds"
	msg-cache-size: 64m
	rrset-cache-size: 128m
stub-zone:
	name: "a.bench."
	stub-addr: 127.0.0.1@$AUTH_PORT
EOF
# Each of shape B's zones is a stub of its own: a referral could not name
# the authoritative server's port.
for ((z = 0; z < ZONES; z++)); do
	printf 'stub-zone:\n\tname: "z%d.b.bench."\n\tstub-addr: 127.0.0.1@%d\n' "$z" "$AUTH_PORT"
done >>"$W/unbound/unbound.conf"

named -g -4 -c "$W/bind/named.conf" >"$W/bind/named.out" 2>&1 &
pids+=($!)
named_pid=$!
unbound -d -c "$W/unbound/unbound.conf" >"$W/unbound/unbound.out" 2>&1 &
pids+=($!)
unbound_pid=$!
for _ in $(seq 100); do
	if dig +time=1 +tries=1 @127.0.0.1 -p "$RES_PORT" TXT x.a.bench +short 2>/dev/null | grep -q logmein; then break; fi
	sleep 0.1
done
dig +time=1 +tries=1 @127.0.0.1 -p "$RES_PORT" TXT x.a.bench | grep -q "flags:.* ad" ||
	{ echo "bench: the resolver does not validate a.bench" >&2; cat "$W/bind/named.out" "$W/unbound/unbound.log" >&2; exit 1; }

for ((i = 0; i < N; i++)); do echo "h$i.a.bench"; done >"$W/a.txt"
for ((z = 0; z < ZONES; z++)); do for ((i = 0; i < 10; i++)); do echo "n$i.z$z.b.bench"; done; done >"$W/b.txt"
for ((i = 0; i < RSS_N; i++)); do echo "r$i.a.bench"; done >"$W/rss.txt"

if [ "${SERVE:-}" = 1 ]; then
	# For profiling by hand: the servers and lists stay until interrupted.
	echo "bench: serving; resolver 127.0.0.1:$RES_PORT, authoritative 127.0.0.1:$AUTH_PORT, lists in $W" >&2
	wait
fi

# No config file of the user's (it would change what (c) measures); the CPUs this run may use,
# for pinning the resolver in (b).
export XDG_STATE_HOME=$W/state XDG_CONFIG_HOME=$W/config ORGCTL_RESOLVER=127.0.0.1:$RES_PORT ORGCTL_NS_PORT=$AUTH_PORT
unset ORGCTL_CONFIG
allowed=$(awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status)
mapfile -t cpus < <(echo "$allowed" | awk -F, '{ for (i = 1; i <= NF; i++) { n = split($i, r, "-"); if (n == 2) { for (c = r[1]; c <= r[2]; c++) print c } else print r[1] } }')
DIG=(dig +time=2 +tries=3 +short @127.0.0.1 -p "$RES_PORT" TXT)
orgctl_bulk() { "$ORGCTL" verify dns - --code "$UUID" -o jsonl ${CONCURRENCY:+--concurrency "$CONCURRENCY"} "$@"; }

# count FILE: "verified/total, errors E"
count() {
	local v e t
	v=$(grep -c '"status":"verified"' "$1" || true)
	e=$(grep -c '"status":"error"' "$1" || true)
	t=$(wc -l <"$1")
	echo "$v/$t verified, $e error"
}

echo "orgctl bench: $(nproc) cores, N=$N (shape B: $ZONES zones), one-dig-per-name N=$SEQ_N, RSS N=$RSS_N"
echo "orgctl $("$ORGCTL" version 2>/dev/null | head -1); $(named -v); $(unbound -V | head -1)"
echo

# ---- (a) one domain ------------------------------------------------------------------------
"$ORGCTL" verify dns one.a.bench --code "$UUID" -q
"${DIG[@]}" one.a.bench >/dev/null
REPS=30
t0=$(now); for ((i = 0; i < REPS; i++)); do "$ORGCTL" verify dns one.a.bench --code "$UUID" -q; done; t1=$(now)
for ((i = 0; i < REPS; i++)); do "${DIG[@]}" one.a.bench >/dev/null; done; t2=$(now)
o=$(awk -v a="$t0" -v b="$t1" -v n=$REPS 'BEGIN { printf "%.1f", (b - a) * 1000 / n }')
d=$(awk -v a="$t1" -v b="$t2" -v n=$REPS 'BEGIN { printf "%.1f", (b - a) * 1000 / n }')
echo "(a) one domain: orgctl verify dns ${o} ms, dig ${d} ms: ratio $(ratio "$o" "$d")x (target <= 1.0x)"

# ---- (b) shapes A and B --------------------------------------------------------------------
for shape in a b; do
	list=$W/$shape.txt
	# Warm the resolver's cache once, with every tool's names the same.
	xargs -P 64 -n 50 "${DIG[@]}" <"$list" >/dev/null
	t0=$(now); orgctl_bulk <"$list" >"$W/$shape.jsonl" || true; t1=$(now)
	xargs -P 64 -n 50 "${DIG[@]}" <"$list" >"$W/$shape.dig"; t2=$(now)
	head -n "$SEQ_N" "$list" >"$W/$shape.seq"
	while read -r n; do "${DIG[@]}" "$n"; done <"$W/$shape.seq" >/dev/null; t3=$(now)
	"$BARE" -server "127.0.0.1:$RES_PORT" -threads 100 <"$list" >"$W/$shape.bare" 2>/dev/null; t4=$(now)
	ro=$(rate "$N" "$t0" "$t1")
	rx=$(rate "$N" "$t1" "$t2")
	rs=$(rate "$SEQ_N" "$t2" "$t3")
	rb=$(rate "$N" "$t3" "$t4")
	answers=$(grep -c logmein "$W/$shape.dig" || true)
	bare=$(grep -c logmein "$W/$shape.bare" || true)
	echo "(b) shape ${shape^^}: orgctl ${ro} names/s ($(count "$W/$shape.jsonl")); xargs -P 64 -n 50 dig ${rx} names/s ($answers/$N answered): ratio $(ratio "$ro" "$rx")x; one dig per name ${rs} names/s: ratio $(ratio "$ro" "$rs")x"
	echo "    bare lookup (zdns's work: one TXT query a name, 100 threads; scripts/barelookup) ${rb} names/s ($bare/$N answered): ratio $(ratio "$ro" "$rb")x$([ "$shape" = a ] && echo " (target >= 1.0x)")"
	# Shape A again with the resolver on a core of its own, as a resolver on another machine
	# would be: on 2 cores, Unbound's one validating thread needs a whole core for shape A,
	# and the full check's queries to BIND (and orgctl itself) take from it what the bare
	# lookup leaves alone. Both tools run on the other cores.
	if [ "$shape" = a ] && command -v taskset >/dev/null && [ "${#cpus[@]}" -ge 2 ]; then
		first=${cpus[0]}
		rest=$(IFS=,; echo "${cpus[*]:1}")
		if taskset -a -cp "$first" "$unbound_pid" >/dev/null && taskset -a -cp "$rest" "$named_pid" >/dev/null; then
			t0=$(now); taskset -c "$rest" "$ORGCTL" verify dns - --code "$UUID" -o jsonl ${CONCURRENCY:+--concurrency "$CONCURRENCY"} <"$list" >"$W/$shape.pinned.jsonl" || true; t1=$(now)
			taskset -c "$rest" "$BARE" -server "127.0.0.1:$RES_PORT" -threads 100 <"$list" >"$W/$shape.pinned.bare" 2>/dev/null || true; t2=$(now)
			rpo=$(rate "$N" "$t0" "$t1")
			rpb=$(rate "$N" "$t1" "$t2")
			echo "    resolver on a core of its own (taskset): orgctl ${rpo} names/s ($(count "$W/$shape.pinned.jsonl")), bare lookup ${rpb} names/s ($(grep -c logmein "$W/$shape.pinned.bare" || true)/$N answered): ratio $(ratio "$rpo" "$rpb")x (target >= 1.0x)"
		else
			echo "    resolver on a core of its own: skipped (taskset could not pin the servers)"
		fi
		taskset -a -cp "$allowed" "$unbound_pid" >/dev/null || true
		taskset -a -cp "$allowed" "$named_pid" >/dev/null || true
	fi
	if command -v zdns >/dev/null; then
		t0=$(now); zdns TXT --name-servers "127.0.0.1:$RES_PORT" --threads 100 <"$list" >"$W/$shape.zdns" 2>/dev/null || true; t1=$(now)
		rz=$(rate "$N" "$t0" "$t1")
		echo "    zdns, 100 threads ${rz} names/s ($(grep -c logmein "$W/$shape.zdns" || true)/$N answered): ratio $(ratio "$ro" "$rz")x"
	fi
done

# ---- (c) start-up --------------------------------------------------------------------------
# Both binaries are copied into $W first, as an install copies them: a file just written by
# the Go linker starts about 0.1 ms slower than a copy of it (its page-cache state: 5-10 %
# more page faults at exec), and the two would otherwise differ in that alone. Three rounds,
# alternating, START_REPS runs each; the total of each side.
START_REPS=${START_REPS:-200}
cp "$ORGCTL" "$W/orgctl"; cp "$MINIMAL" "$W/minimal"
"$W/orgctl" version >/dev/null; "$W/minimal" version >/dev/null
to=0; tm=0
for round in 1 2 3; do
	t0=$(now); for ((i = 0; i < START_REPS; i++)); do "$W/orgctl" version >/dev/null; done; t1=$(now)
	for ((i = 0; i < START_REPS; i++)); do "$W/minimal" version >/dev/null; done; t2=$(now)
	to=$(awk -v s="$to" -v a="$t0" -v b="$t1" 'BEGIN { print s + b - a }')
	tm=$(awk -v s="$tm" -v a="$t1" -v b="$t2" 'BEGIN { print s + b - a }')
done
o=$(awk -v t="$to" -v n=$((3 * START_REPS)) 'BEGIN { printf "%.2f", t * 1000 / n }')
m=$(awk -v t="$tm" -v n=$((3 * START_REPS)) 'BEGIN { printf "%.2f", t * 1000 / n }')
echo "(c) start-up: orgctl version ${o} ms, minimal cobra+viper ${m} ms: ratio $(ratio "$o" "$m")x (target <= 1.2x)"

# ---- (d) peak RSS --------------------------------------------------------------------------
t0=$(now)
# Straight to BIND (--nameserver, no resolver): through Unbound, each of 100,000 new
# wildcard names costs the validating resolver a fresh NSEC proof, and the
# run would measure Unbound (about 500 names/s once its cache is full) for
# minutes; the memory of orgctl's pipeline is the same either way.
env -u ORGCTL_RESOLVER /usr/bin/time -v -o "$W/rss.time" "$ORGCTL" verify dns - --code "$UUID" -o jsonl --nameserver "127.0.0.1:$AUTH_PORT" \
	${CONCURRENCY:+--concurrency "$CONCURRENCY"} <"$W/rss.txt" >"$W/rss.jsonl" || true
t1=$(now)
kb=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$W/rss.time")
echo "(d) peak RSS for $RSS_N domains (authoritative only): $((kb / 1024)) MiB (target <= 100 MiB); $(rate "$RSS_N" "$t0" "$t1") names/s ($(count "$W/rss.jsonl"))"
