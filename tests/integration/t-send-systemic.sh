#!/bin/sh
# Campaign-wide refusals pause the campaign with the reason instead of
# burning it message by message (issue 10, finding 5):
#  - a sender name Orange has not approved (400 for every message): paused
#    after a few identical answers, those rows back to pending, exit 75;
#    once fixed and resumed, every message goes;
#  - Orange answering 5xx for a while: paused (with --outage-pause), not
#    one row failed, few unknown;
#  - `griot campaign retry-failed` requeues failed rows (--reason filters).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
new_db
start_sim --rate 50 --credits MLI:100000 --sender-names Approved

griot campaign create sn --sender tel:+2230000 --sender-name Unapproved \
	--message 'Bonjour {{name}}, code {{code}}.' >/dev/null || fail "create sn"
add_recipients sn 200 MLI 2237
griot campaign schedule sn --start now >/dev/null || fail "schedule sn"
griot send --campaign sn --rate 20 --limiter fast 2>"$T_TMP/sn.err"; rc=$?
[ $rc = 75 ] || fail "send with a refused sender name exited $rc, want 75: $(tail -3 "$T_TMP/sn.err")"
[ "$(sql "SELECT status FROM campaigns WHERE name = 'sn'")" = paused ] || fail "sn not paused: $(status_counts)"
sql "SELECT paused_reason FROM campaigns WHERE name = 'sn'" | grep -q "SenderName Unapproved" ||
	fail "no reason: $(sql "SELECT paused_reason FROM campaigns WHERE name = 'sn'")"
refused=$(grep '"event":"reject"' "$SIM_LEDGER" | grep -c 'sender name not allowed')
[ "$refused" -le 12 ] || fail "$refused messages refused before the pause (want a few)"
[ "$(sql "SELECT count(*) FROM messages WHERE send_status = 'failed'")" = 0 ] ||
	fail "rows failed for the campaign's fault: $(status_counts)"
[ "$(sql "SELECT count(*) FROM messages WHERE send_status = 'pending'")" = 200 ] || fail "$(status_counts)"
ok "refused sender name: paused after $refused identical refusals, reason kept, nothing failed, exit 75"

sql "UPDATE campaigns SET sender_name = 'Approved' WHERE name = 'sn'" >/dev/null
griot campaign resume sn >/dev/null || fail "resume sn"
griot send --campaign sn --rate 20 --limiter fast 2>>"$T_TMP/sn.err" || fail "send after the fix: $(tail -3 "$T_TMP/sn.err")"
[ "$(ledger_count sms)" = 200 ] || fail "sent $(ledger_count sms) after the fix, want 200"
ok "fixed and resumed: all 200 sent"

# Orange failing: every send answered 5xx
griot campaign create out --sender tel:+2230000 --message 'Salut {{name}}' >/dev/null || fail "create out"
add_recipients out 100 MLI 2238
griot campaign schedule out --start now >/dev/null || fail "schedule out"
curl -sf -o /dev/null -d '{"fault_5xx":1.0}' "$SIM_URL/_sim/config" || fail "sim config"
griot send --campaign out --rate 20 --limiter fast --outage-pause 3 2>"$T_TMP/out.err"; rc=$?
[ $rc = 75 ] || fail "send during an outage exited $rc, want 75: $(tail -3 "$T_TMP/out.err")"
sql "SELECT paused_reason FROM campaigns WHERE name = 'out'" | grep -q "Orange unreachable or failing" ||
	fail "no outage reason: $(sql "SELECT paused_reason FROM campaigns WHERE name = 'out'")"
failed=$(sql "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id
              WHERE c.name = 'out' AND send_status = 'failed'")
unknown=$(sql "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id
               WHERE c.name = 'out' AND send_status = 'unknown'")
[ "$failed" = 0 ] || fail "$failed rows failed during the outage"
[ "$unknown" -le 15 ] || fail "$unknown rows fogged unknown during the outage (want a few)"
ok "5xx outage: paused after 3 s with the reason, 0 failed, $unknown unknown"

# retry-failed
sql "UPDATE messages m SET send_status = 'failed', last_error = CASE WHEN x.rn % 2 = 0
     THEN 'invalid HTTP 400: x' ELSE 'gave up after 5 attempts' END
     FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM messages
           WHERE campaign_id = (SELECT id FROM campaigns WHERE name = 'out')
             AND send_status = 'pending' ORDER BY id LIMIT 10) x
     WHERE m.id = x.id" >/dev/null
griot campaign retry-failed out --reason 'gave up' >"$T_TMP/rf.out" || fail "retry-failed --reason"
grep -q "5 failed message(s) back to pending" "$T_TMP/rf.out" || fail "retry-failed: $(cat "$T_TMP/rf.out")"
griot campaign retry-failed out >"$T_TMP/rf.out" || fail "retry-failed"
grep -q "5 failed message(s) back to pending" "$T_TMP/rf.out" || fail "retry-failed: $(cat "$T_TMP/rf.out")"
griot campaign retry-failed nosuch >/dev/null 2>&1; rc=$?
[ $rc = 66 ] || fail "retry-failed of a missing campaign exited $rc, want 66"
ok "retry-failed requeues failed rows (filtered by --reason, then all)"
