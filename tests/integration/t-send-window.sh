#!/bin/sh
# The schedule and the daily window, with an injected clock (GRIOT_NOW)
# instead of sleeping: nothing goes before start_at or outside the window
# (Africa/Lagos, UTC+1, given as the window zone for every recipient),
# run-due starts what is due and exits 0.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
new_db
start_sim --rate 2000 --credits MLI:1000

export GRIOT_NOW=2026-11-25T06:00:00Z
griot campaign create w1 --sender tel:+2230000 --message 'Bonjour {{name}}' \
	--start '2026-11-25 08:00' --window 08:00-20:00 --tz Africa/Lagos --window-tz Africa/Lagos >/dev/null || fail "create"
add_recipients w1 20 MLI 2237
griot campaign schedule w1 >/dev/null || fail "schedule"
[ "$(sql "SELECT start_at = '2026-11-25 07:00:00+00' FROM campaigns WHERE name = 'w1'")" = t ] ||
	fail "local start time not read in Africa/Lagos: $(sql "SELECT start_at FROM campaigns")"

GRIOT_NOW=2026-11-25T06:59:00Z griot run-due --rate 500 --limiter fast500 2>"$T_TMP/rd1.err" || fail "run-due before start exited $?"
[ "$(ledger_count sms)" = 0 ] || fail "sent before start_at"
[ "$(sql "SELECT status FROM campaigns WHERE name = 'w1'")" = scheduled ] || fail "started early"
GRIOT_NOW=2026-11-25T06:59:00Z griot run-due --list --json >"$T_TMP/list.json" || fail "list"
grep -q '"state": "not due"' "$T_TMP/list.json" || fail "list: $(cat "$T_TMP/list.json")"
ok "one minute before 08:00 Lagos: nothing due, nothing sent"

GRIOT_NOW=2026-11-25T07:00:30Z griot run-due --rate 500 --limiter fast500 2>"$T_TMP/rd2.err" || fail "run-due at start exited $?"
[ "$(ledger_count sms)" = 20 ] || fail "sent $(ledger_count sms) at start, want 20"
[ "$(sql "SELECT status FROM campaigns WHERE name = 'w1'")" = done ] || fail "not done"
ok "at 08:00:30 Lagos: run-due started and finished it"

griot campaign create w2 --sender tel:+2230000 --message 'Salut {{name}}' \
	--start 2026-11-20T00:00:00Z --window 08:00-20:00 --tz Africa/Lagos --window-tz Africa/Lagos >/dev/null || fail "create w2"
add_recipients w2 10 MLI 2238
griot campaign schedule w2 >/dev/null || fail "schedule w2"
GRIOT_NOW=2026-11-25T19:30:00Z griot send --campaign w2 --rate 500 --limiter fast500 2>"$T_TMP/s.err"; rc=$?
[ $rc = 75 ] || fail "send outside the window exited $rc, want 75"
grep -q 'outside its send window until 2026-11-26 08:00' "$T_TMP/s.err" || fail "no clear reason: $(tail -2 "$T_TMP/s.err")"
GRIOT_NOW=2026-11-25T19:30:00Z griot run-due --rate 500 --limiter fast500 2>>"$T_TMP/s.err" || fail "run-due outside window exited $?"
[ "$(ledger_count sms)" = 20 ] || fail "sent outside the window"
ok "20:30 Lagos: outside 08:00-20:00, send exits 75 naming the next opening, run-due exits 0"

GRIOT_NOW=2026-11-26T07:00:05Z griot run-due --rate 500 --limiter fast500 2>>"$T_TMP/s.err" || fail "run-due next morning exited $?"
[ "$(ledger_count sms)" = 30 ] || fail "next morning sent $(ledger_count sms), want 30"
[ "$(sql "SELECT status FROM campaigns WHERE name = 'w2'")" = done ] || fail "w2 not done"
ok "next morning 08:00 Lagos: sent"
