#!/bin/sh
# Issue 10, finding 6: a 429's Retry-After pauses every sender on the
# limiter, not only the one that got it.  Three senders share the 5/s
# limiter; the simulator refuses the 21st request with 429, Retry-After
# 3 s.  From that answer on, no sender's request reaches the simulator
# before the pause ends, except those already started when the pause
# could reach their sender (each sender learns it from a notification,
# sql/067): at most one per sender (slots are 200 ms apart, the news
# takes a database round trip).  The other senders' queued rows inside
# the pause go back to pending (attempt not counted) and are sent later:
# every message once.  On the old code the other senders sent every slot
# they had booked inside the pause.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
N=40
RA=3
new_db
start_sim --rate 1000 --credits MLI:1000 --fault-429-burst 20:1 --fault-429-retry-after $RA
mk_campaign pause $N MLI 2237
griot campaign schedule pause >/dev/null || fail "schedule"
run_senders pause

[ "$(ledger_429)" = 1 ] || fail "$(ledger_429) x 429, want exactly the injected one"
[ "$(status_counts)" = "sent=$N" ] || fail "statuses: $(status_counts)"
[ "$(ledger_count sms)" = $N ] || fail "ledger has $(ledger_count sms) sends, want $N"
[ -z "$(ledger_dup_numbers)" ] || fail "numbers sent twice: $(ledger_dup_numbers)"
# a released row is not an attempt: each row took one accepted request,
# the refused one a second (a 429 is not counted either)
[ "$(sql "SELECT count(*) FROM messages WHERE attempts <> 1")" = 0 ] ||
	fail "attempts: $(sql "SELECT attempts || ' x' || count(*) FROM messages GROUP BY 1")"
ok "one 429 (Retry-After $RA s); every message sent once, one attempt each"

# Requests (accepted or refused) that reached the simulator inside the pause.
t429=$(grep '"event":"reject"' "$SIM_LEDGER" | grep '"status":429' | sed 's/.*"ts":\([0-9.]*\).*/\1/')
inside=$(grep -E '"event":"(sms|reject)"' "$SIM_LEDGER" | sed 's/.*"ts":\([0-9.]*\).*/\1/' |
	awk -v t="$t429" -v ra=$RA '$1 > t && $1 < t + ra { n++ } END { print n + 0 }')
[ "$inside" -le 3 ] || fail "$inside requests reached Orange inside the $RA s Retry-After (at most one per sender)"
# the senders that did not get the 429 learned the pause and gave rows back
learned=$(cat "$T_TMP"/pause.err* | grep -c "paused until .*: [1-9][0-9]* queued message(s) back to pending" || true)
[ "$learned" -ge 1 ] || fail "no sender gave queued rows back on the pause: $(cat "$T_TMP"/pause.err* | grep -i "pause\|429")"
ok "$inside request(s) inside the Retry-After (in flight when it came); $learned sender(s) gave queued rows back"

# The sender's own 429 gives back only the queued slots inside Retry-After:
# behind 150 ms to PostgreSQL one sender keeps more than a second of slots
# booked, so a 1 s Retry-After falls among them.  Those after it keep
# their place and are sent; none inside it is.
. "$(dirname "$0")/../lib/sim.sh"
. "$(dirname "$0")/../lib/proxy.sh"
sim_stop
sim_start own --rate 1000 --credits MLI:1000 --fault-429-burst 10:1 --fault-429-retry-after 1
export ORANGE_API_BASE="$SIM_URL"
pg_proxy 150
mk_campaign own 20 MLI 2238
griot campaign schedule own >/dev/null || fail "schedule own"
"$GRIOT_BIN" send --campaign own --until-done --json >"$T_TMP/own.out" 2>"$T_TMP/own.err" ||
	fail "sender exited $?: $(tail -3 "$T_TMP/own.err")"
[ "$(ledger_429)" = 1 ] || fail "own: $(ledger_429) x 429"
[ "$(sql "SELECT count(*) FROM messages m JOIN campaigns c ON c.id = m.campaign_id
          WHERE c.name = 'own' AND m.send_status = 'sent' AND m.attempts = 1")" = 20 ] ||
	fail "own: statuses $(status_counts)"
[ -z "$(ledger_dup_numbers)" ] || fail "own: numbers sent twice"
line=$(grep "too many requests (429" "$T_TMP/own.err") || fail "no 429 warning: $(cat "$T_TMP/own.err")"
back=$(echo "$line" | sed -n 's/.*; \([0-9]*\) queued message(s) back to pending, \([0-9]*\) keep.*/\1/p')
kept=$(echo "$line" | sed -n 's/.*back to pending, \([0-9]*\) keep their later slot.*/\1/p')
[ -n "$kept" ] && [ "$kept" -ge 1 ] || fail "no queued slot after Retry-After kept its place: $line"
t429=$(grep '"event":"reject"' "$SIM_LEDGER" | grep '"status":429' | sed 's/.*"ts":\([0-9.]*\).*/\1/')
inside=$(grep -E '"event":"(sms|reject)"' "$SIM_LEDGER" | sed 's/.*"ts":\([0-9.]*\).*/\1/' |
	awk -v t="$t429" '$1 > t && $1 < t + 1 { n++ } END { print n + 0 }')
[ "$inside" -le 1 ] || fail "own: $inside requests inside the 1 s Retry-After"
ok "own 429: $back queued slot(s) inside Retry-After given back, $kept after it kept; $inside request(s) inside it"
