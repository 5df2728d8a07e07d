#!/bin/sh
# Pause and cancel reach every sender, with or without --campaign
# (issue 10, finding 3): `griot run-due` serving two campaigns exits soon
# after one is paused and the other cancelled, writes its report, and no
# message of either leaves later than one slot after the pause; the paused
# campaign's rows stay pending, not counted as work left.  Then the same
# for `griot send` without --campaign.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
new_db
start_sim --credits MLI:100000

mk_campaign pa 300 MLI 2237
mk_campaign pb 300 MLI 2238
griot campaign schedule pa --start now >/dev/null || fail "schedule pa"
griot campaign schedule pb --start now >/dev/null || fail "schedule pb"

now() { date +%s.%N; }
plus_slot() { awk -v a="$1" 'BEGIN { printf "%.6f", a + 0.2 }'; }  # one slot at 5/s

mkdir -p "$T_TMP/reports"
"$GRIOT_BIN" run-due --report-dir "$T_TMP/reports" 2>"$T_TMP/rd.err" &
rd=$!
T_PIDS="$T_PIDS $rd"
wait_sent 2237 3
griot campaign pause pa --reason "test" >/dev/null || fail "pause pa"
t_pause=$(now)
griot campaign cancel pb >/dev/null || fail "cancel pb"
t_cancel=$(now)
wait_exit "$rd" 10 || { kill "$rd"; fail "run-due still running 10 s after a pause and a cancel: $(tail -3 "$T_TMP/rd.err")"; }
wait "$rd"; rc=$?
[ $rc = 0 ] || fail "run-due exited $rc: $(tail -3 "$T_TMP/rd.err")"
ok "run-due exited after the pause and the cancel"

late_a=$(sent_after 2237 "$(plus_slot "$t_pause")")
late_b=$(sent_after 2238 "$(plus_slot "$t_cancel")")
[ "$late_a" = 0 ] || fail "$late_a message(s) of the paused campaign left after the pause"
[ "$late_b" = 0 ] || fail "$late_b message(s) of the cancelled campaign left after the cancel"
[ "$(sql "SELECT count(*) FROM messages WHERE send_status = 'sending'")" = 0 ] ||
	fail "rows left sending: $(status_counts)"
n_sent=$(sql "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id
              WHERE c.name = 'pa' AND send_status = 'sent'")
[ "$n_sent" = "$(sent_after 2237 0)" ] || fail "pa: $n_sent sent in the database, $(sent_after 2237 0) in the ledger"
[ "$(sql "SELECT status FROM campaigns WHERE name = 'pa'")" = paused ] || fail "pa not paused"
ls "$T_TMP/reports"/*.html >/dev/null 2>&1 || fail "no report written: $(tail -3 "$T_TMP/rd.err")"
ok "nothing left after the pause/cancel (+1 slot); pending rows stay pending; report written"

# griot send without --campaign: the same for a pause of the last running campaign
griot campaign resume pa >/dev/null || fail "resume pa"
before=$(sent_after 2237 0)
"$GRIOT_BIN" send 2>"$T_TMP/send.err" &
sp=$!
T_PIDS="$T_PIDS $sp"
wait_sent 2237 $((before + 3))
griot campaign pause pa >/dev/null || fail "pause pa again"
t_pause=$(now)
wait_exit "$sp" 10 || { kill "$sp"; fail "send still running 10 s after the pause: $(tail -3 "$T_TMP/send.err")"; }
wait "$sp"; rc=$?
[ $rc = 75 ] || fail "send exited $rc after the pause, want 75 (messages left): $(tail -3 "$T_TMP/send.err")"
late_a=$(sent_after 2237 "$(plus_slot "$t_pause")")
[ "$late_a" = 0 ] || fail "$late_a message(s) left after the second pause"
grep -q "paused" "$T_TMP/send.err" || fail "send does not say why it stopped: $(tail -3 "$T_TMP/send.err")"
ok "send without --campaign exits 75 after the pause, nothing left after it"
