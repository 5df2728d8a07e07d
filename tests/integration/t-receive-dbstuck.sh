#!/bin/sh
# A struggling database under griot receive: another session holds the
# receipt lock (sql/030's advisory lock) while receipts come in.  Lock
# and timeout errors are not data errors: no per-row retries, the
# database is marked unhealthy (503, /healthz not ok), the batch is
# retried whole, the receiver recovers by itself when the lock goes, and
# SIGTERM is not held past its deadline.  A data error (SQLSTATE class
# 22/23) in one row still leaves the others stored.
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/receive.sh"

new_db
sql "INSERT INTO campaigns (name) VALUES ('c1')"
sql "INSERT INTO messages (campaign_id, msisdn, country, send_status, resource_id)
     SELECT 1, '+2237000' || lpad(g::text, 4, '0'), 'MLI', 'sent', 'rid-' || g FROM generate_series(1, 50) g"

# hold_lock: another session takes the receipt lock and keeps it
hold_lock() {
	psql -qAtX -d "$T_DB" -c "SET application_name = 'lock-holder'" \
		-c "SELECT pg_advisory_lock(4720030)" -c "SELECT pg_sleep(300)" >/dev/null 2>&1 &
	HOLDER=$!
	T_PIDS="$T_PIDS $HOLDER"
	poll_until 20 '[ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = '"'advisory'"' AND objid = 4720030 AND granted")" = 1 ]' ||
		fail "the lock was not taken"
}
release_lock() {
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lock-holder'" >/dev/null
	wait "$HOLDER" 2>/dev/null
}

start_receiver --allow 127.0.0.1/32 --timeout 3
expect 200 "$(dr rid-1 tel:+22370000001 DeliveredToTerminal)"

# ---- lock held: 503 (not 500), /healthz not ok, nothing lost ----
hold_lock
expect 503 "$(dr rid-2 tel:+22370000002 DeliveredToTerminal)" --max-time 30
[ "$(healthz)" = 503 ] || fail "/healthz ok while the receipt lock is held elsewhere"
curl -s "http://$RECV_ADDR/metrics" | grep -qx 'griot_dr_db_up 0' || fail "metrics: db_up not 0"
expect 503 "$(dr rid-3 tel:+22370000003 DeliveredToTerminal)" --max-time 30
grep -q "receipt for .* not stored" "$T_TMP/recv.log" && fail "rows retried one by one after a lock timeout"
ok "lock held elsewhere: 503, /healthz 503, no per-row retries"

# ---- the lock goes: healthy again by itself ----
release_lock
poll_until 30 '[ "$(healthz)" = 200 ]' || fail "not healthy again after the lock was released"
expect 200 "$(dr rid-2 tel:+22370000002 DeliveredToTerminal)"
ok "recovers by itself once the lock is released"

# ---- a data error in one row: the others are stored ----
# (a receipt whose raw text PostgreSQL refuses: a NUL-free but invalid
# inet cannot come from HTTP, so a CHECK is added for the test)
sql "ALTER TABLE delivery_receipts ADD CONSTRAINT t_no_poison CHECK (resource_id <> 'poison')"
curl -s -o "$T_TMP/p1" -w '%{http_code}\n' -H 'Content-Type: application/json' \
	--data-binary "$(dr poison tel:+22370000004 DeliveredToTerminal)" "$DR_URL" >"$T_TMP/c1" &
p1=$!
curl -s -o "$T_TMP/p2" -w '%{http_code}\n' -H 'Content-Type: application/json' \
	--data-binary "$(dr rid-5 tel:+22370000005 DeliveredToTerminal)" "$DR_URL" >"$T_TMP/c2" &
p2=$!
wait $p1 $p2
[ "$(cat "$T_TMP/c1")" = 500 ] || fail "poison row answered $(cat "$T_TMP/c1")"
[ "$(cat "$T_TMP/c2")" = 200 ] || fail "good row beside a poison one answered $(cat "$T_TMP/c2")"
[ "$(healthz)" = 200 ] || fail "a data error marked the database unhealthy"
sql "ALTER TABLE delivery_receipts DROP CONSTRAINT t_no_poison"
ok "a data error (class 23) costs only its own row"

# ---- SIGTERM while a batch waits on the lock: exits within its deadline ----
hold_lock
curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 -H 'Content-Type: application/json' \
	--data-binary "$(dr rid-6 tel:+22370000006 DeliveredToTerminal)" "$DR_URL" >"$T_TMP/c3" &
cpid=$!
poll_until 20 '[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = '"'griot receive'"' AND wait_event_type = '"'Lock'"'")" -ge 1 ]' ||
	fail "the batch never waited on the lock"
kill -TERM "$RECV_PID"
poll_until 20 '! kill -0 "$RECV_PID" 2>/dev/null' || fail "SIGTERM held past its deadline while the database was stuck"
wait "$RECV_PID"
wait $cpid
[ "$(cat "$T_TMP/c3")" = 503 ] || fail "the receipt in flight at SIGTERM answered $(cat "$T_TMP/c3")"
release_lock
ok "SIGTERM during a stuck batch: stopped within the deadline, the receipt answered 503"
