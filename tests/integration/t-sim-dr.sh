#!/bin/sh
# orange-sim: DR subscriptions (create/check/delete), receipts POSTed to a
# real receiver (tests/tools/dr-sink), retries on non-200, the status mix,
# duplicates, intermediate MessageWaiting and out-of-order delivery.
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/sim.sh"

subscribe() { # URL -> status; body in $T_TMP/body
	python3 -c 'import json,sys; print(json.dumps({"deliveryReceiptSubscription":{"callbackReference":{"notifyURL":sys.argv[1]}}}))' \
		"$1" >"$T_TMP/sub.json"
	req POST "$SIM_URL/smsmessaging/v1/outbound/$SENDER_ENC/subscriptions" -H "Authorization: Bearer $TOK" \
		-H 'Content-Type: application/json' --data-binary @"$T_TMP/sub.json"
}
ndr() { ledger 'sum(1 for x in L if x["event"]=="dr")'; }
ndr_ge() { [ "$(ndr)" -ge "$1" ]; }

# ---- subscriptions ----
sim_start subs --credits MLI:100
TOK=$(token)
s=$(subscribe "http://127.0.0.1:9/dr")
eq "$s" 400 "http:// notifyURL without --allow-http-notify"
eq "$(jv "$T_TMP/body" 'd["requestError"]["serviceException"]["variables"]')" '["notifyURL"]' "notifyURL variable"
s=$(subscribe "https://dr.example.com/orange/smsdr")
eq "$s" 201 "subscribe"
eq "$(jv "$T_TMP/body" 'd["deliveryReceiptSubscription"]["callbackReference"]["notifyURL"]')" https://dr.example.com/orange/smsdr "notifyURL echoed"
url1=$(jv "$T_TMP/body" 'd["deliveryReceiptSubscription"]["resourceURL"]')
id1=${url1##*/}
case "$url1" in "$SIM_URL/smsmessaging/v1/outbound/subscriptions/$id1") ;; *) fail "resourceURL $url1" ;; esac
s=$(req GET "$url1" -H "Authorization: Bearer $TOK")
eq "$s" 200 "check subscription"
eq "$(jv "$T_TMP/body" 'd["deliveryReceiptSubscription"]["callbackReference"]["notifyURL"]')" https://dr.example.com/orange/smsdr "checked notifyURL"
s=$(req GET "$url1")
eq "$s" 401 "check without a token"
s=$(subscribe "https://dr2.example.com/x")
eq "$s" 201 "second subscription"
url2=$(jv "$T_TMP/body" 'd["deliveryReceiptSubscription"]["resourceURL"]')
id2=${url2##*/}
s=$(req GET "$url1" -H "Authorization: Bearer $TOK")
eq "$s" 404 "the replaced subscription is gone"
eq "$(req GET "$SIM_URL/_sim/state" >/dev/null; jv "$T_TMP/body" 'd["subscription"]')" https://dr2.example.com/x "current subscription"
s=$(req DELETE "$SIM_URL/smsmessaging/v1/outbound/subscriptions/$id2" -H "Authorization: Bearer $TOK")
eq "$s" 405 "DELETE without the sender in the path"
s=$(req DELETE "$SIM_URL/smsmessaging/v1/outbound/$SENDER_ENC/subscriptions/$id2" -H "Authorization: Bearer $TOK")
eq "$s" 204 "unsubscribe"
s=$(req GET "$url2" -H "Authorization: Bearer $TOK")
eq "$s" 404 "checked after unsubscribe"
eq "$(jv "$T_TMP/body" 'd["code"]')" 60 "404 code"
s=$(req DELETE "$SIM_URL/smsmessaging/v1/outbound/$SENDER_ENC/subscriptions/$id2" -H "Authorization: Bearer $TOK")
eq "$s" 404 "unsubscribe twice"
s=$(send "$TOK" tel:+22370123456 "no subscription")
eq "$s" 201 "send without subscription"
eq "$(req GET "$SIM_URL/_sim/state" >/dev/null; jv "$T_TMP/body" '[d["dr"]["no_target"], d["dr"]["pending"]]')" '[1, 0]' "no receipt planned without a target"
sim_stop
ok "subscriptions: https only, create/check/replace/delete, 404 for unknown ids"

# ---- receipts reach the subscribed receiver, in order ----
sim_start dr --credits MLI:1000 --rate 1000 --allow-http-notify --dr-delay 0 --dr-retry-base 20 --dr-max-tries 4
TOK=$(token)
sink_start ok
s=$(subscribe "$SINK_URL")
eq "$s" 201 "subscribe http:// with --allow-http-notify"
for i in 1 2 3 4 5 6 7 8; do
	s=$(send "$TOK" "tel:+2237012345$i" "message $i")
	eq "$s" 201 "send $i"
done
wait_for "8 receipts" ndr_ge 8
eq "$(ndr)" 8 "dr lines"
python3 - "$SIM_LEDGER" "$SINK_OUT" <<'EOF' || fail "receipts do not match the accepted messages"
import json, sys
L = [json.loads(x) for x in open(sys.argv[1])]
sms = [x for x in L if x["event"] == "sms"]
dr = [x for x in L if x["event"] == "dr"]
got = []
for line in open(sys.argv[2]):
    status, body = line.split(" ", 1)
    assert status == "200", line
    n = json.loads(body)["deliveryInfoNotification"]
    got.append((n["callbackData"], n["deliveryInfo"]["address"], n["deliveryInfo"]["deliveryStatus"]))
want = [(s["resource_id"], s["address"], "DeliveredToTerminal") for s in sms]
assert got == want, (got, want)
assert [(d["resource_id"], d["address"], d["status"], d["final"]) for d in dr] == [w + (True,) for w in want], dr
EOF
ok "8 receipts POSTed in send order with the documented body; ledger dr lines match"

# ---- a receiver answering 503 gets the receipt again ----
sink_start flaky --fail-first 3
s=$(subscribe "$SINK_URL")
eq "$s" 201 "resubscribe to the flaky receiver"
s=$(send "$TOK" tel:+22370000001 "retry me")
eq "$s" 201 "send"
rid=$(jv "$T_TMP/body" 'd["outboundSMSMessageRequest"]["resourceURL"].rsplit("/",1)[1]')
wait_for "the retried receipt" ndr_ge 9
eq "$(cut -d' ' -f1 "$SINK_OUT" | tr '\n' ' ')" "503 503 503 200 " "receiver saw 3 refusals then the receipt"
eq "$(ledger 'L[-1]["resource_id"]+" "+str(L[-1]["attempt"])')" "$rid 4" "dr line after the 4th attempt"
# A receiver that never says 200: the simulator gives up after --dr-max-tries.
sink_start broken --status 500
s=$(subscribe "$SINK_URL")
s=$(send "$TOK" tel:+22370000002 "never acknowledged")
wait_for "the give-up line" sh -c "grep -q dr_gave_up '$SIM_LEDGER'"
eq "$(wc -l <"$SINK_OUT" | tr -d ' ')" 4 "tries before giving up"
eq "$(ndr)" 9 "no dr line for an unacknowledged receipt"
eq "$(req GET "$SIM_URL/_sim/state" >/dev/null; jv "$T_TMP/body" '[d["dr"]["sent"], d["dr"]["failed_attempts"], d["dr"]["gave_up"]]')" '[9, 7, 1]' "dr counters"
sim_stop
ok "retries with backoff on non-200, gives up after --dr-max-tries"

# ---- mix, duplicates, MessageWaiting, reordering (to --dr-url) ----
sink_start mix
sim_start mix --credits MLI:1000 --rate 1000 --dr-url "$SINK_URL" --dr-delay 0 --seed-random 42 \
	--dr-mix DeliveredToTerminal:1,DeliveryImpossible:1 --dr-dup 1 --dr-waiting 1 --dr-reorder
TOK=$(token)
for i in 1 2 3 4 5 6 7 8; do
	s=$(send "$TOK" "tel:+2237012345$i" "message $i")
	eq "$s" 201 "send $i"
done
wait_for "24 receipts" ndr_ge 24
python3 - "$SIM_LEDGER" "$SINK_OUT" <<'EOF' || fail "mix/dup/waiting/reorder"
import json, sys
L = [json.loads(x) for x in open(sys.argv[1])]
sms = [x["resource_id"] for x in L if x["event"] == "sms"]
dr = [x for x in L if x["event"] == "dr"]
seen = []
for line in open(sys.argv[2]):
    status, body = line.split(" ", 1)
    n = json.loads(body)["deliveryInfoNotification"]
    seen.append((n["callbackData"], n["deliveryInfo"]["deliveryStatus"]))
assert len(seen) == 24 and len(dr) == 24, (len(seen), len(dr))
assert [(d["resource_id"], d["status"]) for d in dr] == seen, "ledger order = delivery order"
finals = set()
for rid in sms:
    mine = [(i, d) for i, d in enumerate(dr) if d["resource_id"] == rid]
    assert len(mine) == 3, mine
    waiting = [(i, d) for i, d in mine if not d["final"]]
    final = [(i, d) for i, d in mine if d["final"]]
    assert len(waiting) == 1 and waiting[0][1]["status"] == "MessageWaiting", mine
    assert len(final) == 2 and final[0][1]["status"] == final[1][1]["status"], mine
    assert sum(1 for _, d in final if d["dup"]) == 1, mine
    assert final[0][1]["status"] in ("DeliveredToTerminal", "DeliveryImpossible"), mine
    # --dr-reorder: the stale MessageWaiting comes after the final status.
    assert waiting[0][0] > final[0][0], mine
    finals.add(final[0][1]["status"])
assert finals == {"DeliveredToTerminal", "DeliveryImpossible"}, finals
# --dr-reorder: each message's first final receipt overtakes the previous one's.
first = [min(i for i, d in enumerate(dr) if d["resource_id"] == rid and d["final"]) for rid in sms]
for k in range(0, len(sms), 2):
    assert first[k + 1] < first[k], (k, first)
EOF
ok "--dr-mix, --dr-dup, --dr-waiting, --dr-reorder, --dr-url"

# ---- https receivers (the only kind Orange accepts) ----
sim_stop
cert=$T_TMP/cert.pem key=$T_TMP/key.pem
if command -v openssl >/dev/null 2>&1; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$key" -out "$cert" -days 1 \
		-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || fail "openssl"
else
	printf 'cn = localhost\nip_address = 127.0.0.1\nexpiration_days = 1\ntls_www_server\n' >"$T_TMP/tmpl"
	certtool --generate-privkey --outfile "$key" >/dev/null 2>&1 || fail "certtool key"
	certtool --generate-self-signed --load-privkey "$key" --template "$T_TMP/tmpl" \
		--outfile "$cert" >/dev/null 2>&1 || fail "certtool cert"
fi
sink_start tls --tls-cert "$cert" --tls-key "$key"
case "$SINK_URL" in https://*) ;; *) fail "TLS sink URL $SINK_URL" ;; esac
sim_start tls --credits MLI:10 --dr-delay 0 --dr-cacert "$cert"
TOK=$(token)
s=$(subscribe "$SINK_URL")
eq "$s" 201 "https subscription without --allow-http-notify"
s=$(send "$TOK" tel:+22370000003 "over TLS")
eq "$s" 201 "send"
wait_for "the receipt over TLS" ndr_ge 1
eq "$(cut -d' ' -f1 "$SINK_OUT")" 200 "TLS receiver answered"
eq "$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().split(" ",1)[1])["deliveryInfoNotification"]["deliveryInfo"]["address"])' "$SINK_OUT")" \
	tel:+22370000003 "receipt body over TLS"
sim_stop
ok "receipts POSTed to an https receiver verified with --dr-cacert"

# ---- --dr-threads: receipts POSTed side by side ----
# The receiver answers only once 4 requests are open at the same time (a
# barrier, bounded at 20 s); one thread could never get there.
cat >"$T_TMP/barrier.py" <<'PY'
import http.server, sys, threading
barrier = threading.Barrier(4, timeout=20)
out = open(sys.argv[1], "a")
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        try:
            barrier.wait()
            code = 200
        except threading.BrokenBarrierError:
            code = 503
        out.write("%d\n" % code); out.flush()
        self.send_response(code); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("ready %d" % s.server_address[1], flush=True)
s.serve_forever()
PY
mkfifo "$T_TMP/barrier.fifo"
python3 "$T_TMP/barrier.py" "$T_TMP/barrier.out" >"$T_TMP/barrier.fifo" &
T_PIDS="$T_PIDS $!"
read -r _l <"$T_TMP/barrier.fifo" || fail "barrier receiver did not start"
sim_start threads --credits MLI:10 --dr-delay 0 --dr-threads 4 --dr-max-tries 1 \
	--dr-url "http://127.0.0.1:${_l#ready }/dr" --allow-http-notify
TOK=$(token)
for i in 1 2 3 4; do
	eq "$(send "$TOK" tel:+2237000001$i "side by side $i")" 201 "send $i"
done
wait_for "4 receipts delivered at once" ndr_ge 4
eq "$(sort -u "$T_TMP/barrier.out")" 200 "every receipt answered after the barrier"
sim_stop
ok "--dr-threads 4: four receipts in flight at once"
