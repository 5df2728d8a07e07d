#!/bin/sh
# The sender's own ceiling: the simulator's limit raised to 2,000/s (as a
# contract with a higher limit would be), a campaign of N messages sent by
# one 'griot send' process and by four, RUNS times each; prints the
# medians in messages/s (first to last accepted send in the ledger) and
# the ratio to the cap.  Bar: >= 0.80 of the cap from one process.
. "$(dirname "$0")/../tests/lib/lib.sh"
. "$(dirname "$0")/../tests/lib/send.sh"
N=${SEND_BENCH_N:-20000}
RUNS=${SEND_BENCH_RUNS:-3}
CAP=2000
new_db
start_sim --rate $CAP --credits MLI:100000000
mk_campaign bench "$N" MLI 2237
griot campaign schedule bench >/dev/null 2>&1 || fail "schedule"
sql "UPDATE campaigns SET status = 'running', started_at = now()" >/dev/null

reset() {
	sql "UPDATE messages SET send_status = 'pending', resource_id = NULL, attempts = 0,
	     claimed_by = NULL, sending_at = NULL, sent_at = NULL, last_error = NULL;
	     UPDATE campaigns SET status = 'running', finished_at = NULL;
	     UPDATE send_rate SET next_slot = now()" >/dev/null
	sql "VACUUM ANALYZE messages" >/dev/null
}

# run P: send the whole campaign with P processes; prints messages/s.
run() {
	before=$(ledger_count sms)
	reset
	pids=""
	for p in $(seq 1 "$1"); do
		"$GRIOT_BIN" ${SEND_BENCH_V:-} send --campaign bench --rate $CAP --limiter bench$CAP --json >>"$T_TMP/send.json" 2>>"$T_TMP/send.log" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || fail "griot send exited $?: $(tail -3 "$T_TMP/send.log")"; done
	[ "$(sql "SELECT count(*) FROM messages WHERE send_status = 'sent'")" = "$N" ] ||
		fail "not all sent: $(status_counts)"
	grep '"event":"sms"' "$SIM_LEDGER" | tail -n +"$((before + 1))" |
		sed 's/.*"ts":\([0-9.]*\).*/\1/' | sort -n |
		awk '{ t[NR] = $1 } END { printf "%.1f\n", (NR - 1) / (t[NR] - t[1]) }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for procs in ${SEND_BENCH_PROCS:-1 4}; do
	: >"$T_TMP/rates"
	for r in $(seq 1 "$RUNS"); do run $procs >>"$T_TMP/rates"; done
	m=$(median <"$T_TMP/rates")
	printf '%d process(es): %s messages/s (runs: %s), cap %d/s, ratio %.3f\n' "$procs" "$m" \
		"$(tr '\n' ' ' <"$T_TMP/rates" | sed 's/ $//')" $CAP "$(echo "$m $CAP" | awk '{ print $1 / $2 }')"
	[ $procs = 1 ] && one=$m
done
[ -n "${SEND_BENCH_VERBOSE:-}" ] && cat "$T_TMP/send.json"
n429=$(ledger_429)
echo "429 answers over all runs: $n429"
awk -v m="$one" -v c=$CAP 'BEGIN { exit !(m / c >= 0.80) }' ||
	{ echo "below the bar: one process at $(echo "$one $CAP" | awk '{ print $1 / $2 }') of the cap (want >= 0.80)"; exit 1; }
echo "bar met: one process >= 0.80 of the cap"
