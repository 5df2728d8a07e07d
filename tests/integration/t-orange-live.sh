#!/bin/sh
# griot against orange-sim in its default, the live API's shapes: a
# 4,000-character JWT, an EXPIRED contract that still shows units, appid
# null, purchase orders newest first (units = new - old), a send, and
# dr subscribe|show|unsubscribe with no dr_secret configured (the secret
# is in the URL given).
. "$(dirname "$0")/../lib/lib.sh"

AUTH='Basic dGVzdDp0ZXN0'
SECRET='liveS3cret-0123456789'
jv() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(eval(sys.argv[2])))' "$@"; }
simstate() { curl -s "$SIM_URL/_sim/state" >"$T_TMP/state.json" && jv "$T_TMP/state.json" "$1"; }

new_db
start_sim --token-length 4000 --app-id null --credits CIV:100,SEN:10@-1d
curl -sf -X POST -d '{"country":"CIV","units":50,"amount":1250}' "$SIM_URL/_sim/credits" >/dev/null ||
	fail "second CIV order"
export ORANGE_AUTH_HEADER="$AUTH" ORANGE_TOKEN_CACHE="$T_TMP/cache/token"
unset ORANGE_CREDENTIALS_FILE GRIOT_DR_SECRET GRIOT_CONFIG
export HOME="$T_TMP"

# ---- token: 4,000 characters, used, cached, shared ----
griot orange token --show --json >"$T_TMP/tok.json" 2>"$T_TMP/tok.err" ||
	fail "orange token (exit $?): $(cat "$T_TMP/tok.err")"
[ "$(jv "$T_TMP/tok.json" 'len(d["access_token"])')" = 4000 ] || fail "token length: $(head -c 300 "$T_TMP/tok.json")"
griot orange token --json >"$T_TMP/tok2.json" || fail "second orange token"
[ "$(simstate 'd["tokens"]')" = 1 ] || fail "the second process fetched another token"
ok "a 4,000-character token is obtained, cached and shared"

# ---- balance: the EXPIRED contract's units are no credit ----
griot orange balance --json >"$T_TMP/bal.json" || fail "orange balance"
[ "$(jv "$T_TMP/bal.json" '[(c["country"], c["available_units"], c["status"], c["expired"], c["spendable_units"]) for c in sorted(d["contracts"], key=lambda c: c["country"])]')" = \
	'[["CIV", 150, "ACTIVE", false, 150], ["SEN", 10, "EXPIRED", true, 0]]' ] ||
	fail "balance --json: $(cat "$T_TMP/bal.json")"
[ "$(jv "$T_TMP/bal.json" 'd["total_available_units"]')" = 150 ] || fail "total counts expired units"
griot orange balance >"$T_TMP/bal.txt" || fail "orange balance (text)"
grep -q '^SEN .*expired' "$T_TMP/bal.txt" || fail "balance table: $(cat "$T_TMP/bal.txt")"
grep -q '^total  *150 ' "$T_TMP/bal.txt" || fail "balance total: $(cat "$T_TMP/bal.txt")"
ok "balance: EXPIRED with units left counts as no credit"

# ---- usage (appid null) and purchases (newest first, units from old/new) ----
griot orange usage --json >"$T_TMP/use.json" || fail "orange usage"
[ "$(jv "$T_TMP/use.json" 'sorted((u["country"], u["application_id"]) for u in d["usage"])')" = \
	'[["CIV", ""], ["SEN", ""]]' ] || fail "usage: $(cat "$T_TMP/use.json")"
griot orange purchases --json >"$T_TMP/pur.json" || fail "orange purchases"
[ "$(jv "$T_TMP/pur.json" '[(p["country"], p["units"], float(p["amount"])) for p in d["purchase_orders"] if p["country"] == "CIV"]')" = \
	'[["CIV", 50, 1250.0], ["CIV", 100, 2500.0]]' ] || fail "purchases: $(cat "$T_TMP/pur.json")"
ok "usage with appid null; purchases newest first, units = new - old"

# ---- preview, schedule, send: SEN's expired units are not spendable ----
griot campaign create live --sender tel:+2230000 --message 'Bonjour {{name}}' >/dev/null || fail "campaign create"
sql "INSERT INTO messages (campaign_id, line_no, msisdn, country, fields)
     SELECT (SELECT id FROM campaigns WHERE name = 'live'), g, '+22507' || lpad(g::text, 8, '0'), 'CIV',
            jsonb_build_object('name', 'Awa')
     FROM generate_series(1, 3) g
     UNION ALL
     SELECT (SELECT id FROM campaigns WHERE name = 'live'), 10 + g, '+22170' || lpad(g::text, 7, '0'), 'SEN',
            jsonb_build_object('name', 'Fatou')
     FROM generate_series(1, 2) g" || fail "recipients"
griot campaign show live --json >"$T_TMP/show.json" || fail "campaign show"
grep -q '"credit_short": true' "$T_TMP/show.json" || fail "preview counts SEN's expired units: $(cat "$T_TMP/show.json")"
griot campaign schedule live 2>"$T_TMP/sched.err"; rc=$?
[ $rc = 69 ] || fail "schedule exited $rc, want 69: $(cat "$T_TMP/sched.err")"
grep -q 'SEN: 2 units needed, 0 available' "$T_TMP/sched.err" || fail "schedule message: $(cat "$T_TMP/sched.err")"
griot campaign schedule live --allow-partial >/dev/null 2>&1 || fail "--allow-partial"
griot send --campaign live --rate 5 >"$T_TMP/send.out" 2>"$T_TMP/send.err"
[ "$(sql "SELECT count(*) FROM messages WHERE country = 'CIV' AND send_status = 'sent' AND resource_id ~ '^[0-9a-f-]{36}\$'")" = 3 ] ||
	fail "CIV not sent: $(sql "SELECT country, send_status, resource_id FROM messages") $(tail -3 "$T_TMP/send.err")"
[ "$(sql "SELECT count(*) FROM messages WHERE country = 'SEN' AND send_status = 'sent'")" = 0 ] || fail "SEN sent on an expired contract"
[ "$(grep -c '"event":"sms"' "$SIM_LEDGER")" = 3 ] || fail "ledger"
ok "preview and schedule see no SEN credit; CIV sent with the long token"

# ---- report: balance without the expired units ----
griot report --json >"$T_TMP/rep.json" 2>"$T_TMP/rep.err" || fail "report: $(cat "$T_TMP/rep.err")"
[ "$(jv "$T_TMP/rep.json" 'sorted((b["country"], b["available_units"]) for b in d["balance"]["countries"] if b["contract"])')" = \
	'[["CIV", 147], ["SEN", 0]]' ] || fail "report balance: $(jv "$T_TMP/rep.json" 'd["balance"]')"
ok "report: SEN's expired units are no balance"

# ---- DR: subscribe with the secret in the URL, no dr_secret configured ----
griot dr subscribe "https://dr.example.com/orange/dr/$SECRET" --sender tel:+2230000 >"$T_TMP/sub.out" 2>"$T_TMP/sub.err" ||
	fail "dr subscribe: $(cat "$T_TMP/sub.err")"
griot dr show >"$T_TMP/show.out" 2>"$T_TMP/show.err"; rc=$?
[ $rc = 0 ] || fail "dr show exited $rc: $(cat "$T_TMP/show.err")"
grep -q '^matches *yes' "$T_TMP/show.out" || fail "dr show: $(cat "$T_TMP/show.out")"
! grep -q "$SECRET" "$T_TMP/show.out" "$T_TMP/show.err" "$T_TMP/sub.out" "$T_TMP/sub.err" || fail "secret printed"
griot dr unsubscribe >"$T_TMP/unsub.out" 2>"$T_TMP/unsub.err" || fail "dr unsubscribe: $(cat "$T_TMP/unsub.err")"
grep -q '^unsubscribed ' "$T_TMP/unsub.out" || fail "unsubscribe: $(cat "$T_TMP/unsub.out")"
[ "$(simstate 'd["subscription"]')" = null ] || fail "the sim still has a subscription"
ok "dr subscribe/show (match without dr_secret)/unsubscribe"
