#!/bin/sh
# SIGTERM: the requests in flight finish and are recorded, the claimed but
# unsent rows go back to pending, exit 0; a second run resumes where it
# stopped; pause stops claiming; every number sent once.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
N=120
new_db
start_sim --rate 2000 --credits MLI:1000 --fault-latency 30
mk_campaign sig $N MLI 2237
griot campaign schedule sig >/dev/null || fail "schedule"
"$GRIOT_BIN" send --campaign sig --rate 40 --limiter fast40 2>"$T_TMP/s1.err" &
pid=$!
T_PIDS="$T_PIDS $pid"
# wait for some accepted sends (a file condition), bounded
n=0
while [ "$(ledger_count sms)" -lt 10 ] && [ $n -lt 400 ]; do sleep 0.05; n=$((n + 1)); done
kill -TERM "$pid"
wait "$pid"; rc=$?
[ $rc = 0 ] || fail "SIGTERM exit $rc, want 0"
[ "$(sql "SELECT count(*) FROM messages WHERE send_status = 'sending'")" = 0 ] || fail "rows left sending"
sent=$(sql "SELECT count(*) FROM messages WHERE send_status = 'sent'")
[ "$sent" = "$(ledger_count sms)" ] || fail "sent rows $sent vs ledger $(ledger_count sms)"
[ "$sent" -lt $N ] || fail "finished before the signal"
ok "SIGTERM: exit 0, $sent recorded = ledger, nothing left 'sending'"

griot campaign pause sig >/dev/null || fail "pause"
griot send --campaign sig --rate 400 --limiter fast400 2>/dev/null; rc=$?
[ $rc = 75 ] || fail "send on a paused campaign exited $rc, want 75"
[ "$(ledger_count sms)" = "$sent" ] || fail "sent while paused"
griot campaign resume sig >/dev/null || fail "resume"
griot send --campaign sig --rate 400 --limiter fast400 2>"$T_TMP/s2.err" || fail "resumed send exited $?"
[ "$(status_counts)" = "sent=$N" ] || fail "after resume: $(status_counts)"
[ "$(ledger_count sms)" = $N ] || fail "ledger $(ledger_count sms)"
[ -z "$(ledger_dup_numbers)" ] || fail "numbers sent twice"
ok "paused campaign sends nothing; resumed where it stopped; each number once"
