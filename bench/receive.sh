#!/bin/sh
# make bench part: griot receive against a durable PostgreSQL (fsync on,
# synchronous_commit on) versus bench/bare-mhd answering 200 to the same
# requests (the ceiling), with wrk at 64 connections.  Prints receipts/s
# of both, the ratio (bar >= 20%), p99 latency (bar < 50 ms), errors (bar
# 0), medians of several short runs; then checks that every 200 is a row.
# Also prints CPU time per receipt of griot and of its PostgreSQL backend
# (which side to cut).  Then the same griot run again while HOSTILE (1,000)
# slow connections from an address outside the allowlist (127.0.0.2,
# tests/tools/slow-client, reconnecting as soon as they are closed) press
# on it: receipt rate and p99 of the allowed client beside the run without
# them (bar >= 50% of the rate, p99 < 50 ms, 0 errors).  Ends with one
# PASS or FAIL line (exit 0 / 1).
#   RUNS=3 DURATION=4 CONNS=64 THREADS=2 HOSTILE=1000 [WRITERS=N] sh bench/receive.sh
set -u
top=${GRIOT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
build=${GRIOT_BUILD:-$top/build}
griot=${GRIOT_BIN:-$build/griot}
bare=$build/bench/bare-mhd
RUNS=${RUNS:-3}
DURATION=${DURATION:-4}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
NMSG=${NMSG:-100000}
HOSTILE=${HOSTILE:-1000}
slow=$build/tests/tools/slow-client
SECRET=bench-secret-0123456789abcdef
tmp=$(mktemp -d "${TMPDIR:-/tmp}/griot-bench-receive-XXXXXX")
db=bench_receive_$$
pids=""

die() { echo "receive bench: $*" >&2; exit 1; }
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	psql -qAtX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

command -v wrk >/dev/null || die "wrk is not installed (Debian package wrk)"
[ -x "$bare" ] || die "$bare not built (make tests-build)"
[ -x "$slow" ] || die "$slow not built (make tests-build)"

# a durable database: refuse to measure anything else
fsync=$(psql -qAtX -d postgres -c "SHOW fsync")
sync=$(psql -qAtX -d postgres -c "SHOW synchronous_commit")
[ "$fsync" = on ] && [ "$sync" = on ] || die "fsync=$fsync synchronous_commit=$sync: not durable"
psql -qAtX -d postgres -c "CREATE DATABASE $db" >/dev/null || die "createdb"
export DATABASE_URL="dbname=$db"
"$griot" db migrate >/dev/null 2>&1 || die "migrate"
q() { psql -qAtX -d "$db" -c "$1"; }
q "INSERT INTO campaigns (name) VALUES ('bench')" || die "campaign"
# (triggers off for this bulk load only: no receipt exists yet to match)
q "SET session_replication_role = replica;
   INSERT INTO messages (campaign_id, msisdn, country, send_status, resource_id)
   SELECT 1, '+2237' || lpad(g::text, 7, '0'), 'MLI', 'sent', 'bench-' || g
   FROM generate_series(1, $NMSG) g;
   SET session_replication_role = origin" || die "loading messages"
q "VACUUM ANALYZE messages"
[ "$(q "SELECT count(*) FROM messages WHERE resource_id IS NOT NULL")" = "$NMSG" ] || die "messages not loaded"

cat >"$tmp/dr.lua" <<'LUA'
-- valid receipts for random known messages, every status
local threads = {}
local statuses = { "MessageWaiting", "DeliveredToNetwork", "DeliveredToTerminal",
		   "DeliveryUncertain", "DeliveryImpossible" }
function setup(thread)
	thread:set("tid", #threads + 1)
	table.insert(threads, thread)
end
function init(args)
	nmsg = tonumber(args[1])
	path = args[2]
	ok, other, sent = 0, 0, 0
	math.randomseed(tid * 7919 + os.time())
end
function request()
	sent = sent + 1
	local i = math.random(1, nmsg)
	local body = string.format('{"deliveryInfoNotification":{"callbackData":"bench-%d",' ..
		'"deliveryInfo":{"address":"tel:+2237%07d","deliveryStatus":"%s"}}}',
		i, i, statuses[math.random(1, 5)])
	return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
end
function response(status, headers, body)
	if status == 200 then ok = ok + 1 else other = other + 1 end
end
function done(summary, latency, requests)
	local o, x, s = 0, 0, 0
	for _, t in ipairs(threads) do
		o = o + t:get("ok"); x = x + t:get("other"); s = s + t:get("sent")
	end
	local e = summary.errors
	io.write(string.format("RESULT ok=%d other=%d sent=%d p99_us=%d sockerr=%d duration_us=%d\n",
		o, x, s, latency:percentile(99), e.connect + e.read + e.write + e.timeout,
		summary.duration))
end
LUA

# start NAME CMD...: run a server, wait for its "ready ADDR:PORT" line;
# sets addr and pid (not in a subshell: cleanup must know the pid)
start() {
	name=$1
	shift
	mkfifo "$tmp/$name.fifo"
	"$@" >"$tmp/$name.fifo" 2>"$tmp/$name.log" &
	pid=$!
	pids="$pids $pid"
	read -r line <"$tmp/$name.fifo" || die "$name did not start: $(cat "$tmp/$name.log")"
	addr=${line#ready }
}

start bare "$bare" --listen 127.0.0.1:0
bare_addr=$addr
start griot "$griot" receive --listen 127.0.0.1:0 --secret "$SECRET" --allow 127.0.0.1/32 \
	${WRITERS:+--writers $WRITERS}
griot_addr=$addr griot_pid=$pid

# CPU time (utime + stime, in clock ticks) of a process, "" if gone
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
# the writers' backends (application_name set by griot receive)
backends=$(q "SELECT string_agg(pid::text, ' ') FROM pg_stat_activity
	WHERE datname = current_database() AND application_name = 'griot receive'")
[ -n "$backends" ] || die "no backend of griot receive found"
hz=$(getconf CLK_TCK)
cpu_griot=0 cpu_db=0

field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p; s/^RESULT $1=\([0-9]*\).*/\1/p" "$2" | head -n 1; }

# one run: prints "rate p99_ms errors ok sent"
run() {
	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s -s "$tmp/dr.lua" \
		"http://$1/orange/dr/$SECRET" -- "$NMSG" "/orange/dr/$SECRET" >"$tmp/wrk.out" 2>&1 ||
		die "wrk failed: $(cat "$tmp/wrk.out")"
	grep -q '^RESULT' "$tmp/wrk.out" || die "no result from wrk: $(cat "$tmp/wrk.out")"
	ok=$(field ok "$tmp/wrk.out"); other=$(field other "$tmp/wrk.out"); sent=$(field sent "$tmp/wrk.out")
	p99=$(field p99_us "$tmp/wrk.out"); sockerr=$(field sockerr "$tmp/wrk.out")
	dur=$(field duration_us "$tmp/wrk.out")
	awk -v ok="$ok" -v d="$dur" -v p="$p99" -v e="$((other + sockerr))" -v s="$sent" \
		'BEGIN { printf "%.0f %.2f %d %d %d\n", ok / (d / 1e6), p / 1000, e, ok, s }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

rows() { q "SELECT count(*) FROM delivery_receipts"; }
# wait until the receiver has nothing queued or in flight (polled)
settle() {
	i=0
	while :; do
		m=$(curl -s "http://$griot_addr/metrics")
		echo "$m" | grep -qx 'griot_dr_queue_depth 0' &&
			echo "$m" | grep -qx 'griot_dr_requests_in_flight 1' && return 0
		i=$((i + 1))
		[ $i -lt 400 ] || die "receiver did not settle"
		sleep 0.05
	done
}

echo "durable database: fsync=$fsync synchronous_commit=$sync; $NMSG messages"
echo "wrk: $CONNS connections, $THREADS threads, $RUNS runs of ${DURATION}s each"
: >"$tmp/bare.res"
: >"$tmp/griot.res"
: >"$tmp/siege.res"
: >"$tmp/siege.ratio"
siege_err=0
total_ok=0 total_sent=0 total_err=0 total_rows=0 total_answered=0
for r in $(seq "$RUNS"); do
	run "$bare_addr" >>"$tmp/bare.res"
	before=$(rows)
	g0=$(ticks "$griot_pid") d0=0
	for b in $backends; do d0=$((d0 + $(ticks "$b"))); done
	res=$(run "$griot_addr")
	echo "$res" >>"$tmp/griot.res"
	settle
	g1=$(ticks "$griot_pid") d1=0
	for b in $backends; do d1=$((d1 + $(ticks "$b"))); done
	cpu_griot=$((cpu_griot + g1 - g0)) cpu_db=$((cpu_db + d1 - d0))
	after=$(rows)
	set -- $res
	n=$((after - before))
	# every 200 is a row; extra rows only from requests wrk left
	# unanswered when it stopped (committed, answer never read)
	unanswered=$(( $5 - $4 - $3 ))
	[ "$n" -ge "$4" ] || die "run $r: $n rows for $4 answers 200: acknowledged receipts missing"
	[ $((n - $4)) -le "$unanswered" ] || die "run $r: $n rows for $4 answers 200 and $unanswered unanswered"
	echo "run $r: bare $(tail -n 1 "$tmp/bare.res" | cut -d' ' -f1)/s, griot $1/s p99 $2 ms errors $3; rows +$n = 200s $4 + $((n - $4)) in flight at wrk's stop"
	total_err=$((total_err + $3))
	total_rows=$((total_rows + n))

	# the same, while hostile slow connections press on the receiver
	rm -f "$tmp/slow.fifo"
	mkfifo "$tmp/slow.fifo"
	"$slow" --connect "$griot_addr" --source 127.0.0.2 -n "$HOSTILE" --interval 1000 \
		--duration $((DURATION + 30)) --reconnect >"$tmp/slow.fifo" &
	slow_pid=$!
	pids="$pids $slow_pid"
	exec 8<"$tmp/slow.fifo"
	read -r line <&8 || die "slow-client did not start"
	cat <&8 >"$tmp/slow.out" &
	cat_pid=$!
	exec 8<&-
	before=$(rows)
	res=$(run "$griot_addr")
	kill "$slow_pid"
	wait "$slow_pid" "$cat_pid"
	settle
	echo "$res" >>"$tmp/siege.res"
	# paired with this run's griot figure: the machine's load moves both
	awk -v a="${res%% *}" -v b="$(tail -n 1 "$tmp/griot.res" | cut -d' ' -f1)" \
		'BEGIN { printf "%.1f\n", 100 * a / b }' >>"$tmp/siege.ratio"
	set -- $res
	n=$(( $(rows) - before ))
	[ "$n" -ge "$4" ] || die "run $r under siege: $n rows for $4 answers 200"
	echo "run $r under $HOSTILE hostile slow connections: griot $1/s p99 $2 ms errors $3 ($(cat "$tmp/slow.out"))"
	siege_err=$((siege_err + $3))
done

# the receipts named known messages and changed them (the realistic path)
unmatched=$(q "SELECT count(*) FROM delivery_receipts WHERE message_id IS NULL")
changed=$(q "SELECT count(*) FROM messages WHERE delivery_status IS NOT NULL")
[ "$unmatched" = 0 ] && [ "$changed" -gt 0 ] || die "receipts not applied: $unmatched unmatched, $changed messages changed"
echo "messages with a delivery status: $changed of $NMSG"
bare_rate=$(cut -d' ' -f1 "$tmp/bare.res" | median)
bare_p99=$(cut -d' ' -f2 "$tmp/bare.res" | median)
griot_rate=$(cut -d' ' -f1 "$tmp/griot.res" | median)
griot_p99=$(cut -d' ' -f2 "$tmp/griot.res" | median)
ratio=$(awk -v a="$griot_rate" -v b="$bare_rate" 'BEGIN { printf "%.1f", 100 * a / b }')
curl -s "http://$griot_addr/metrics" >"$tmp/metrics"
batch=$(awk '/^griot_dr_batch_size_sum/ { s = $2 } /^griot_dr_batch_size_count/ { c = $2 } END { if (c) printf "%.1f", s / c }' "$tmp/metrics")
wlat=$(awk '/^griot_dr_write_seconds_sum/ { s = $2 } /^griot_dr_write_seconds_count/ { c = $2 } END { if (c) printf "%.2f", 1000 * s / c }' "$tmp/metrics")
echo
printf '%-34s %10s %10s\n' "" "receipts/s" "p99 ms"
printf '%-34s %10s %10s\n' "bare libmicrohttpd (ceiling)" "$bare_rate" "$bare_p99"
printf '%-34s %10s %10s\n' "griot receive (durable, batched)" "$griot_rate" "$griot_p99"
echo "ratio: $ratio% of the ceiling (bar >= 20%)"
echo "mean batch $batch receipts per commit; mean arrival-to-commit $wlat ms"
awk -v g="$cpu_griot" -v d="$cpu_db" -v n="$total_rows" -v hz="$hz" 'BEGIN {
	printf "CPU per receipt: griot process %.1f us, its PostgreSQL backend(s) %.1f us\n",
		1e6 * g / hz / n, 1e6 * d / hz / n }'
echo "p99: $griot_p99 ms (bar < 50 ms); errors: $total_err (bar 0)"
siege_rate=$(cut -d' ' -f1 "$tmp/siege.res" | median)
siege_p99=$(cut -d' ' -f2 "$tmp/siege.res" | median)
siege_ratio=$(median <"$tmp/siege.ratio")
printf '%-34s %10s %10s\n' "griot, $HOSTILE hostile slow conns" "$siege_rate" "$siege_p99"
echo "under siege: $siege_ratio% of the rate without it, median of the runs' ratios (bar >= 50%), p99 $siege_p99 ms (bar < 50 ms), errors $siege_err (bar 0)"
fail=
awk -v r="$ratio" 'BEGIN { exit !(r >= 20) }' || fail="$fail ratio $ratio% < 20%;"
awk -v p="$griot_p99" 'BEGIN { exit !(p < 50) }' || fail="$fail p99 $griot_p99 ms >= 50 ms;"
[ "$total_err" = 0 ] || fail="$fail $total_err errors;"
awk -v r="$siege_ratio" 'BEGIN { exit !(r >= 50) }' || fail="$fail under siege $siege_ratio% < 50%;"
awk -v p="$siege_p99" 'BEGIN { exit !(p < 50) }' || fail="$fail p99 under siege $siege_p99 ms >= 50 ms;"
[ "$siege_err" = 0 ] || fail="$fail $siege_err errors under siege;"
if [ -z "$fail" ]; then
	echo "PASS: ratio $ratio% >= 20%, p99 $griot_p99 ms < 50 ms, 0 errors; under siege $siege_ratio% of that, p99 $siege_p99 ms (medians of $RUNS runs)"
	exit 0
fi
echo "FAIL:${fail%;} (medians of $RUNS runs)"
exit 1
