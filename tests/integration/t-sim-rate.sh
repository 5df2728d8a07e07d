#!/bin/sh
# orange-sim: the per-application sliding one-second window (429 with
# Retry-After beyond --rate), 429 bursts and random 429s.
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/sim.sh"

# fire N TOKEN: N sends in parallel from one curl; prints "code retry-after"
# per request.
fire() {
	sms_body tel:+22370123456 "parallel" >"$T_TMP/p.json"
	_args=""
	_i=0
	while [ $_i -lt "$1" ]; do
		_args="$_args -o /dev/null $SIM_URL/smsmessaging/v1/outbound/$SENDER_ENC/requests"
		_i=$((_i + 1))
	done
	# shellcheck disable=SC2086
	curl -Z --parallel-immediate --parallel-max "$1" -s -w '%{http_code} %header{retry-after}\n' \
		-H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
		--data-binary @"$T_TMP/p.json" $_args 2>/dev/null
}

RATE=3
sim_start rate --rate $RATE --credits MLI:100000
TOK=$(token)
: >"$T_TMP/codes"
# Between rounds, poll with single sends until the window lets one through,
# so that the ledger spans several windows.
one_ok() { _c=$(send "$TOK" tel:+22370123456 "poll"); echo "$_c $(sed -n 's/^[Rr]etry-[Aa]fter: \([0-9]*\).*/\1/p' "$T_TMP/hdr" | tr -d '\r')" >>"$T_TMP/codes"; [ "$_c" = 201 ]; }
for _ in 1 2 3; do
	fire 30 "$TOK" >>"$T_TMP/codes"
	wait_for "a free slot in the window" one_ok
done
n201=$(grep -c '^201 ' "$T_TMP/codes")
n429=$(grep -c '^429 ' "$T_TMP/codes")
eq "$((n201 + n429))" "$(wc -l <"$T_TMP/codes" | tr -d ' ')" "every answer is 201 or 429 ($(sort "$T_TMP/codes" | uniq -c | tr '\n' ' '))"
[ "$n429" -gt 0 ] || fail "no 429 among 90 parallel sends at --rate $RATE"
[ "$n201" -gt $((RATE * 2)) ] || fail "only $n201 accepted: the ledger should span several windows"
grep '^429 ' "$T_TMP/codes" | grep -qv '^429 [1-9][0-9]*$' && fail "a 429 without an integer Retry-After >= 1"
eq "$(ledger 'sum(1 for x in L if x["event"]=="sms")')" "$n201" "ledger sms lines = 201 answers"
eq "$(ledger 'sum(1 for x in L if x["event"]=="reject" and x["status"]==429 and x["reason"]=="rate limit")')" "$n429" "ledger 429 lines"
# No one-second window holds more than RATE accepted messages...
ledger "max([0]+[sum(1 for u in T if t <= u < t+1) for T in [sorted(x['ts'] for x in L if x['event']=='sms')] for t in T])" >"$T_TMP/max"
[ "$(cat "$T_TMP/max")" -le $RATE ] || fail "a one-second window holds $(cat "$T_TMP/max") accepted sends (rate $RATE)"
# ...and every refusal saw a full window: exactly RATE accepts in (ts-1, ts].
bad=$(ledger "[r['ts'] for r in L if r['event']=='reject' and sum(1 for x in L if x['event']=='sms' and r['ts']-1 < x['ts'] <= r['ts']) != $RATE]")
eq "$bad" "[]" "429s refused with a full window"
ok "sliding window: $n201 accepted, $n429 refused with Retry-After, <= $RATE per second in the ledger"

# Raising the rate at run time (the window restarts): 30 parallel sends fit.
s=$(req POST "$SIM_URL/_sim/config" -d '{"rate":50}')
eq "$s" 200 "config rate"
eq "$(jv "$T_TMP/body" 'd["rate"]')" 50 "config answer"
fire 30 "$TOK" >"$T_TMP/codes2"
eq "$(grep -c '^201 ' "$T_TMP/codes2")" 30 "30 parallel sends under rate 50"
s=$(req POST "$SIM_URL/_sim/config" -d '{"rate":0}')
eq "$s" 400 "rate 0 refused"
ok "/_sim/config rate"

# Random 429s on demand.
req POST "$SIM_URL/_sim/config" -d '{"fault_429":1}' >/dev/null
s=$(send "$TOK" tel:+22370123456 "x")
eq "$s" 429 "fault_429=1"
eq "$(jv "$T_TMP/body" '[d["code"], d["message"]]')" '[53, "Too many requests"]' "429 body"
grep -qi '^Retry-After: [1-9]' "$T_TMP/hdr" || fail "429 without Retry-After"
eq "$(ledger 'L[-1]["reason"]')" "injected 429" "reject reason"
req POST "$SIM_URL/_sim/config" -d '{"fault_429":0}' >/dev/null
s=$(send "$TOK" tel:+22370123456 "x")
eq "$s" 201 "fault_429=0"
ok "--fault-429 / fault_429 at run time"
sim_stop

# Bursts: after every 3 accepted sends the next 2 requests get 429.
sim_start burst --rate 1000 --credits MLI:1000 --fault-429-burst 3:2
TOK=$(token)
codes=""
for i in 1 2 3 4 5 6 7 8 9 10 11; do
	codes="$codes $(send "$TOK" tel:+22370123456 "burst $i")"
done
eq "$codes" " 201 201 201 429 429 201 201 201 429 429 201" "burst pattern"
eq "$(ledger '[x["reason"] for x in L if x["event"]=="reject"]')" '["429 burst", "429 burst", "429 burst", "429 burst"]' "burst reasons"
ok "--fault-429-burst 3:2"
