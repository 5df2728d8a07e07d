#!/bin/sh
# Issue 10, findings 6, 8 and 9 with real processes:
# - one shared limiter: a `--rate 10` sender on the 5/s limiter is refused
#   (exit 64, naming --limiter) while a 5/s sender runs: no 429, still 5/s;
# - a second SIGINT while requests are in flight ends the sender at once
#   without touching its stack afterwards (ASan: detect_stack_use_after_return),
#   the rows in flight stay 'sending' and are recovered as unknown;
# - SIGKILLed senders (50 ms to PostgreSQL): the claimed rows beyond their
#   committed lease go back to pending, and no number is ever sent twice.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
. "$(dirname "$0")/../lib/sim.sh"   # wait_for
. "$(dirname "$0")/../lib/proxy.sh"
new_db
start_sim --rate 5 --credits MLI:100000

# 1. mixed rates on one limiter
mk_campaign mixed 25 MLI 2237
griot campaign schedule mixed >/dev/null || fail "schedule"
"$GRIOT_BIN" send --campaign mixed 2>"$T_TMP/a.err" &
A=$!
griot send --campaign mixed --rate 10 2>"$T_TMP/b.err"; rc=$?
[ $rc = 64 ] || fail "--rate 10 on the 5/s limiter exited $rc, want 64"
grep -q "limiter 'default' already has another rate.*--limiter" "$T_TMP/b.err" ||
	fail "no clear reason: $(cat "$T_TMP/b.err")"
wait $A || fail "the 5/s sender exited $?: $(tail -3 "$T_TMP/a.err")"
[ "$(status_counts)" = "sent=25" ] || fail "statuses: $(status_counts)"
# the refused sender claimed nothing: every row went out through the 5/s one
[ "$(sql "SELECT count(DISTINCT claimed_by) FROM messages")" = 1 ] || fail "the --rate 10 sender claimed rows"
[ "$(sql "SELECT rate FROM send_rate WHERE name = 'default'")" = 5 ] || fail "the limiter's rate changed"
[ "$(sql "SELECT count(*) FROM send_rate WHERE rate <> 5")" = 0 ] || fail "a limiter with another rate appeared"
ok "--rate 10 on the 5/s limiter refused (exit 64), claimed nothing; the 5/s sender: $(ledger_429) x 429, max $(ledger_max_per_second)/s"
sim_stop

# 2. second SIGINT with requests in flight (answers take 3 s)
sim_start slow --rate 2000 --credits MLI:100000 --fault-latency 3000 --threads 32
export ORANGE_API_BASE="$SIM_URL"
mk_campaign flight 20 MLI 2238
griot campaign schedule flight >/dev/null || fail "schedule flight"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_stack_use_after_return=1" \
	"$GRIOT_BIN" send --campaign flight --rate 4 --limiter four 2>"$T_TMP/f.err" &
F=$!
# Rows are committed 'sending' when claimed, before their request leaves:
# the simulator counts the requests that reached it (the token's and 3 sends).
in_flight() { [ "$(curl -s "$SIM_URL/_sim/state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')" -ge 4 ]; }
wait_for "requests in flight" in_flight
kill -INT $F
# Two signals sent back to back can arrive as one: the second only once the
# sender said it heard the first.
heard_first() { grep -q "stopping: finishing" "$T_TMP/f.err"; }
wait_for "the first SIGINT heard" heard_first
kill -INT $F
wait $F; rc=$?
[ $rc = 0 ] || fail "two SIGINTs with requests in flight: exit $rc: $(tail -5 "$T_TMP/f.err")"
grep -q "AddressSanitizer" "$T_TMP/f.err" && fail "ASan: $(grep -A5 AddressSanitizer "$T_TMP/f.err" | head -8)"
left=$(sql "SELECT count(*) FROM messages WHERE msisdn LIKE '+2238%' AND send_status = 'sending'")
[ "$left" -ge 1 ] || fail "nothing left in flight: the test did not test the exit"
griot send --campaign flight --rate 4 --limiter four --once --json >"$T_TMP/f2.json" 2>"$T_TMP/f2.err" ||
	fail "next run exited $?"
grep -q "\"recovered_unknown\": $left" "$T_TMP/f2.json" || fail "the $left in flight were not recovered unknown: $(cat "$T_TMP/f2.json")"
ok "second SIGINT with $left request(s) in flight: exit 0, no use after return, recovered as unknown"
sim_stop

# 3. SIGKILL behind 50 ms, each dead sender recovered after its slots
# passed: rows beyond its lease go back to pending; never a number twice.
sim_start kill --rate 2000 --credits MLI:100000
export ORANGE_API_BASE="$SIM_URL"
pg_proxy 50
mk_campaign killed 150 MLI 2239
griot campaign schedule killed >/dev/null || fail "schedule killed"
for i in 1 2 3 4 5; do
	"$GRIOT_BIN" send --campaign killed --rate 40 --limiter forty 2>>"$T_TMP/k.err" &
	K=$!
	sent_some() { [ "$(sql "SELECT count(*) FROM messages WHERE msisdn LIKE '+2239%' AND send_status = 'sent'")" -ge $((i * 6)) ]; }
	wait_for "sends before kill $i" sent_some
	kill -9 $K; wait $K 2>/dev/null
	sleep 1   # the point: recovery comes after every slot of the dead sender passed
done
griot send --campaign killed --rate 40 --limiter forty --json >"$T_TMP/kf.json" 2>>"$T_TMP/k.err" ||
	fail "final send exited $?: $(tail -3 "$T_TMP/k.err")"
pend=$(sed -n 's/.*: \([0-9]*\) back to pending.*/\1/p' "$T_TMP/k.err" | awk '{ s += $1 } END { print s + 0 }')
unk=$(sed -n 's/.*pending (never sent), \([0-9]*\) unknown.*/\1/p' "$T_TMP/k.err" | awk '{ s += $1 } END { print s + 0 }')
[ -z "$(ledger_dup_numbers)" ] || fail "numbers sent twice: $(ledger_dup_numbers | head -3)"
ledger_to_db
bad=$(sql "SELECT count(*) FROM ledger l WHERE l.address LIKE 'tel:+2239%' AND NOT EXISTS
	(SELECT 1 FROM messages m WHERE 'tel:' || m.msisdn = l.address AND m.send_status IN ('sent', 'unknown'))")
[ "$bad" = 0 ] || fail "$bad accepted sends recorded neither sent nor unknown"
[ "$(sql "SELECT count(*) FROM messages WHERE msisdn LIKE '+2239%' AND send_status NOT IN ('sent', 'unknown')")" = 0 ] ||
	fail "left: $(status_counts)"
ok "5 SIGKILLs at 50 ms: $pend rows back to pending (beyond the lease), $unk unknown; no number twice"

# Finding 11: a receipt recorded before the answer's time gives a negative
# latency; the report shows it (p50 a number), it does not drop it to null.
sql "UPDATE messages SET delivery_status = 'DeliveredToTerminal', final_at = sent_at - interval '2 s',
     delivery_at = sent_at - interval '2 s' WHERE campaign_id = (SELECT id FROM campaigns WHERE name = 'mixed')" ||
	fail "receipts"
griot report --campaign mixed --format json >"$T_TMP/rep.json" 2>"$T_TMP/rep.err" || fail "report exited $?: $(cat "$T_TMP/rep.err")"
python3 -c 'import json,sys
t=json.load(open(sys.argv[1]))["totals"]["latency_seconds"]
assert t["count"] == 25 and t["p50"] == -2 and t["p90"] == -2, t' "$T_TMP/rep.json" ||
	fail "negative latencies hidden: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["latency_seconds"])' "$T_TMP/rep.json")"
ok "negative latencies reported as observed (p50 -2 s), not null"
