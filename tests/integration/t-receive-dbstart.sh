#!/bin/sh
# griot receive and its database at start and for durability: it starts
# while the database is unreachable, answers 503 (and /healthz says so),
# then recovers by itself once the database is there; its writer commits
# with synchronous_commit = on even where the database's default is off.
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/receive.sh"

# ---- the database is not there yet at start ----
T_DB="t_${T_NAME}_$$"
psql -qAt -d postgres -c "DROP DATABASE IF EXISTS $T_DB" >/dev/null
export DATABASE_URL="dbname=$T_DB"
start_receiver --allow 127.0.0.1/32
kill -0 "$RECV_PID" || fail "receive exited with the database unreachable"
expect 503 "$(dr rid-1 tel:+22370000001 DeliveredToTerminal)"
[ "$(healthz)" = 503 ] || fail "/healthz ok without a database"
ok "starts with the database unreachable and answers 503"

psql -qAt -d postgres -c "CREATE DATABASE $T_DB" >/dev/null || fail "createdb"
# durability must not depend on the database's default
sql "ALTER DATABASE $T_DB SET synchronous_commit = off"
griot db migrate >/dev/null 2>&1 || fail "migrate"
sql "INSERT INTO campaigns (name) VALUES ('c1')"
sql "INSERT INTO messages (campaign_id, msisdn, country, send_status, resource_id)
     VALUES (1, '+22370000001', 'MLI', 'sent', 'rid-1')"
# what the writer's session says when it stores a receipt
sql "CREATE TABLE t_seen (setting text);
     CREATE FUNCTION t_seen() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN INSERT INTO t_seen VALUES (current_setting('synchronous_commit')); RETURN NULL; END \$\$;
     CREATE TRIGGER t_seen AFTER INSERT ON delivery_receipts FOR EACH STATEMENT EXECUTE FUNCTION t_seen()"
[ "$(psql -qAtX -d "$T_DB" -c 'SHOW synchronous_commit')" = off ] || fail "test setup: default not off"
poll_until 30 '[ "$(healthz)" = 200 ]' || fail "not healthy once the database exists"
expect 200 "$(dr rid-1 tel:+22370000001 DeliveredToTerminal)"
[ "$(sql "SELECT delivery_status FROM messages WHERE resource_id = 'rid-1'")" = DeliveredToTerminal ] ||
	fail "receipt not applied"
ok "recovers by itself once the database is there"
[ "$(sql "SELECT string_agg(DISTINCT setting, ',') FROM t_seen")" = on ] ||
	fail "receipts committed with synchronous_commit = $(sql "SELECT string_agg(DISTINCT setting, ',') FROM t_seen")"
ok "the writer commits with synchronous_commit = on where the database default is off"
kill "$RECV_PID"; wait "$RECV_PID"

# ---- a database that accepts connections and never answers ----
# libpq's connect_timeout (set by core/db.c) bounds the wait: the receiver
# starts, answers 503, and says so on /healthz, instead of hanging.
python3 -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
' >"$T_TMP/hang.port" &
T_PIDS="$T_PIDS $!"
poll_until 20 '[ -s "$T_TMP/hang.port" ]' || fail "the hanging server did not start"
mkfifo "$T_TMP/hang.fifo"
DATABASE_URL="host=127.0.0.1 port=$(cat "$T_TMP/hang.port") dbname=x user=x" \
	"$GRIOT_BIN" receive --listen 127.0.0.1:0 --secret "$SECRET" --allow 127.0.0.1/32 \
	>"$T_TMP/hang.fifo" 2>>"$T_TMP/recv.log" &
RECV_PID=$!
T_PIDS="$T_PIDS $RECV_PID"
# a watchdog: a receiver still not ready after 30 s is killed, so that the
# test fails instead of blocking
( i=0
  while [ $i -lt 300 ] && [ ! -e "$T_TMP/hang.ready" ]; do i=$((i + 1)); sleep 0.1; done
  [ -e "$T_TMP/hang.ready" ] || kill "$RECV_PID" ) &
read -r line <"$T_TMP/hang.fifo" || fail "griot receive hung at start on a database that never answers"
touch "$T_TMP/hang.ready"
RECV_ADDR=${line#ready }
DR_URL="http://$RECV_ADDR/orange/dr/$SECRET"
expect 503 "$(dr rid-1 tel:+22370000001 DeliveredToTerminal)"
[ "$(healthz)" = 503 ] || fail "/healthz ok with a database that never answers"
kill "$RECV_PID"; wait "$RECV_PID"
ok "a database that never answers: connect_timeout, 503, the receiver up"
