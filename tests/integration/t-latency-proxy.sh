#!/bin/sh
# tests/tools/latency-proxy: bytes pass unchanged both ways (a 2 MB COPY out
# and in through PostgreSQL's protocol), every round trip takes at least
# twice the delay, and a new delay written to its file takes effect on
# SIGUSR1 on an open connection.  Only lower bounds are asserted.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/sim.sh"   # wait_for
. "$(dirname "$0")/../lib/proxy.sh"
new_db
pg_proxy 0
PX="host=127.0.0.1 port=$PG_PROXY_PORT dbname=$T_DB"

sql "CREATE TABLE blob AS SELECT g, md5(g::text) || repeat('x', 40) AS t FROM generate_series(1, 30000) g"
want=$(sql "SELECT md5(string_agg(t, ',' ORDER BY g)) FROM blob")
psql -qAtX -d "$PX" -c "COPY blob TO STDOUT" >"$T_TMP/blob.tsv" || fail "COPY out through the proxy"
[ "$(wc -c <"$T_TMP/blob.tsv")" -gt 2000000 ] || fail "COPY out too short"
psql -qAtX -d "$PX" -c "CREATE TABLE blob2 (g int, t text)" -c "\\copy blob2 FROM '$T_TMP/blob.tsv'" ||
	fail "COPY in through the proxy"
[ "$(sql "SELECT md5(string_agg(t, ',' ORDER BY g)) FROM blob2")" = "$want" ] || fail "bytes changed in transit"
ok "2 MB both ways through the proxy, unchanged"

# ms_of CMD…: wall milliseconds CMD took.
ms_of() {
	_a=$(date +%s%N); "$@" >/dev/null || fail "$*"; _b=$(date +%s%N)
	echo $(( (_b - _a) / 1000000 ))
}
proxy_set_delay pg 100
# psql: startup + query + terminate is several round trips; at least 3.
wait_for "delay 100 applied" grep -q "delay 100 ms up" "$T_TMP/pg.proxy.log"
t=$(ms_of psql -qAtX -d "$PX" -c "SELECT 1")
[ "$t" -ge 600 ] || fail "psql through a 100 ms proxy took $t ms (< 3 round trips of 200 ms)"
ok "100 ms each way: psql took $t ms"

# An open session: the delay changes between two of its queries.
mkfifo "$T_TMP/in"
psql -qAtX -d "$PX" <"$T_TMP/in" >"$T_TMP/out" 2>&1 &
PSQL_PID=$!
T_PIDS="$T_PIDS $PSQL_PID"
exec 3>"$T_TMP/in"
echo "SELECT 'first';" >&3
wait_for "first answer" grep -q first "$T_TMP/out"
proxy_set_delay pg 300 0
wait_for "delay 300 applied" grep -q "delay 300 ms up, 0 ms down" "$T_TMP/pg.proxy.log"
a=$(date +%s%N)
echo "SELECT 'second';" >&3
wait_for "second answer" grep -q second "$T_TMP/out"
b=$(date +%s%N)
exec 3>&-
wait "$PSQL_PID" || fail "psql session failed: $(cat "$T_TMP/out")"
t=$(( (b - a) / 1000000 ))
[ "$t" -ge 300 ] || fail "query on an open session after SIGUSR1 (300 ms up) took $t ms"
ok "SIGUSR1 changed the delay of an open session: $t ms"

kill -TERM "$PG_PROXY_PID"
wait "$PG_PROXY_PID" || fail "latency-proxy exited $? after SIGTERM"
ok "SIGTERM: exit 0"
