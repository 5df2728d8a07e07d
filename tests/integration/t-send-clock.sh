#!/bin/sh
# Issue 10, finding 8: the database host's clock steps back while a sender
# runs (an NTP step, a VM resumed, an operator fixing the date).  For real:
# a PostgreSQL of its own runs under libfaketime, whose offset this test
# changes while the server runs, so now() and clock_timestamp() step on
# the server as they would on a host whose clock was set back.  (A
# session-level fake cannot do it: now() in every function, default and
# trigger must move.  The sender's former GRIOT_TEST_DB_CLOCK_STEP hook
# shifted only the sender's own reading, at the instant it measured, so
# it could never show a step the sender had not seen yet; it is gone.)
#
# Sender A runs, the clock steps back STEP seconds, A is SIGKILLed before
# its periodic clock re-measure (30 s) with requests on the wire; sender
# B recovers A's rows and sends the rest.  Nothing may be sent twice
# (orange-sim's ledger: the old rule "slot still ahead of now()" resent
# what had just left), every accepted send is recorded, A's provably
# unsent rows go back to pending, and A noticed the step from its own
# round trips.  B books on A's limiter, whose slots were booked on the
# old clock: its next slot must come on the new one, not STEP seconds
# ahead (the old limiter stalled every sender on it for the whole step).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
. "$(dirname "$0")/../lib/sim.sh"   # wait_for
STEP=120
FAKETIME_LIB=${FAKETIME_LIB:-$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)}
[ -n "$FAKETIME_LIB" ] || fail "libfaketime not installed (scripts/deps: libfaketime)"

# The cluster: scripts/pg with its own directory, libfaketime preloaded,
# its offset read from a file the server's user can read.
FT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/griot-faketime-XXXXXX")
chmod 0755 "$FT_DIR"
echo "+0" >"$FT_DIR/offset"
chmod 0644 "$FT_DIR/offset"
CL_ENV="LD_PRELOAD=$FAKETIME_LIB FAKETIME_TIMESTAMP_FILE=$FT_DIR/offset FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1"
CL_AT_EXIT='rm -rf "$FT_DIR"'
. "$(dirname "$0")/../lib/cluster.sh"
own_cluster
# the server's clock minus ours, seconds
db_skew() {
	sql "SELECT round(extract(epoch from clock_timestamp()) - $(date +%s.%N))::int"
}
new_db
[ "$(db_skew)" -ge -1 ] && [ "$(db_skew)" -le 1 ] || fail "the faketime cluster's clock is off before the step: $(db_skew) s"

# Orange answers after 3 s: A has requests on the wire when it dies.
start_sim --rate 2000 --credits MLI:100000 --fault-latency 3000 --threads 32
mk_campaign clock 80 MLI 2237
griot campaign schedule clock >/dev/null || fail "schedule"

"$GRIOT_BIN" send --campaign clock --rate 10 --limiter ten 2>"$T_TMP/a.err" &
A=$!
sim_requests() { curl -s "$SIM_URL/_sim/state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }
requests_ge() { [ "$(sim_requests)" -ge "$1" ]; }
wait_for "A's first answers" requests_ge 20
echo "-$STEP" >"$FT_DIR/offset"
stepped() { [ "$(db_skew)" -le $((5 - STEP)) ]; }
wait_for "the database clock stepped back" stepped
# A notices the step from its next round trips (a poll bounded to 1.5 s,
# checked below: the old code noticed only at its 30 s re-measure), and
# dies meanwhile.
i=0
while [ $i -lt 30 ] && ! grep -q "clock moved" "$T_TMP/a.err"; do sleep 0.05; i=$((i + 1)); done
before=$(sim_requests)
kill -9 $A; wait $A 2>/dev/null
a_sent=$(sim_requests)
claimed=$(sql "SELECT count(*) FROM messages WHERE send_status = 'sending'")
# The requests on the wire when A died reach Orange all the same, 3 s
# later: B below sends more than 50 rows at 10/s, so the ledger is
# complete when it is checked.
curl -s -o /dev/null -d '{"fault_latency_ms":0}' "$SIM_URL/_sim/config" || fail "sim config"
ok "A: $before requests to Orange after the step, $a_sent when killed; $claimed rows left 'sending'"

# The limiter A booked on the old clock gives its next slot on the new one.
ahead=$(sql "SELECT round(extract(epoch from (griot_book('ten', 1, 0)).first - clock_timestamp()))::int")
[ "$ahead" -lt $((STEP / 2)) ] ||
	fail "after a $STEP s step back the shared limiter's next slot is $ahead s ahead: every sender on it stalls"
ok "the shared limiter's next slot after the step: $ahead s ahead"

# B: another sender, on the same limiter, recovers A's rows and sends the rest.
griot send --campaign clock --rate 10 --limiter ten --json >"$T_TMP/b.json" 2>"$T_TMP/b.err" ||
	fail "B exited $?: $(tail -5 "$T_TMP/b.err")"
pend=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["recovered_pending"])' "$T_TMP/b.json")
unk=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["recovered_unknown"])' "$T_TMP/b.json")
[ $((pend + unk)) = "$claimed" ] || fail "recovered $pend pending + $unk unknown of $claimed 'sending'"

dups=$(ledger_dup_numbers | wc -l)
[ "$dups" = 0 ] || fail "$dups number(s) sent twice after a $STEP s clock step: $(ledger_dup_numbers | head -3 | tr '\n' ' ')($pend recovered as pending)"
ledger_to_db
bad=$(sql "SELECT count(*) FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM messages m
	WHERE 'tel:' || m.msisdn = l.address AND (m.send_status = 'unknown'
	   OR (m.send_status = 'sent' AND m.resource_id = l.resource_id)))")
[ "$bad" = 0 ] || fail "$bad accepted sends recorded neither sent (same resource id) nor unknown"
left=$(sql "SELECT count(*) FROM messages WHERE send_status NOT IN ('sent', 'unknown')")
[ "$left" = 0 ] || fail "left: $(status_counts)"
# unknown only for what A may have started: its requests on the wire and
# the rest of its lease (a fraction of a second of slots at 10/s)
unsure=$(sql "SELECT count(*) FROM messages m WHERE send_status = 'unknown'
	AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.address = 'tel:' || m.msisdn)")
[ "$unsure" -le 10 ] || fail "$unsure never-sent rows recovered unknown: more than A's lease"
grep -q "PostgreSQL's clock moved by -" "$T_TMP/a.err" ||
	fail "A did not notice the step from its round trips: $(grep -i clock "$T_TMP/a.err")"
ok "clock stepped back $STEP s, A killed: B recovered $pend pending, $unk unknown ($unsure of them never sent); no number twice; $(status_counts)"
