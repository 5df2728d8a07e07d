#!/bin/sh
# orange-sim: OAuth, send validation, credits and segments, policy errors,
# account endpoints in both shapes, start-up errors.
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/sim.sh"

# ---- start-up ----
"$ORANGE_SIM" --help >"$T_TMP/help" || fail "--help exits non-zero"
for o in --listen --auth-header --ledger --rate --token-ttl --expires-in-number --credits \
	--seed --sender-names --app-id --partner-id --admin-shape --dr-url --dr-delay --dr-mix \
	--dr-dup --dr-reorder --dr-waiting --allow-http-notify --fault-5xx --fault-drop \
	--fault-latency --fault-429 --fault-429-burst --seed-random; do
	grep -q -- "$o" "$T_TMP/help" || fail "--help does not list $o"
done
ok "--help lists every option"

"$ORANGE_SIM" --listen 127.0.0.1:0 --credits MLI:abc >/dev/null 2>"$T_TMP/err"; rc=$?
eq "$rc" 64 "bad --credits exit code"
grep -q "bad units 'abc'" "$T_TMP/err" || fail "bad --credits message: $(cat "$T_TMP/err")"
"$ORANGE_SIM" --listen 127.0.0.1:0 --seed "$GRIOT_TOP/tests/data/sim-seed-bad.json" >/dev/null 2>"$T_TMP/err"; rc=$?
eq "$rc" 65 "bad seed exit code"
grep -q "sim-seed-bad.json: order 2: field units" "$T_TMP/err" || fail "bad seed message: $(cat "$T_TMP/err")"
ok "bad options and seed files are refused with the file, entry and field"

# The auth header is a secret: not visible in ps.  This simulator checks
# answers, not limits (t-sim-rate and the live section below do): no send
# or token rate limit to trip when the machine runs the checks quickly.
sim_start main --shapes documented --token-rate 1000000 --rate 1000 --auth-header 'Basic c2VjcmV0OnMzY3JldA==' --credits MLI:20,CIV:5@-1d,SEN:100 \
	--sender-names 'ACME,Griot Shop' --app-id app-42 --partner-id ops@example.com
if tr '\0' ' ' </proc/$SIM_PID/cmdline | grep -q c2VjcmV0; then
	fail "the auth header is visible in /proc/PID/cmdline"
fi
ok "auth header hidden from ps"

# ---- token ----
s=$(req POST "$SIM_URL/oauth/v3/token" -H "Authorization: $AUTH" \
	-H 'Content-Type: application/x-www-form-urlencoded' -d grant_type=client_credentials)
eq "$s" 401 "token with the wrong header"
eq "$(jv "$T_TMP/body" 'd["error"]')" invalid_client "wrong header error"
AUTH='Basic c2VjcmV0OnMzY3JldA=='
s=$(req POST "$SIM_URL/oauth/v3/token" -H "Authorization: $AUTH" \
	-H 'Content-Type: application/x-www-form-urlencoded' -d grant_type=password)
eq "$s" 400 "unsupported grant"
eq "$(jv "$T_TMP/body" 'd["error"]')" unsupported_grant_type "unsupported grant error"
s=$(req POST "$SIM_URL/oauth/v3/token" -H "Authorization: $AUTH" \
	-H 'Content-Type: application/x-www-form-urlencoded' -d scope=x)
eq "$s" 400 "missing grant_type"
eq "$(jv "$T_TMP/body" 'd["error"]')" invalid_request "missing grant_type error"
s=$(req POST "$SIM_URL/oauth/v3/token" -H "Authorization: $AUTH" \
	-H 'Content-Type: application/json' -d '{"grant_type":"client_credentials"}')
eq "$s" 400 "token with a JSON body"
s=$(req GET "$SIM_URL/oauth/v3/token" -H "Authorization: $AUTH")
eq "$s" 405 "GET token"
s=$(req POST "$SIM_URL/oauth/v3/token" -H "Authorization: $AUTH" \
	-H 'Content-Type: application/x-www-form-urlencoded' -d grant_type=client_credentials)
eq "$s" 200 "token"
eq "$(jv "$T_TMP/body" '[d["token_type"], d["expires_in"]]')" '["Bearer", "3600"]' "token answer"
TOK=$(jv "$T_TMP/body" 'd["access_token"]')
ok "token: success, invalid_client, invalid_request, unsupported_grant_type, 405"

# ---- API authentication ----
s=$(req GET "$SIM_URL/sms/admin/v1/contracts")
eq "$s" 401 "no token"
eq "$(jv "$T_TMP/body" 'd["code"]')" 41 "no token code"
s=$(req GET "$SIM_URL/sms/admin/v1/contracts" -H "Authorization: Bearer nope")
eq "$(jv "$T_TMP/body" '[d["code"], d["message"]]')" '[41, "Invalid credentials"]' "unknown token"
s=$(req GET "$SIM_URL/nowhere" -H "Authorization: Bearer $TOK")
eq "$s" 404 "unknown path"
eq "$(jv "$T_TMP/body" 'd["code"]')" 60 "unknown path code"
s=$(req GET "$SIM_URL/smsmessaging/v1/outbound/$SENDER_ENC/requests" -H "Authorization: Bearer $TOK")
eq "$s" 405 "GET on requests"
ok "401 code 41, 404 code 60, 405"

# ---- send: success, both path forms ----
s=$(send "$TOK" tel:+22370123456 "Bonjour Awa, votre commande est prête.")
eq "$s" 201 "send"
loc=$(tr -d '\r' <"$T_TMP/hdr" | sed -n 's/^Location: //p')
rurl=$(jv "$T_TMP/body" 'd["outboundSMSMessageRequest"]["resourceURL"]')
eq "$loc" "$rurl" "Location equals resourceURL"
rid=${rurl##*/}
echo "$rid" | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' ||
	fail "resource id '$rid' is not a UUIDv4"
case "$rurl" in "$SIM_URL/smsmessaging/v1/outbound/tel:+2230000/requests/$rid") ;;
	*) fail "resourceURL $rurl" ;; esac
eq "$(jv "$T_TMP/body" 'd["outboundSMSMessageRequest"]["address"]')" tel:+22370123456 "echoed address"
eq "$(ledger '[L[-1][k] for k in ("event","resource_id","sender","address","country","segments","app_id","sender_name")]')" \
	"[\"sms\", \"$rid\", \"tel:+2230000\", \"tel:+22370123456\", \"MLI\", 1, \"app-42\", null]" "ledger sms line"
eq "$(ledger 'L[-1]["message"]')" "Bonjour Awa, votre commande est prête." "ledger message"
sms_body tel:+22370123457 "raw path" >"$T_TMP/raw.json"
s=$(req POST "$SIM_URL/smsmessaging/v1/outbound/tel:+2230000/requests" -H "Authorization: Bearer $TOK" \
	-H 'Content-Type: application/json' --data-binary @"$T_TMP/raw.json")
eq "$s" 201 "raw tel:+ path"
s=$(req POST "$SIM_URL/smsmessaging/v1/outbound/tel%3a%2b2230000/requests" -H "Authorization: Bearer $TOK" \
	-H 'Content-Type: application/json' --data-binary @"$T_TMP/raw.json")
eq "$s" 201 "lower-case encoded path"
ok "send: 201, Location = resourceURL, UUIDv4, encoded and raw sender paths, ledger line"

# ---- send: validation ----
bad() { # STATUS VARIABLE BODY [PATHSENDER] [CONTENT-TYPE]
	s=$(req POST "$SIM_URL/smsmessaging/v1/outbound/${4:-$SENDER_ENC}/requests" \
		-H "Authorization: Bearer $TOK" -H "Content-Type: ${5:-application/json}" --data-binary "$3")
	eq "$s" "$1" "status for $3"
	eq "$(jv "$T_TMP/body" 'd["requestError"]["serviceException"]["variables"][0]')" "$2" "variable for $3"
}
before=$(ledger 'sum(1 for x in L if x["event"]=="sms")')
bad 400 body 'not json'
bad 400 outboundSMSMessageRequest '{"x":1}'
bad 400 address '{"outboundSMSMessageRequest":{"senderAddress":"tel:+2230000","outboundSMSTextMessage":{"message":"m"}}}'
bad 400 address '{"outboundSMSMessageRequest":{"address":"+22370123456","senderAddress":"tel:+2230000","outboundSMSTextMessage":{"message":"m"}}}'
bad 400 address '{"outboundSMSMessageRequest":{"address":"tel:+223 70 12","senderAddress":"tel:+2230000","outboundSMSTextMessage":{"message":"m"}}}'
bad 400 senderAddress '{"outboundSMSMessageRequest":{"address":"tel:+22370123456","senderAddress":"tel:+2250000","outboundSMSTextMessage":{"message":"m"}}}'
bad 400 senderAddress '{"outboundSMSMessageRequest":{"address":"tel:+22370123456","outboundSMSTextMessage":{"message":"m"}}}'
bad 400 message '{"outboundSMSMessageRequest":{"address":"tel:+22370123456","senderAddress":"tel:+2230000","outboundSMSTextMessage":{"message":""}}}'
bad 400 message '{"outboundSMSMessageRequest":{"address":"tel:+22370123456","senderAddress":"tel:+2230000","outboundSMSTextMessage":{"message":5}}}'
bad 400 message '{"outboundSMSMessageRequest":{"address":"tel:+22370123456","senderAddress":"tel:+2230000"}}'
good='{"outboundSMSMessageRequest":{"address":"tel:+22370123456","senderAddress":"tel:+2230000","outboundSMSTextMessage":{"message":"m"}}}'
bad 400 Content-Type "$good" "$SENDER_ENC" text/plain
bad 400 senderAddress "$good" 2230000
bad 400 senderAddress "$good" '%2B2230000'
bad 400 senderAddress "$good" 'tel%3A%2B2250000'
# A country outside the spec's table.
s=$(send "$TOK" tel:+33612345678 "hello")
eq "$s" 400 "unknown country"
eq "$(jv "$T_TMP/body" 'd["requestError"]["serviceException"]["variables"]')" '["address"]' "unknown country variable"
# senderName whitelist.
s=$(send "$TOK" tel:+22370123456 "hello" "Other")
eq "$s" 400 "senderName outside the whitelist"
jv "$T_TMP/body" 'd["requestError"]["policyException"]["variables"][0]' | grep -q "Other" ||
	fail "senderName refusal names the sender name: $(cat "$T_TMP/body")"
eq "$(ledger 'sum(1 for x in L if x["event"]=="sms")')" "$before" "no message accepted by invalid requests"
eq "$(ledger 'sum(1 for x in L if x["event"]=="reject" and x["status"]==400)')" 16 "400 reject lines"
s=$(send "$TOK" tel:+22370123456 "hello" "Griot Shop")
eq "$s" 201 "whitelisted senderName"
eq "$(jv "$T_TMP/body" 'd["outboundSMSMessageRequest"]["senderName"]')" "Griot Shop" "echoed senderName"
eq "$(ledger 'L[-1]["sender_name"]')" "Griot Shop" "ledger sender_name"
ok "send validation: 400 serviceException with the field, senderName whitelist, no credit taken"

# ---- credits and segments ----
avail() { req GET "$SIM_URL/sms/admin/v1/contracts?country=$1" -H "Authorization: Bearer $TOK" >/dev/null
	jv "$T_TMP/body" 'd["partnerContracts"]["contracts"][0]["serviceContracts"][0]["availableUnits"]'; }
# MLI started at 20; 4 single-part messages so far.
eq "$(avail MLI)" 16 "MLI units after 4 messages"
gsm160=$(python3 -c 'print("a"*160)')
gsm161=$(python3 -c 'print("a"*161)')
euro80=$(python3 -c 'print("€"*80)')
euro81=$(python3 -c 'print("€"*81)')
ucs70=$(python3 -c 'print("ł"*70)')
ucs71=$(python3 -c 'print("ł"*71)')
ucs135=$(python3 -c 'print("ł"*134+"😀")')
for m in "$gsm160:1" "$gsm161:2" "$euro80:1" "$euro81:2" "$ucs70:1" "$ucs71:2"; do
	s=$(send "$TOK" tel:+22370123456 "${m%:*}")
	eq "$s" 201 "send ${#m} chars"
	eq "$(ledger 'L[-1]["segments"]')" "${m##*:}" "segments of a ${#m}-byte message"
done
# 134 UCS-2 units then a surrogate pair: 67+67 fill two parts, the pair
# cannot be split, so three.
s=$(send "$TOK" tel:+22370123456 "$ucs135")
eq "$(ledger '[L[-1]["segments"], L[-1]["encoding"]]')" '[3, "UCS-2"]' "surrogate pair not split"
eq "$(avail MLI)" 4 "MLI units decremented by segments (16-9-3)"
s=$(send "$TOK" tel:+22370123456 "$gsm161")
eq "$s" 201 "2 parts with 4 units left"
s=$(send "$TOK" tel:+22370123456 "$ucs71")
eq "$s" 201 "2 parts with 2 units left"
s=$(send "$TOK" tel:+22370123456 "x")
eq "$s" 403 "no units left"
eq "$(jv "$T_TMP/body" 'd["requestError"]["policyException"]')" \
	'{"messageId": "POL0001", "text": "Policy error: %1", "variables": ["No more SMS available for country MLI"]}' "exhausted"
s=$(send "$TOK" tel:+22507123456 "x")
eq "$s" 403 "expired CIV contract"
eq "$(jv "$T_TMP/body" 'd["requestError"]["policyException"]["variables"][0]')" "Expired contract for country CIV" "expired"
s=$(send "$TOK" tel:+22670123456 "x")
eq "$s" 403 "no BFA contract"
eq "$(jv "$T_TMP/body" 'd["requestError"]["policyException"]["variables"][0]')" "No more SMS available for country BFA" "no contract"
eq "$(ledger 'sum(1 for x in L if x["event"]=="reject" and x["status"]==403)')" 3 "403 reject lines"
eq "$(ledger 'sum(x["segments"] for x in L if x["event"]=="sms" and x["country"]=="MLI")')" 20 "ledger segments = units bought"
ok "credits: GSM-7 160/153, extension chars count 2, UCS-2 70/67, 403 exhausted / expired / no contract"

# ---- account endpoints (documented shape) ----
s=$(send "$TOK" tel:+221771234567 "Dakar")
eq "$s" 201 "SEN send"
s=$(req GET "$SIM_URL/sms/admin/v1/contracts" -H "Authorization: Bearer $TOK")
eq "$s" 200 "contracts"
eq "$(jv "$T_TMP/body" '[(c["country"], c["availableUnits"], c["service"]) for c in d["partnerContracts"]["contracts"][0]["serviceContracts"]]')" \
	'[["CIV", 5, "SMS_OCB"], ["MLI", 0, "SMS_OCB"], ["SEN", 99, "SMS_OCB"]]' "contracts"
eq "$(jv "$T_TMP/body" 'd["partnerContracts"]["partnerId"]')" ops@example.com "partnerId"
req GET "$SIM_URL/sms/admin/v1/contracts?country=SEN" -H "Authorization: Bearer $TOK" >/dev/null
eq "$(jv "$T_TMP/body" '[c["country"] for c in d["partnerContracts"]["contracts"][0]["serviceContracts"]]')" '["SEN"]' "contracts?country=SEN"
req GET "$SIM_URL/sms/admin/v1/contracts?country=TUN" -H "Authorization: Bearer $TOK" >/dev/null
eq "$(jv "$T_TMP/body" 'd["partnerContracts"]["contracts"][0]["serviceContracts"]')" '[]' "contracts?country=TUN"
s=$(req GET "$SIM_URL/sms/admin/v1/contracts?country=mali" -H "Authorization: Bearer $TOK")
eq "$s" 400 "malformed country"
s=$(req GET "$SIM_URL/sms/admin/v1/statistics" -H "Authorization: Bearer $TOK")
eq "$s" 200 "statistics"
eq "$(jv "$T_TMP/body" '[(s["country"], s["countryStatistics"]) for s in d["partnerStatistics"]["statistics"][0]["serviceStatistics"]]')" \
	'[["CIV", [{"applicationId": "app-42", "usage": 0}]], ["MLI", [{"applicationId": "app-42", "usage": 20}]], ["SEN", [{"applicationId": "app-42", "usage": 1}]]]' "statistics"
req GET "$SIM_URL/sms/admin/v1/statistics?country=MLI&appid=app-42" -H "Authorization: Bearer $TOK" >/dev/null
eq "$(jv "$T_TMP/body" '[s["country"] for s in d["partnerStatistics"]["statistics"][0]["serviceStatistics"]]')" '["MLI"]' "statistics?country&appid"
req GET "$SIM_URL/sms/admin/v1/statistics?appid=other" -H "Authorization: Bearer $TOK" >/dev/null
eq "$(jv "$T_TMP/body" 'd["partnerStatistics"]["statistics"][0]["serviceStatistics"]')" '[]' "statistics?appid=other"
s=$(req GET "$SIM_URL/sms/admin/v1/purchaseorders?country=MLI" -H "Authorization: Bearer $TOK")
eq "$s" 200 "purchaseorders"
eq "$(jv "$T_TMP/body" '[(p["orderExecutioninformation"]["country"], p["orderExecutioninformation"]["currency"], p["bundleDescription"], p["mode"]) for p in d["purchaseOrders"]]')" \
	'[["MLI", "XOF", "Bundle - 20 SMS for 500 XOF", "OCB"]]' "purchaseorders?country=MLI"
req GET "$SIM_URL/sms/admin/v1/purchaseorders" -H "Authorization: Bearer $TOK" >/dev/null
eq "$(jv "$T_TMP/body" 'len(d["purchaseOrders"])')" 3 "all purchase orders"
s=$(req POST "$SIM_URL/sms/admin/v1/contracts" -H "Authorization: Bearer $TOK")
eq "$s" 405 "POST contracts"
ok "contracts, statistics, purchaseorders (documented shape) with filters"

sim_stop
ok "SIGTERM: clean exit 0"

# ---- the live default: admin arrays with the live fields, seed file ----
sim_start arr --seed "$GRIOT_TOP/tests/data/sim-seed.json" --token-ttl 120
AUTH='Basic dGVzdDp0ZXN0'
s=$(req POST "$SIM_URL/oauth/v3/token" -H "Authorization: $AUTH" \
	-H 'Content-Type: application/x-www-form-urlencoded' -d grant_type=client_credentials)
eq "$(jv "$T_TMP/body" 'd["expires_in"]')" 120 "expires_in"
python3 -c 'import json,sys; assert isinstance(json.load(open(sys.argv[1]))["expires_in"], int)' "$T_TMP/body" ||
	fail "live: expires_in is not a number"
TOK=$(jv "$T_TMP/body" 'd["access_token"]')
s=$(send "$TOK" tel:+2250701020304 "Abidjan")
eq "$s" 201 "CIV send (seeded)"
s=$(send "$TOK" tel:+221771234567 "Dakar")
eq "$s" 403 "SEN seeded contract expired in 2024"
req GET "$SIM_URL/sms/admin/v1/contracts" -H "Authorization: Bearer $TOK" >/dev/null
eq "$(jv "$T_TMP/body" '[(c["country"], c["availableUnits"], c["requestedUnits"], c["expirationDate"], c["status"], c["type"], c["offerName"]) for c in d]')" \
	'[["CIV", 599, 600, "2099-04-01T09:30:00.000Z", "ACTIVE", "SELFSERVICE", "SMS_OCB"], ["SEN", 50, 50, "2024-07-01T00:00:00.000Z", "EXPIRED", "SELFSERVICE", "SMS_OCB"]]' "live contracts"
eq "$(jv "$T_TMP/body" 'sorted(d[0].keys())')" \
	'["applicationId", "availableUnits", "country", "creationDate", "developerId", "expirationDate", "id", "lastUpdateDate", "offerName", "requestedUnits", "status", "type"]' "live contract fields"
req GET "$SIM_URL/sms/admin/v1/contracts?country=CIV" -H "Authorization: Bearer $TOK" >/dev/null
eq "$(jv "$T_TMP/body" '[c["country"] for c in d]')" '["CIV"]' "live contracts?country"
req GET "$SIM_URL/sms/admin/v1/purchaseorders?country=CIV" -H "Authorization: Bearer $TOK" >/dev/null
eq "$(jv "$T_TMP/body" '[(p["country"], p["newAvailableUnits"] - p["oldAvailableUnits"], p["price"], p["currency"], p["purchaseDate"], p["oldExpirationDate"], p["newExpirationDate"], p["type"]) for p in d]')" \
	'[["CIV", 100, 3500, "XOF", "2025-04-01T09:30:00.000Z", "2099-03-01T10:00:00.000Z", "2099-04-01T09:30:00.000Z", "BUNDLE_PURCHASE"], ["CIV", 500, 15000, "XOF", "2025-03-01T10:00:00.000Z", null, "2099-03-01T10:00:00.000Z", "BUNDLE_PURCHASE"]]' "live purchase orders, newest first"
req GET "$SIM_URL/sms/admin/v1/purchaseorders?country=EGY" -H "Authorization: Bearer $TOK" >/dev/null
eq "$(cat "$T_TMP/body")" '[]' "live purchase orders, no match"
req GET "$SIM_URL/sms/admin/v1/statistics?country=CIV" -H "Authorization: Bearer $TOK" >/dev/null
eq "$(jv "$T_TMP/body" '[d["partnerStatistics"]["developerId"]] + [(c["appid"], c["usage"], c["nbEnforcements"]) for c in d["partnerStatistics"]["statistics"][0]["serviceStatistics"][0]["countryStatistics"]]')" \
	'["partner@example.com", ["sim-app", 1, 1]]' "live statistics"
ok "live admin arrays (contracts, newest-first orders, statistics), seed file, numeric expires_in"

# ---- the live default: token, 401s, send answer, policy error, token rate ----
req POST "$SIM_URL/oauth/v3/token" -H "Authorization: $AUTH" \
	-H 'Content-Type: application/x-www-form-urlencoded' -d grant_type=client_credentials >/dev/null
head -c 1 "$T_TMP/body" | od -c | grep -q '\\n' || fail "live token body does not start with white space"
grep -q '^ *"access_token": "' "$T_TMP/body" || fail "live token body is not pretty-printed: $(head -c 200 "$T_TMP/body")"
TOK=$(jv "$T_TMP/body" 'd["access_token"]' | tr -d '"')
eq "${#TOK}" 600 "live token length"
case "$TOK" in eyJ*.*.*) ;; *) fail "live token is not JWT-shaped: $TOK" ;; esac
s=$(req POST "$SIM_URL/oauth/v3/token" -H "Authorization: basic dGVzdDp0ZXN0" \
	-H 'Content-Type: Application/X-WWW-Form-Urlencoded' -d grant_type=client_credentials)
eq "$s" 200 "token with 'basic' and a mixed-case media type"
s=$(req POST "$SIM_URL/oauth/v3/token" -H "Authorization: Basic d3Jvbmc6d3Jvbmc=" \
	-H 'Content-Type: application/x-www-form-urlencoded' -d grant_type=client_credentials)
eq "$s" 401 "wrong credentials"
eq "$(jv "$T_TMP/body" '[d["error"], d["error_description"]]')" \
	'["invalid_client", "The requested service needs credentials, but the ones provided were invalid."]' "invalid_client body"
grep -qi '^WWW-Authenticate: Basic realm="Authorization Required"' "$T_TMP/hdr" || fail "401 without the live WWW-Authenticate: $(cat "$T_TMP/hdr")"
s=$(req POST "$SIM_URL/oauth/v3/token" -H "Authorization: Basic !!not-base64!!" \
	-H 'Content-Type: application/x-www-form-urlencoded' -d grant_type=client_credentials)
eq "$s" 401 "undecodable Basic header"
eq "$(jv "$T_TMP/body" 'd["error_description"]')" 'Unable to decode Basic authorization.' "undecodable Basic body"
ok "live token: pretty, JWT-sized, number; 401 invalid_client with WWW-Authenticate; undecodable Basic"

sms_body tel:+2250701020305 "Abidjan" "$SENDER" >"$T_TMP/sms.json"
s=$(req POST "$SIM_URL/smsmessaging/v1/outbound/tel:+2230000/requests" -H "Authorization: bearer $TOK" \
	-H 'Content-Type: APPLICATION/JSON; charset=utf-8' --data-binary @"$T_TMP/sms.json")
eq "$s" 201 "send with a raw tel:+ path, 'bearer', upper-case media type"
eq "$(jv "$T_TMP/body" 'd["outboundSMSMessageRequest"]["address"]')" '["tel:+2250701020305"]' "address echoed as an array"
python3 - "$T_TMP/body" "$SIM_URL" <<'PY' || fail "live resourceURL: $(cat "$T_TMP/body")"
import json, re, sys
u = json.load(open(sys.argv[1]))["outboundSMSMessageRequest"]["resourceURL"]
assert re.fullmatch(re.escape(sys.argv[2]) + r"/smsmessaging/v1/outbound/tel:\+2230000/requests/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", u), u
PY
s=$(send "$TOK" tel:+221771234567 "Dakar")
eq "$s" 403 "expired contract"
eq "$(jv "$T_TMP/body" 'd["requestError"]["policyException"]')" \
	'{"messageId": "POL0001", "text": "A policy error occurred. Error code is %1", "variables": ["Expired contract"]}' "live POL0001"
ok "live send: raw and encoded paths, case-insensitive schemes and media types, address array, resourceURL; POL0001"

# token requests: about 50 a minute, then 429 with Retry-After
n=0
while [ $n -lt 60 ]; do
	s=$(req POST "$SIM_URL/oauth/v3/token" -H "Authorization: $AUTH" \
		-H 'Content-Type: application/x-www-form-urlencoded' -d grant_type=client_credentials)
	[ "$s" = 429 ] && break
	eq "$s" 200 "token request $n"
	n=$((n + 1))
done
eq "$s" 429 "the token request after the limit"
[ $n -le 50 ] || fail "$n token requests accepted in a minute"
grep -qi '^Retry-After: [0-9]' "$T_TMP/hdr" || fail "429 without Retry-After"
sim_stop
ok "token requests limited per minute (429 after $n, counting the earlier ones)"
