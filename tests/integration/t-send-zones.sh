#!/bin/sh
# Send windows in each recipient's local time (issue 10, finding 10): one
# campaign, 08:00-20:00, to Mali (Africa/Bamako, UTC+0) and Egypt
# (Africa/Cairo, UTC+2 in November), with an injected clock: at 18:30 UTC
# only Mali is texted (20:30 in Cairo), at 06:30 UTC the next day only
# Egypt (06:30 in Bamako).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
new_db
start_sim --rate 2000 --credits MLI:1000,EGY:1000

griot campaign create z --sender tel:+2230000 --message 'Bonjour {{name}}' \
	--start 2026-11-20T00:00:00Z --window 08:00-20:00 >/dev/null || fail "create"
add_recipients z 5 MLI 2239
add_recipients z 5 EGY 2010
griot campaign schedule z --allow-partial >/dev/null 2>&1 || fail "schedule"
griot campaign show z >"$T_TMP/show.txt" || fail "show"
grep -q "recipients' local time (Africa/Bamako, Africa/Cairo)" "$T_TMP/show.txt" ||
	fail "show does not name the zones: $(grep window "$T_TMP/show.txt")"

sent_to() { grep '"event":"sms"' "$SIM_LEDGER" | grep -c "\"address\":\"tel:+$1" || true; }
GRIOT_NOW=2026-11-25T18:30:00Z griot send --rate 500 --limiter fast500 2>"$T_TMP/s1.err"; rc=$?
[ $rc = 75 ] || fail "send at 18:30 UTC exited $rc, want 75 (Egypt left): $(tail -2 "$T_TMP/s1.err")"
[ "$(sent_to 2239)" = 5 ] || fail "Mali at 18:30 local: $(sent_to 2239) sent, want 5: $(tail -4 "$T_TMP/s1.err")"
[ "$(sent_to 2010)" = 0 ] || fail "Egypt at 20:30 local: $(sent_to 2010) sent, want 0"
ok "18:30 UTC: Mali (18:30) texted, Egypt (20:30) not"

GRIOT_NOW=2026-11-26T06:30:00Z griot send --rate 500 --limiter fast500 2>"$T_TMP/s2.err" ||
	fail "send at 06:30 UTC exited $?: $(tail -2 "$T_TMP/s2.err")"
[ "$(sent_to 2010)" = 5 ] || fail "Egypt at 08:30 local: $(sent_to 2010) sent, want 5"
[ "$(sql "SELECT status FROM campaigns WHERE name = 'z'")" = done ] || fail "not done"
ok "06:30 UTC next day: Egypt (08:30) texted, campaign done"
