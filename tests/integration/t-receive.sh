#!/bin/sh
# griot receive over real HTTP on loopback against PostgreSQL: every
# status, duplicates, out-of-order, late resource_id, unknown ids, bad
# input of every kind, access control (allowlist, secret, X-Forwarded-For
# trusted and forged), slow clients, metrics, secret hygiene, SIGTERM.
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/receive.sh"

new_db
sql "INSERT INTO campaigns (name) VALUES ('c1')"
i=1
for s in w net term unc imp dup ooo; do
	sql "INSERT INTO messages (campaign_id, msisdn, country, send_status, resource_id)
	     VALUES (1, '+2237000000$i', 'MLI', 'sent', 'rid-$s')"
	i=$((i + 1))
done
sql "INSERT INTO messages (campaign_id, msisdn, country, send_status) VALUES (1, '+22370000099', 'MLI', 'sending')"

# 127.0.0.1 is allowed; 127.0.0.2 is a trusted proxy (not allowed itself);
# 127.0.0.3 is neither.  80.12.13.2 stands for Orange behind the proxy.
start_receiver --allow 127.0.0.1/32,80.12.13.2 --trust-proxy 127.0.0.2/32 --max-body 1024 --timeout 1

# ---- every status ----
expect 200 "$(dr rid-w tel:+22370000001 MessageWaiting)"
expect 200 "$(dr rid-net tel:+22370000002 DeliveredToNetwork)"
expect 200 "$(dr rid-term tel:+22370000003 DeliveredToTerminal)"
expect 200 "$(dr rid-unc tel:+22370000004 DeliveryUncertain)"
expect 200 "$(dr rid-imp tel:+22370000005 DeliveryImpossible)"
[ "$(sql "SELECT string_agg(resource_id || '=' || delivery_status, ' ' ORDER BY id) FROM messages
          WHERE resource_id IN ('rid-w','rid-net','rid-term','rid-unc','rid-imp')")" = \
  "rid-w=MessageWaiting rid-net=DeliveredToNetwork rid-term=DeliveredToTerminal rid-unc=DeliveryUncertain rid-imp=DeliveryImpossible" ] ||
	fail "statuses not applied: $(sql "SELECT resource_id, delivery_status FROM messages")"
[ "$(sql "SELECT count(*) FROM messages WHERE resource_id IN ('rid-net','rid-term','rid-unc','rid-imp') AND final_at IS NOT NULL")" = 4 ] ||
	fail "final_at not set"
[ "$(sql "SELECT count(*) FROM delivery_receipts WHERE source_addr = '127.0.0.1' AND message_id IS NOT NULL AND raw LIKE '%deliveryInfoNotification%'")" = 5 ] ||
	fail "receipts not kept with raw payload and source"
ok "every documented status applied and kept"

# ---- duplicates: stored, change nothing ----
expect 200 "$(dr rid-dup tel:+22370000006 DeliveredToTerminal)"
first=$(sql "SELECT final_at FROM messages WHERE resource_id = 'rid-dup'")
expect 200 "$(dr rid-dup tel:+22370000006 DeliveredToTerminal)"
expect 200 "$(dr rid-dup tel:+22370000006 DeliveredToNetwork)"
[ "$(sql "SELECT delivery_status || ' ' || final_at FROM messages WHERE resource_id = 'rid-dup'")" = "DeliveredToTerminal $first" ] ||
	fail "duplicate changed the message"
[ "$(sql "SELECT count(*) FROM delivery_receipts WHERE resource_id = 'rid-dup'")" = 3 ] || fail "duplicates not all stored"
ok "duplicates stored, first final and its time kept"

# ---- out of order: a late MessageWaiting never overwrites a final ----
expect 200 "$(dr rid-ooo tel:+22370000007 DeliveryImpossible)"
expect 200 "$(dr rid-ooo tel:+22370000007 MessageWaiting)"
[ "$(sql "SELECT delivery_status FROM messages WHERE resource_id = 'rid-ooo'")" = DeliveryImpossible ] ||
	fail "late MessageWaiting overwrote a final status"
ok "out-of-order receipts keep the final status"

# ---- receipt before the sender records the resource_id ----
expect 200 "$(dr rid-late tel:+22370000099 DeliveredToTerminal)"
[ "$(sql "SELECT count(*) FROM delivery_receipts WHERE resource_id = 'rid-late' AND message_id IS NULL")" = 1 ] ||
	fail "early receipt not kept unmatched"
sql "UPDATE messages SET resource_id = 'rid-late', send_status = 'sent' WHERE msisdn = '+22370000099'"
[ "$(sql "SELECT delivery_status FROM messages WHERE resource_id = 'rid-late'")" = DeliveredToTerminal ] ||
	fail "early receipt not applied when the resource_id was recorded"
ok "receipt before resource_id applied when the sender records it"

# ---- unknown ids: kept, orphaned after 24 h ----
expect 200 "$(dr rid-nobody tel:+22370000555 DeliveredToTerminal)"
[ "$(sql "SELECT count(*) FROM delivery_receipts WHERE resource_id = 'rid-nobody' AND message_id IS NULL")" = 1 ] ||
	fail "unknown id not stored"
[ "$(sql "SELECT count(*) FROM orphaned_receipts WHERE resource_id = 'rid-nobody'")" = 0 ] || fail "orphaned too early"
# let a day pass for that row
sql "UPDATE delivery_receipts SET received_at = received_at - interval '25 hours' WHERE resource_id = 'rid-nobody'"
[ "$(sql "SELECT count(*) FROM orphaned_receipts WHERE resource_id = 'rid-nobody'")" = 1 ] || fail "not reported as orphaned"
ok "unknown id stored, reported orphaned after 24 h"

# ---- undocumented status: stored raw, flagged, changes nothing ----
expect 200 "$(cat "$GRIOT_TOP/tests/data/dr-unknown-status.json")"
sql "INSERT INTO messages (campaign_id, msisdn, country, send_status, resource_id)
     VALUES (1, '+22370123456', 'MLI', 'sent', '5e1b2c3d-aaaa-bbbb-cccc-0123456789ab')"
[ "$(sql "SELECT coalesce(delivery_status, 'none') FROM messages WHERE msisdn = '+22370123456'")" = none ] ||
	fail "an undocumented status changed a message"
[ "$(sql "SELECT count(*) FROM delivery_receipts WHERE delivery_status = 'Expired' AND NOT status_valid")" = 1 ] ||
	fail "undocumented status not stored flagged"
ok "undocumented deliveryStatus stored flagged, message unchanged"

# ---- bad input: the right code, a short reason, nothing written ----
before=$(sql "SELECT count(*) FROM delivery_receipts")
expect 400 "$(cat "$GRIOT_TOP/tests/data/dr-malformed.json")"; grep -q "invalid JSON" "$T_TMP/resp" || fail "no reason: $(cat "$T_TMP/resp")"
expect 400 "$(cat "$GRIOT_TOP/tests/data/dr-wrong-type.json")"; grep -q "callbackData must be a string" "$T_TMP/resp" || fail "reason"
expect 400 "$(cat "$GRIOT_TOP/tests/data/dr-missing-field.json")"; grep -q "missing deliveryInfo.deliveryStatus" "$T_TMP/resp" || fail "reason"
expect 400 "$(cat "$GRIOT_TOP/tests/data/dr-bad-address.json")"; grep -q "tel:+" "$T_TMP/resp" || fail "reason"
expect 400 "$(cat "$GRIOT_TOP/tests/data/dr-deep.json")"; grep -q "nesting" "$T_TMP/resp" || fail "reason"
expect 400 ""
expect 400 '[]'
# oversize, announced and chunked
big=$(head -c 2000 /dev/zero | tr '\0' 'x')
expect 413 "{\"pad\":\"$big\"}"
code=$(printf '{"pad":"%s"}' "$big" | curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-H 'Transfer-Encoding: chunked' --data-binary @- "$DR_URL")
[ "$code" = 413 ] || fail "chunked oversize body: $code"
# method, content type, secret, path
code=$(curl -s -o /dev/null -w '%{http_code}' "$DR_URL"); [ "$code" = 405 ] || fail "GET: $code"
curl -s -D - -o /dev/null "$DR_URL" | grep -qi '^Allow: POST' || fail "405 on the DR path without Allow: POST"
curl -s -D - -o /dev/null -X DELETE "http://$RECV_ADDR/healthz" | grep -qi '^Allow: GET, HEAD' ||
	fail "405 on /healthz without Allow: GET, HEAD"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' --data-binary "$(dr rid-w tel:+22370000001 MessageWaiting)" "$DR_URL")
[ "$code" = 405 ] || fail "PUT: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' --data-binary "$(dr rid-w tel:+22370000001 MessageWaiting)" "$DR_URL")
[ "$code" = 415 ] || fail "text/plain: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$(dr rid-w tel:+22370000001 MessageWaiting)" "http://$RECV_ADDR/orange/dr/${SECRET}x")
[ "$code" = 404 ] || fail "wrong secret: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$(dr rid-w tel:+22370000001 MessageWaiting)" "http://$RECV_ADDR/orange/dr/")
[ "$code" = 404 ] || fail "no secret: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$(dr rid-w tel:+22370000001 MessageWaiting)" "http://$RECV_ADDR/$SECRET")
[ "$code" = 404 ] || fail "other path: $code"
[ "$(sql "SELECT count(*) FROM delivery_receipts")" = "$before" ] || fail "a refused request was written"
ok "malformed, wrong types, missing fields, bad address, oversize, method, type, secret: refused, nothing written"

# ---- source address: allowlist and X-Forwarded-For ----
body=$(dr rid-w tel:+22370000001 DeliveredToTerminal)
expect 000 "$body" --interface 127.0.0.3                                     # not allowed: closed at accept
expect 000 "$body" --interface 127.0.0.3 -H 'X-Forwarded-For: 80.12.13.2'   # forged by an untrusted peer
expect 403 "$body" --interface 127.0.0.2                                     # trusted proxy, no header
expect 403 "$body" --interface 127.0.0.2 -H 'X-Forwarded-For: 6.6.6.6'      # proxy says: not Orange
expect 403 "$body" --interface 127.0.0.2 -H 'X-Forwarded-For: 80.12.13.2, 6.6.6.6'  # forged leftmost entry
expect 403 "$body" --interface 127.0.0.2 -H 'X-Forwarded-For: garbage'
[ "$(sql "SELECT count(*) FROM delivery_receipts")" = "$before" ] || fail "a refused source was written"
expect 200 "$(dr rid-xff tel:+22370000001 MessageWaiting)" --interface 127.0.0.2 -H 'X-Forwarded-For: 6.6.6.6, 80.12.13.2'
[ "$(sql "SELECT source_addr FROM delivery_receipts WHERE resource_id = 'rid-xff'")" = 80.12.13.2 ] ||
	fail "client address behind the proxy not recorded"
expect 200 "$(dr rid-xff2 tel:+22370000001 MessageWaiting)" -H 'X-Forwarded-For: 6.6.6.6'
[ "$(sql "SELECT source_addr FROM delivery_receipts WHERE resource_id = 'rid-xff2'")" = 127.0.0.1 ] ||
	fail "X-Forwarded-For believed from a peer that is not a trusted proxy"
ok "allowlist enforced; X-Forwarded-For believed only from the trusted proxy"

# ---- a slow client is cut off (--timeout 1), and the server still works ----
# half a request, then silence: the server must hang up by itself
port=${RECV_ADDR##*:}
timeout 30 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$port"'
	printf "POST /orange/dr/x HTTP/1.1\r\nHost: x\r\n" >&3
	cat <&3 >/dev/null'
rc=$?
[ "$rc" != 124 ] || fail "slow client not timed out by the server"
timeout 30 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$port"'
	printf "POST /orange/dr/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{" >&3
	cat <&3 >/dev/null'
rc=$?
[ "$rc" != 124 ] || fail "client stalling in its body not timed out by the server"
expect 200 "$(dr rid-after-slow tel:+22370000001 MessageWaiting)"
ok "slow clients (headers, body) timed out by the server"

# ---- metrics and health ----
curl -s "http://$RECV_ADDR/metrics" >"$T_TMP/metrics"
for l in 'griot_dr_receipts_total{status="DeliveredToTerminal"} 5' \
	 'griot_dr_receipts_total{status="invalid"} 1' \
	 'griot_dr_rejected_total{reason="forbidden"} 3' \
	 'griot_dr_rejected_total{reason="not_allowed"} 2' \
	 'griot_dr_rejected_total{reason="bad_forwarded"} 1' \
	 'griot_dr_rejected_total{reason="bad_secret"} 3' \
	 'griot_dr_rejected_total{reason="not_found"} 1' \
	 'griot_dr_rejected_total{reason="too_large"} 2' \
	 'griot_dr_rejected_total{reason="bad_json"} 4' \
	 'griot_dr_rejected_total{reason="method"} 4' \
	 'griot_dr_rejected_total{reason="content_type"} 1' \
	 'griot_dr_db_up 1' 'griot_dr_queue_depth 0'; do
	grep -qxF "$l" "$T_TMP/metrics" || fail "metrics: no '$l' in: $(grep -v '^#' "$T_TMP/metrics")"
done
grep -q '^griot_dr_write_seconds_count ' "$T_TMP/metrics" || fail "no write latency"
grep -q '^griot_dr_batch_size_bucket' "$T_TMP/metrics" || fail "no batch sizes"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$RECV_ADDR/healthz"); [ "$code" = 200 ] || fail "healthz $code"
# /metrics has its own allowlist (default 127.0.0.1 and ::1): not the proxy
code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 "http://$RECV_ADDR/metrics")
[ "$code" = 403 ] || fail "/metrics answered $code to a source outside --metrics-allow"
ok "metrics count receipts by status and refusals by reason; healthz 200"

# ---- the secret never shows: not in the log, not in ps ----
grep -F -- "$SECRET" "$T_TMP/recv.log" && fail "secret in the log"
grep -q 'refused 404 bad_secret: POST /orange/dr/\*\*\*' "$T_TMP/recv.log" || fail "refusal not logged: $(cat "$T_TMP/recv.log")"
tr '\0' ' ' </proc/"$RECV_PID"/cmdline | grep -F -- "$SECRET" && fail "secret visible in ps"
grep -Eq '^Max core file size +0 +0 ' /proc/"$RECV_PID"/limits || fail "core dumps not off: $(grep core /proc/"$RECV_PID"/limits)"
ok "secret in neither log nor ps; core dumps off"

# ---- SIGTERM: graceful, exit 0 ----
kill -TERM "$RECV_PID"
wait "$RECV_PID"; rc=$?
[ "$rc" = 0 ] || fail "exit $rc after SIGTERM"
grep -q "stopped" "$T_TMP/recv.log" || fail "no stop line"
grep -q "receipts: 1[0-9] stored" "$T_TMP/recv.log" || fail "no summary line: $(tail -n 3 "$T_TMP/recv.log")"
ok "SIGTERM: clean exit 0"

# ---- usage errors ----
"$GRIOT_BIN" receive --listen 127.0.0.1:0 --secret short 2>/dev/null; [ $? = 64 ] || fail "short secret accepted"
"$GRIOT_BIN" receive --listen 127.0.0.1:0 --secret "$SECRET" --allow 10.0.0.0/99 2>/dev/null; [ $? = 64 ] || fail "bad CIDR accepted"
GRIOT_DR_SECRET= "$GRIOT_BIN" receive --listen 127.0.0.1:0 2>/dev/null; [ $? = 64 ] || fail "no secret accepted"
"$GRIOT_BIN" receive --help | grep -q -- --trust-proxy || fail "--help"
ok "usage errors exit 64"
