#!/bin/sh
# PostgreSQL stopped mid-stream under griot receive (its own throwaway
# cluster): requests get 503 while it is down, /healthz says so, the
# receiver reconnects by itself, and every receipt answered 200 is in the
# table afterwards.
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/receive.sh"

pgdir=$(mktemp -d "${TMPDIR:-/tmp}/griot-pgdown-XXXXXX")
chmod 755 "$pgdir"
pgport=$((55000 + $$ % 1000))
pg() { GRIOT_PG_DIR=$pgdir GRIOT_PG_PORT=$pgport "$GRIOT_TOP/scripts/pg" "$@"; }
cleanup_pg() { pg stop >/dev/null 2>&1; rm -rf "$pgdir"; }
trap 't_cleanup; cleanup_pg' EXIT

pg start >/dev/null || fail "cannot start the private cluster"
export PGHOST="$pgdir/run" PGPORT=$pgport PGUSER=postgres PGDATABASE=griot
unset DATABASE_URL
griot db migrate >/dev/null 2>&1 || fail "migrate"
q() { psql -qAtX -c "$1"; }
q "INSERT INTO campaigns (name) VALUES ('c')"
# half the receipts name a known message, half are not matched yet
q "INSERT INTO messages (campaign_id, msisdn, country, send_status, resource_id)
   SELECT 1, '+2237' || lpad(g::text, 7, '0'), 'MLI', 'sent', 'pd-' || g FROM generate_series(1, 100000, 2) g"

start_receiver --allow 127.0.0.1/32
acks=$T_TMP/acks

count() { _c=$(grep -c " $1\$" "$acks" 2>/dev/null); echo "${_c:-0}"; }

# four clients, each sending distinct receipts until told to stop; each
# line of $acks is "resource_id http_code"
client() {
	n=0
	while [ ! -e "$T_TMP/stop" ]; do
		n=$((n + 1))
		id="pd-$(( $1 + 4 * n ))"
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -H 'Content-Type: application/json' \
			--data-binary "$(dr "$id" tel:+22370000001 DeliveredToTerminal)" "$DR_URL")
		echo "$id $code" >>"$acks"
	done
}
for c in 0 1 2 3; do
	client $c &
	T_PIDS="$T_PIDS $!"
	cpids="${cpids:-} $!"
done

poll_until 60 '[ "$(count 200)" -ge 200 ]' || fail "no steady stream of 200s"
pg stop >/dev/null || fail "cannot stop PostgreSQL"
down_at=$(wc -l <"$acks")
ok "PostgreSQL stopped after $down_at answers"
poll_until 60 '[ "$(count 503)" -ge 40 ]' || fail "no 503 while the database is down: $(tail -n 5 "$acks")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$RECV_ADDR/healthz")
[ "$code" = 503 ] || fail "/healthz answered $code with the database down"
curl -s "http://$RECV_ADDR/metrics" | grep -qx 'griot_dr_db_up 0' || fail "metrics: db_up not 0"
ok "503 while the database is down; /healthz 503"

pg start >/dev/null || fail "cannot restart PostgreSQL"
up_at=$(wc -l <"$acks")
poll_until 60 '[ "$(tail -n +$((up_at + 1)) "$acks" | grep -c " 200$")" -ge 200 ]' ||
	fail "no recovery after the database came back: $(tail -n 5 "$acks")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$RECV_ADDR/healthz")
[ "$code" = 200 ] || fail "/healthz answered $code after recovery"
touch "$T_TMP/stop"
for p in $cpids; do wait "$p"; done
ok "recovered by itself: $(count 200) answered 200, $(count 503) answered 503"

# only 200 and 503, and every 200 is in the table
others=$(grep -v -e ' 200$' -e ' 503$' "$acks" | head -n 3)
[ -z "$others" ] || fail "unexpected answers: $others"
missing=$(psql -qAtX <<EOF
CREATE TEMP TABLE acked (rid text);
COPY acked FROM STDIN;
$(grep ' 200$' "$acks" | cut -d' ' -f1)
\.
SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM delivery_receipts r WHERE r.resource_id = a.rid);
EOF
)
[ "$missing" = 0 ] || fail "$missing receipts answered 200 are not in the table"
acked=$(count 200)
[ "$(q "SELECT count(DISTINCT resource_id) FROM delivery_receipts")" -ge "$acked" ] || fail "fewer rows than 200s"
# the matched ones were applied
[ "$(q "SELECT count(*) FROM delivery_receipts r JOIN messages m ON m.id = r.message_id
        WHERE m.delivery_status IS DISTINCT FROM 'DeliveredToTerminal'")" = 0 ] || fail "matched receipt not applied"
ok "all $acked receipts answered 200 are in the table"

kill -TERM "$RECV_PID"
wait "$RECV_PID" || fail "receiver exit $? after SIGTERM"
grep -q "database unreachable" "$T_TMP/recv.log" || fail "outage not logged"
grep -q "database reachable" "$T_TMP/recv.log" || fail "recovery not logged"
ok "outage and recovery logged once each; clean exit"
