#!/bin/sh
# A campaign is 'running' while its messages leave, not 'scheduled'
# (docs/statuses.md): as soon as the first message is accepted, for
# `griot send --campaign` and for `griot run-due`; `campaign list`,
# `campaign show` and the report say so; pause, resume and cancel work
# from 'running'; 'done' at the end.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
new_db
start_sim --credits MLI:100000

status() { sql "SELECT status FROM campaigns WHERE name = '$1'"; }

# send --campaign: running while sending, in every view.
mk_campaign ra 40 MLI 2237
griot campaign schedule ra --start now >/dev/null 2>&1 || fail "schedule ra"
[ "$(status ra)" = scheduled ] || fail "not scheduled before sending: $(status ra)"
"$GRIOT_BIN" send --campaign ra 2>"$T_TMP/sa.err" &
sa=$!
T_PIDS="$T_PIDS $sa"
wait_sent 2237 2
[ "$(status ra)" = running ] || fail "campaign is '$(status ra)' while its messages leave"
griot campaign list --json >"$T_TMP/list.json" || fail "list"
grep -q '"name": *"ra", *"status": *"running"' "$T_TMP/list.json" ||
	tr -d ' \n' <"$T_TMP/list.json" | grep -q '"name":"ra","status":"running"' ||
	fail "campaign list does not say running: $(cat "$T_TMP/list.json")"
griot campaign show ra --no-credit --json | tr -d ' \n' | grep -q '"status":"running"' ||
	fail "campaign show does not say running"
griot report --campaign ra --format json | tr -d ' \n' | grep -q '"campaign_status":"running"' ||
	fail "the report does not say running"
ok "send --campaign: 'running' from the first message (table, list, show, report)"

# pause, resume, cancel from running
griot campaign pause ra --reason test >/dev/null || fail "pause a running campaign"
[ "$(status ra)" = paused ] || fail "pause: $(status ra)"
wait_exit "$sa" 10 || fail "send still running 10 s after the pause"
wait "$sa"; rc=$?
[ $rc = 75 ] || fail "send exited $rc after the pause, want 75"
griot campaign resume ra >/dev/null || fail "resume"
[ "$(status ra)" = running ] || fail "resume of a started campaign gave '$(status ra)', want running"
"$GRIOT_BIN" send --campaign ra 2>"$T_TMP/sa2.err" &
sa=$!
T_PIDS="$T_PIDS $sa"
n=$(sent_after 2237 0)
wait_sent 2237 $((n + 1))
[ "$(status ra)" = running ] || fail "after resume, sending while '$(status ra)'"
griot campaign cancel ra >/dev/null || fail "cancel a running campaign"
[ "$(status ra)" = cancelled ] || fail "cancel: $(status ra)"
wait_exit "$sa" 10 || fail "send still running 10 s after the cancel"
wait "$sa"
ok "pause, resume (back to running) and cancel from running"

# run-due: running while sending, done at the end.
mk_campaign rb 6 MLI 2238
griot campaign schedule rb --start now >/dev/null 2>&1 || fail "schedule rb"
"$GRIOT_BIN" run-due 2>"$T_TMP/rd.err" &
rd=$!
T_PIDS="$T_PIDS $rd"
wait_sent 2238 1
st=$(status rb)
[ "$st" = running ] || [ "$st" = done ] || fail "run-due sends while the campaign is '$st'"
wait_exit "$rd" 20 || fail "run-due did not finish 6 messages in 20 s"
wait "$rd" || fail "run-due exited $?: $(tail -3 "$T_TMP/rd.err")"
[ "$(status rb)" = done ] || fail "run-due left the campaign '$(status rb)'"
[ "$(sql "SELECT count(*) FROM campaigns WHERE name = 'rb' AND started_at IS NOT NULL AND finished_at IS NOT NULL")" = 1 ] ||
	fail "started_at/finished_at not set"
ok "run-due: running while sending, done at the end"

# A sender without --campaign that learns of a pause from its list refresh
# (the notification lost: trigger off) says why it stopped: the status and
# the reason, not "no longer running".
sql "ALTER TABLE campaigns DISABLE TRIGGER campaigns_notify" || fail "trigger off"
mk_campaign rc 40 MLI 2239
griot campaign schedule rc --start now >/dev/null 2>&1 || fail "schedule rc"
"$GRIOT_BIN" send 2>"$T_TMP/sc.err" &
sc=$!
T_PIDS="$T_PIDS $sc"
wait_sent 2239 2
griot campaign pause rc --reason "client asked" >/dev/null || fail "pause rc"
wait_exit "$sc" 10 || fail "send still running 10 s after the pause (no notification)"
wait "$sc"; rc=$?
[ $rc = 75 ] || fail "send exited $rc after the pause, want 75"
grep -q "stopped with messages left: .*paused.*client asked" "$T_TMP/sc.err" ||
	fail "send does not say the campaign was paused and why: $(grep 'stopped' "$T_TMP/sc.err")"
ok "a pause seen by the list refresh: the sender says 'paused' and the reason"
