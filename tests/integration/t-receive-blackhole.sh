#!/bin/sh
# A network black hole between griot receive and PostgreSQL on an
# ESTABLISHED connection: packets vanish, nothing answers, no RST.  A
# userspace proxy cannot make one (its kernel still ACKs), so the test
# makes a network namespace reached over a veth pair, runs
# tests/tools/latency-proxy inside it (forwarding to the test cluster's
# unix socket, reachable across namespaces) and points the receiver at
# the namespace's address.  A blackhole route inside the namespace back to
# the host's address then swallows every packet the namespace would send
# (replies and ACKs): the host's kernel keeps retransmitting into silence,
# as behind a dead router.  (A blackhole route on the host side instead
# makes the host's own sends fail locally, which is not a black hole: the
# data is never put on the wire and only keepalives end the wait, ~24 s.)
# The receiver must
# notice within seconds (core/db.c's tcp_user_timeout and keepalives):
# 503, /healthz not ok; once the route goes it recovers by itself and
# stores the receipt.  Needs root (ip netns, veth).
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/receive.sh"

: "${GRIOT_BUILD:=$GRIOT_TOP/build}"
LATENCY_PROXY=${LATENCY_PROXY:-$GRIOT_BUILD/tests/tools/latency-proxy}
NOTICE_BOUND=30		# s: a receipt sent into the black hole is answered by then

# Names and a /30 of 198.18.0.0/15 (RFC 2544 benchmarking, never routed)
# unique to this run; 192.0.2.0/24 may be the machine's own network.
NS=griot-bh-$$
VH=gbh${$}h
VN=gbh${$}n
net=$(( $$ % 16384 ))
HOST_ADDR=198.18.$(( net / 64 )).$(( net % 64 * 4 + 1 ))
NS_ADDR=198.18.$(( net / 64 )).$(( net % 64 * 4 + 2 ))
BLACKHOLE=

bh_cleanup() {
	[ -n "$BLACKHOLE" ] && ip netns exec "$NS" ip route del blackhole "$HOST_ADDR/32" 2>/dev/null
	ip link del "$VH" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
}
trap 't_cleanup; bh_cleanup' EXIT
trap 'exit 1' INT TERM

case "${PGHOST:-}" in
/*) ;;
*) fail "the test cluster must be reached by its unix socket (PGHOST=${PGHOST:-unset})" ;;
esac

new_db
sql "INSERT INTO campaigns (name) VALUES ('c1')"
sql "INSERT INTO messages (campaign_id, msisdn, country, send_status, resource_id)
     SELECT 1, '+2237000' || lpad(g::text, 4, '0'), 'MLI', 'sent', 'rid-' || g FROM generate_series(1, 3) g"

# ---- the namespace, its veth pair, and the proxy to PostgreSQL in it ----
ip netns add "$NS" || fail "cannot create network namespace $NS (root needed)"
ip link add "$VH" type veth peer name "$VN" netns "$NS" || fail "cannot create veth pair $VH/$VN"
ip addr add "$HOST_ADDR/30" dev "$VH" && ip link set "$VH" up || fail "host side of the veth"
ip netns exec "$NS" ip addr add "$NS_ADDR/30" dev "$VN" &&
	ip netns exec "$NS" ip link set "$VN" up &&
	ip netns exec "$NS" ip link set lo up || fail "namespace side of the veth"

mkfifo "$T_TMP/proxy.fifo"
ip netns exec "$NS" "$LATENCY_PROXY" --listen "$NS_ADDR:0" --delay 0 \
	--to-unix "$PGHOST/.s.PGSQL.$PGPORT" >"$T_TMP/proxy.fifo" 2>"$T_TMP/proxy.log" &
T_PIDS="$T_PIDS $!"
read -r line <"$T_TMP/proxy.fifo" || fail "latency-proxy did not start in $NS: $(cat "$T_TMP/proxy.log")"
case "$line" in "ready "*) ;; *) fail "latency-proxy: unexpected first line '$line'" ;; esac
export DATABASE_URL="host=$NS_ADDR port=${line#ready } dbname=$T_DB"
psql -qAtX -d "$DATABASE_URL" -c "SELECT 1" >/dev/null || fail "PostgreSQL not reachable through $NS_ADDR"
ok "PostgreSQL reached over veth $VH/$VN at $NS_ADDR"

start_receiver --allow 127.0.0.1/32 --timeout 3
expect 200 "$(dr rid-1 tel:+22370000001 DeliveredToTerminal)"
[ "$(healthz)" = 200 ] || fail "/healthz not ok before the black hole"
ok "receipt answered 200 over the namespace path"

# ---- black hole: nothing from the namespace comes back, not even ACKs ----
ip netns exec "$NS" ip route add blackhole "$HOST_ADDR/32" || fail "cannot add the blackhole route"
BLACKHOLE=1
t0=$(date +%s)
expect 503 "$(dr rid-2 tel:+22370000002 DeliveredToTerminal)" --max-time "$NOTICE_BOUND"
t1=$(date +%s)
poll_until 10 '[ "$(healthz)" = 503 ]' || fail "/healthz ok although the database is behind a black hole"
curl -s "http://$RECV_ADDR/metrics" | grep -qx 'griot_dr_db_up 0' || fail "metrics: db_up not 0"
ok "black hole noticed: 503 after $((t1 - t0)) s (bound $NOTICE_BOUND s), /healthz 503"

# ---- the route goes: the receiver recovers by itself ----
ip netns exec "$NS" ip route del blackhole "$HOST_ADDR/32" || fail "cannot remove the blackhole route"
BLACKHOLE=
poll_until 30 '[ "$(healthz)" = 200 ]' || fail "not healthy again after the black hole was removed"
expect 200 "$(dr rid-2 tel:+22370000002 DeliveredToTerminal)"
[ "$(sql "SELECT count(DISTINCT resource_id) FROM delivery_receipts WHERE resource_id IN ('rid-1', 'rid-2')")" = 2 ] ||
	fail "receipts answered 200 are not all stored"
ok "recovered by itself: 200 and the receipt stored"

kill -TERM "$RECV_PID"
wait "$RECV_PID" || fail "receiver exit $? after SIGTERM"
ok "clean exit"
