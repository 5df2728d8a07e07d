#!/bin/sh
# Slow hostile clients (tests/tools/slow-client) beside valid receipts:
# connections from outside the allowlist are closed at accept time, one
# address cannot take more than --max-per-address slots, a request must
# arrive whole within --request-deadline however it trickles, and 1,000
# slow hostile connections do not keep an allowed receipt from its 200.
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/receive.sh"

new_db
sql "INSERT INTO campaigns (name) VALUES ('c1')"
sql "INSERT INTO messages (campaign_id, msisdn, country, send_status, resource_id)
     SELECT 1, '+2237000' || lpad(g::text, 4, '0'), 'MLI', 'sent', 'rid-' || g FROM generate_series(1, 50) g"

# ---- outside the allowlist: closed at accept, the slots stay free ----
# (127.0.0.1 allowed; 127.0.0.2 is not.)  Four slow sockets from 127.0.0.2
# against 4 connection slots used to hold the receiver for as long as
# they trickled.
start_receiver --allow 127.0.0.1/32 --max-connections 4
slow_start out -n 4 --source 127.0.0.2 --interval 1000 --duration 30
expect 200 "$(dr rid-1 tel:+22370000001 DeliveredToTerminal)" --max-time 10
slow_wait out
[ "$(slow_field out closed_by_peer)" = 4 ] || fail "connections from a non-allowed address not closed"
curl -s "http://$RECV_ADDR/metrics" | grep -qx 'griot_dr_rejected_total{reason="not_allowed"} 4' ||
	fail "refusals at accept not counted: $(curl -s "http://$RECV_ADDR/metrics" | grep rejected)"
ok "connections from outside the allowlist closed at accept; the receipt answered"
kill "$RECV_PID"; wait "$RECV_PID"

# ---- one allowed address cannot take every slot ----
start_receiver --allow 127.0.0.1/32,127.0.0.4/32 --max-connections 8 --max-per-address 4
slow_start peraddr -n 8 --source 127.0.0.4 --interval 1000 --duration 30
expect 200 "$(dr rid-2 tel:+22370000002 DeliveredToTerminal)" --max-time 10
kill "$SLOW_PID_peraddr"
slow_wait peraddr
[ "$(slow_field peraddr closed_by_peer)" -ge 4 ] || fail "more than 4 connections from one address kept"
ok "per-address connection limit"
kill "$RECV_PID"; wait "$RECV_PID"

# ---- absolute deadline: trickling bytes does not keep a request alive ----
start_receiver --allow 127.0.0.1/32 --timeout 20 --request-deadline 2
slow_start deadline -n 3 --interval 200 --duration 60
slow_wait deadline
[ "$(slow_field deadline closed_by_peer)" = 3 ] || fail "trickling requests not cut at the deadline"
curl -s "http://$RECV_ADDR/metrics" | grep -qx 'griot_dr_rejected_total{reason="deadline"} 3' ||
	fail "deadline cuts not counted"
expect 200 "$(dr rid-3 tel:+22370000003 DeliveredToTerminal)" --max-time 10
ok "headers and body must arrive within --request-deadline"
kill "$RECV_PID"; wait "$RECV_PID"

# ---- 1,000 slow hostile connections beside allowed receipts ----
start_receiver --allow 127.0.0.1/32
slow_start many -n 1000 --source 127.0.0.2 --interval 1000 --duration 60
i=10
while [ $i -le 30 ]; do
	expect 200 "$(dr rid-$i tel:+223700000$i DeliveredToTerminal)" --max-time 10
	i=$((i + 1))
done
kill "$SLOW_PID_many" 2>/dev/null
slow_wait many
[ "$(sql "SELECT count(*) FROM delivery_receipts WHERE resource_id LIKE 'rid-%'")" = 24 ] || fail "receipts not stored"
ok "21 receipts answered 200 while 1,000 hostile connections tried"
kill "$RECV_PID"; wait "$RECV_PID"

# ---- log flood: every line about a client is rate-limited and sanitised ----
start_receiver --allow 127.0.0.1/32 --timeout 2
: >"$T_TMP/recv.log"
python3 - "$RECV_ADDR" <<'PY' || fail "flood client"
import socket, sys
host, port = sys.argv[1].rsplit(':', 1)
reqs = [b"\x1b[31mEVIL\r /orange/dr/x HTTP/1.1\r\nHost: x\r\n\r\n",   # escape and CR in the method
        b"PO\x1bST /orange/dr/x\x1b[2J HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /nowhere\x07 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GARBAGE\x00\x07\r\n\r\n",
        b"POST /orange/dr/x HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"]  # closed mid-body
for i in range(150):
    for r in reqs:
        s = socket.create_connection((host, int(port)))
        s.sendall(r)
        s.shutdown(socket.SHUT_WR)
        try:
            s.recv(4096)
        except OSError:
            pass
        s.close()
PY
slow_start flood -n 300 --source 127.0.0.3 --duration 30
slow_wait flood >/dev/null
expect 200 "$(dr rid-40 tel:+22370000040 DeliveredToTerminal)"
lines=$(wc -l <"$T_TMP/recv.log")
[ "$lines" -le 20 ] || fail "1,050 hostile requests wrote $lines log lines: $(head -c 2000 "$T_TMP/recv.log")"
LC_ALL=C grep -n '[^[:print:]]' "$T_TMP/recv.log" && fail "control characters reached the log"
LC_ALL=C awk 'length($0) > 400 { exit 1 }' "$T_TMP/recv.log" || fail "a log line longer than 400 bytes"
curl -s "http://$RECV_ADDR/metrics" >"$T_TMP/metrics"
total=$(awk '/^griot_dr_rejected_total|^griot_dr_http_errors_total/ { n += $2 } END { print n }' "$T_TMP/metrics")
[ "$total" -ge 900 ] || fail "the flood was not counted in /metrics: $(grep -v '^#' "$T_TMP/metrics")"
ok "a flood of 1,050 malformed requests: $lines log lines, printable, bounded; counted in /metrics"
kill "$RECV_PID"; wait "$RECV_PID"

# ---- strict JSON at the largest allowed body: no comments, depth bounded ----
start_receiver --allow 127.0.0.1/32 --max-body 16777216
gen() { python3 -c "import sys; sys.stdout.write(sys.argv[1] + '[' * int(sys.argv[2]) + ']' * int(sys.argv[2]) + sys.argv[3])" "$@"; }
# 200 levels hidden from a pre-scan behind /*"*/ used to be stored as raw that is not JSON
gen '{"deliveryInfoNotification":{"callbackData":"rid-41","deliveryInfo":{"address":"tel:+22370000041","deliveryStatus":"DeliveredToTerminal"}},"x":/*"*/' 200 '}' >"$T_TMP/comment.json"
expect 400 "@$T_TMP/comment.json"
gen '{"deliveryInfoNotification":{"callbackData":"rid-42","deliveryInfo":{"address":"tel:+22370000042","deliveryStatus":"DeliveredToTerminal"}}} // c' 0 '' >"$T_TMP/comment2.json"
expect 400 "@$T_TMP/comment2.json"
# 300,000 levels (it crashed the receiver), then a whole 16 MiB body of them
gen '{"x":/*"*/' 300000 '}' >"$T_TMP/deep.json"
expect 400 "@$T_TMP/deep.json"
gen '' 8388608 '' >"$T_TMP/deepest.json"
[ "$(wc -c <"$T_TMP/deepest.json")" = 16777216 ] || fail "test body not 16 MiB"
expect 400 "@$T_TMP/deepest.json"
kill -0 "$RECV_PID" || fail "the receiver died"
expect 200 "$(dr rid-43 tel:+22370000043 DeliveredToTerminal)"
[ "$(sql "SELECT count(*) FROM delivery_receipts WHERE resource_id IN ('rid-41','rid-42')")" = 0 ] ||
	fail "JSON with comments was stored"
[ "$(sql "SELECT count(*) FROM delivery_receipts WHERE raw::jsonb IS NULL")" = 0 ] || fail "raw that is not JSON"
ok "comments and nesting (300,000 levels, a 16 MiB body) refused 400, the receiver alive"
kill "$RECV_PID"; wait "$RECV_PID"
