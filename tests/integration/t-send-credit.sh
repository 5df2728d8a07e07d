#!/bin/sh
# Credit: 'schedule' refuses a campaign the contracts cannot pay for;
# --allow-partial proceeds; exhaustion mid-campaign holds that country
# (others go on), 'send' exits 75 saying so; more credit, 'campaign
# resume', and the campaign finishes with every number sent once.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
new_db
start_sim --rate 2000 --credits MLI:30,CIV:100
mk_campaign credit 50 MLI 2237
add_recipients credit 20 CIV 22507 1000

griot campaign show credit --json >"$T_TMP/show.json" || fail "show"
grep -q '"credit_short": true' "$T_TMP/show.json" || fail "preview does not see the shortage"
griot campaign schedule credit 2>"$T_TMP/sched.err"; rc=$?
[ $rc = 69 ] || fail "schedule with short credit exited $rc, want 69 (EX_UNAVAILABLE)"
grep -q 'MLI: 50 units needed, 30 available' "$T_TMP/sched.err" || fail "no clear message: $(cat "$T_TMP/sched.err")"
[ "$(sql "SELECT status FROM campaigns WHERE name = 'credit'")" = draft ] || fail "scheduled anyway"
griot campaign schedule credit --allow-partial >/dev/null 2>&1 || fail "--allow-partial refused"
ok "schedule refuses short credit (69), --allow-partial proceeds"

griot send --campaign credit --rate 300 --limiter fast300 2>"$T_TMP/send1.err"; rc=$?
[ $rc = 75 ] || fail "send with credit exhausted exited $rc, want 75: $(tail -3 "$T_TMP/send1.err")"
grep -q 'held for MLI' "$T_TMP/send1.err" || fail "no hold message: $(tail -3 "$T_TMP/send1.err")"
[ "$(sql "SELECT count(*) FROM messages WHERE country = 'CIV' AND send_status = 'sent'")" = 20 ] ||
	fail "CIV did not go on: $(status_counts)"
[ "$(sql "SELECT count(*) FROM messages WHERE country = 'MLI' AND send_status = 'sent'")" = 30 ] ||
	fail "MLI sent $(sql "SELECT count(*) FROM messages WHERE country = 'MLI' AND send_status = 'sent'"), want 30"
[ "$(sql "SELECT count(*) FROM messages WHERE country = 'MLI' AND send_status = 'pending'")" = 20 ] ||
	fail "MLI remainder not pending: $(status_counts)"
[ "$(sql "SELECT count(*) FROM campaign_country_holds")" = 1 ] || fail "no hold row"
griot campaign show credit --json >"$T_TMP/show2.json" || fail "show"
grep -q '"held": true' "$T_TMP/show2.json" || fail "show does not report the hold"
ok "exhaustion held MLI after 30, CIV finished, send exited 75"

curl -sf -X POST -d '{"country":"MLI","units":100}' "$SIM_URL/_sim/credits" >/dev/null || fail "add credit"
griot campaign resume credit >"$T_TMP/resume.out" || fail "resume"
grep -q 'hold(s) lifted' "$T_TMP/resume.out" || fail "resume did not lift the hold"
griot send --campaign credit --rate 300 --limiter fast300 2>"$T_TMP/send2.err" || fail "send after resume exited $?"
[ "$(status_counts)" = "sent=70" ] || fail "after resume: $(status_counts)"
[ "$(sql "SELECT status FROM campaigns WHERE name = 'credit'")" = done ] || fail "not done"
[ "$(ledger_count sms)" = 70 ] || fail "ledger has $(ledger_count sms) sends"
[ -z "$(ledger_dup_numbers)" ] || fail "numbers sent twice"
ok "more credit + resume finished the campaign, each number once"
