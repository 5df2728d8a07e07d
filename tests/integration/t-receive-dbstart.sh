#!/bin/sh
# griot receive and its database at start and for durability: it starts
# while the database is unreachable, answers 503 (and /healthz says so),
# then recovers by itself once the database is there; its writer commits
# with synchronous_commit = on even where the database's default is off.
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/receive.sh"

wait_for() {
	_end=$(( $(date +%s) + $1 ))
	shift
	until eval "$1"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.05
	done
}
healthz() { curl -s -o /dev/null -w '%{http_code}' "http://$RECV_ADDR/healthz"; }

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
wait_for 30 '[ "$(healthz)" = 200 ]' || fail "not healthy once the database exists"
expect 200 "$(dr rid-1 tel:+22370000001 DeliveredToTerminal)"
[ "$(sql "SELECT delivery_status FROM messages WHERE resource_id = 'rid-1'")" = DeliveredToTerminal ] ||
	fail "receipt not applied"
ok "recovers by itself once the database is there"
[ "$(sql "SELECT string_agg(DISTINCT setting, ',') FROM t_seen")" = on ] ||
	fail "receipts committed with synchronous_commit = $(sql "SELECT string_agg(DISTINCT setting, ',') FROM t_seen")"
ok "the writer commits with synchronous_commit = on where the database default is off"
kill "$RECV_PID"; wait "$RECV_PID"
