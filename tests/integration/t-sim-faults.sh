#!/bin/sh
# orange-sim: injected 5xx, dropped connections after acceptance, latency,
# token revocation and expiry, and the /_sim/ controls.
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/sim.sh"

state() { req GET "$SIM_URL/_sim/state" >/dev/null; jv "$T_TMP/body" "$1"; }
nsms() { ledger 'sum(1 for x in L if x["event"]=="sms")'; }

sim_start faults --shapes documented --credits MLI:100 --fault-5xx 1 --rate 1000
TOK=$(token)

# ---- 5xx: refused, nothing accepted or charged ----
for i in 1 2 3 4 5 6; do
	s=$(send "$TOK" tel:+22370123456 "5xx $i")
	case "$s" in
	500) eq "$(jv "$T_TMP/body" 'd["code"]')" 1 "500 body" ;;
	503) eq "$(jv "$T_TMP/body" 'd["code"]')" 5 "503 body" ;;
	*) fail "--fault-5xx 1: got HTTP $s" ;;
	esac
done
eq "$(nsms)" 0 "no sms accepted under --fault-5xx 1"
eq "$(ledger 'sorted(set(x["status"] for x in L if x["event"]=="reject")) in ([500],[503],[500,503])')" true "5xx reject lines"
eq "$(state '[d["accepted"], d["credits"]["MLI"]["available"], d["rejected"].get("500",0)+d["rejected"].get("503",0)]')" '[0, 100, 6]' "state after 5xx"
ok "--fault-5xx: 500/503 without accepting"

# ---- dropped connection after acceptance: the ambiguous case ----
s=$(req POST "$SIM_URL/_sim/config" -d '{"fault_5xx":0,"fault_drop":1}')
eq "$s" 200 "config fault_drop"
s=$(send "$TOK" tel:+22370123456 "dropped")
eq "$s" 000 "no answer when dropped"
eq "$(ledger '[x["event"] for x in L[-2:]]')" '["sms", "drop"]' "sms then drop in the ledger"
eq "$(ledger 'L[-1]["resource_id"] == L[-2]["resource_id"]')" true "drop line names the accepted message"
eq "$(state '[d["accepted"], d["dropped"], d["credits"]["MLI"]["available"]]')" '[1, 1, 99]' "dropped message is accepted and charged"
ok "--fault-drop: accepted, charged, connection closed without an answer"

# ---- latency: the client gives up, the message is still accepted ----
req POST "$SIM_URL/_sim/config" -d '{"fault_drop":0,"fault_latency_ms":1500}' >/dev/null
sms_body tel:+22370123456 "slow" >"$T_TMP/slow.json"
curl -s -o /dev/null --max-time 0.3 -X POST -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
	--data-binary @"$T_TMP/slow.json" "$SIM_URL/smsmessaging/v1/outbound/$SENDER_ENC/requests"
rc=$?
eq "$rc" 28 "curl timed out"
wait_for "the slow message in the ledger" sh -c "grep -c '\"message\":\"slow\"' '$SIM_LEDGER' >/dev/null"
req POST "$SIM_URL/_sim/config" -d '{"fault_latency_ms":0}' >/dev/null
ok "--fault-latency: accepted after the client timed out"

# ---- revocation ----
s=$(send "$TOK" tel:+22370123456 "before revoke")
eq "$s" 201 "send before revoke"
s=$(req POST "$SIM_URL/_sim/revoke")
eq "$s" 200 "revoke"
s=$(send "$TOK" tel:+22370123456 "after revoke")
eq "$s" 401 "revoked token"
eq "$(jv "$T_TMP/body" '[d["code"], d["message"]]')" '[42, "Expired credentials"]' "revoked token error"
eq "$(ledger 'L[-1]["reason"]')" "expired credentials" "401 reject line"
s=$(req GET "$SIM_URL/sms/admin/v1/contracts" -H "Authorization: Bearer $TOK")
eq "$(jv "$T_TMP/body" 'd["code"]')" 42 "revoked token on admin"
TOK=$(token)
s=$(send "$TOK" tel:+22370123456 "new token")
eq "$s" 201 "new token after revoke"
ok "/_sim/revoke: 401 code 42, a new token works"

# Revocation every N accepted sends (token renewal under load).
s=$(req POST "$SIM_URL/_sim/config" -d '{"fault_revoke":2}')
eq "$(jv "$T_TMP/body" 'd["fault_revoke"]')" 2 "config fault_revoke"
codes=""
for i in 1 2 3; do codes="$codes $(send "$TOK" tel:+22370123456 "revoke-every $i")"; done
eq "$codes" " 201 201 401" "revoked after 2 accepted sends"
TOK=$(token)
codes=""
for i in 1 2 3; do codes="$codes $(send "$TOK" tel:+22370123456 "revoke-every $i")"; done
eq "$codes" " 201 201 401" "again after 2 more"
req POST "$SIM_URL/_sim/config" -d '{"fault_revoke":0}' >/dev/null
TOK=$(token)
ok "--fault-revoke / fault_revoke"

# ---- credits control ----
s=$(send "$TOK" tel:+21620123456 "Tunis")
eq "$s" 403 "no TUN contract yet"
s=$(req POST "$SIM_URL/_sim/credits" -d '{"country":"TUN","units":7,"amount":700,"currency":"TND"}')
eq "$s" 200 "add credits"
s=$(send "$TOK" tel:+21620123456 "Tunis")
eq "$s" 201 "TUN send after credits"
req GET "$SIM_URL/sms/admin/v1/contracts?country=TUN" -H "Authorization: Bearer $TOK" >/dev/null
eq "$(jv "$T_TMP/body" 'd["partnerContracts"]["contracts"][0]["serviceContracts"][0]["availableUnits"]')" 6 "TUN units"
req GET "$SIM_URL/sms/admin/v1/purchaseorders?country=TUN" -H "Authorization: Bearer $TOK" >/dev/null
eq "$(jv "$T_TMP/body" '[(float(p["orderExecutioninformation"]["amount"]), p["orderExecutioninformation"]["currency"]) for p in d["purchaseOrders"]]')" '[[700.0, "TND"]]' "TUN purchase order"
s=$(req POST "$SIM_URL/_sim/credits" -d '{"country":"XXX","units":7}')
eq "$s" 400 "unknown country"
s=$(req POST "$SIM_URL/_sim/credits" -d '{"country":"MLI","units":-1}')
eq "$s" 400 "negative units"
s=$(req POST "$SIM_URL/_sim/credits" -d '{"country":"MLI","units":5,"expires":"-1d"}')
eq "$s" 200 "credits with expiry"
s=$(req POST "$SIM_URL/_sim/config" -d '{"fault_5xx":2}')
eq "$s" 400 "probability > 1"
s=$(req GET "$SIM_URL/_sim/nothing")
eq "$s" 404 "unknown control"
ok "/_sim/credits, /_sim/config validation"

# ---- state counters agree with the ledger ----
eq "$(state 'd["accepted"]')" "$(nsms)" "state accepted = ledger sms lines"
eq "$(state 'd["rejected"]["401"]')" 3 "state 401s"
eq "$(state 'd["rejected"]["403"]')" 1 "state 403s"
eq "$(state 'd["credits"]["MLI"]["used"]')" "$(ledger 'sum(x["segments"] for x in L if x["event"]=="sms" and x["country"]=="MLI")')" "state used = ledger segments"
ok "/_sim/state counters"
sim_stop

# ---- token expiry (poll until refused) ----
sim_start ttl --token-ttl 2 --credits MLI:1000 --rate 1000
TOK=$(token)
i=0
while s=$(send "$TOK" tel:+22370123456 "ttl $i"); [ "$s" = 201 ]; do
	i=$((i + 1))
	[ $i -lt 2000 ] || fail "token never expired"
	sleep 0.05
done
eq "$s" 401 "expired token"
eq "$(jv "$T_TMP/body" '[d["code"], d["message"]]')" '[42, "Expired credentials"]' "expired token error"
TOK=$(token)
s=$(send "$TOK" tel:+22370123456 "fresh")
eq "$s" 201 "fresh token"
ok "--token-ttl: 401 code 42 after expiry, a new token works"
