#!/bin/sh
# Issue 10, finding 12: a sender behind a transaction-pooling pgbouncer
# would "recover" the rows of a live one (its session advisory lock is
# held by whichever server connection ran the statement).  A real
# pgbouncer (its own config, port and files, run by this test) in front
# of the test cluster:
# - pool_mode=transaction with a quiet pool (one server connection, handed
#   to each statement in turn: the same backend pid every time, which the
#   old check could not see): 'griot send' refuses, exit 78, says why, and
#   nothing is claimed or sent;
# - pool_mode=transaction with a busy pool: refused the same way;
# - pool_mode=session, one server connection: the campaign is sent;
# - pool_mode=session, a sender SIGKILLed: pgbouncer's reset of the server
#   connection frees its liveness lock, and another sender recovers its
#   rows (nothing sent twice).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
. "$(dirname "$0")/../lib/sim.sh"   # wait_for
PGBOUNCER=${PGBOUNCER:-$(command -v pgbouncer || echo /usr/sbin/pgbouncer)}
[ -x "$PGBOUNCER" ] || fail "pgbouncer not installed (scripts/deps: pgbouncer)"
new_db
start_sim --rate 2000 --credits MLI:100000
mk_campaign pooled 20 MLI 2237
griot campaign schedule pooled >/dev/null || fail "schedule"

# pgbouncer refuses to run as root: as root it runs as the cluster's
# user, from a directory that user may write, and reaches the cluster's
# socket by its real path (a checkout in a 0700 home links to it).
BN_SOCK=$(readlink -f "$PGHOST")
BN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/griot-pgbouncer-XXXXXX")
chmod 0755 "$BN_DIR"
BN_USER=
[ "$(id -u)" = 0 ] && BN_USER=$(stat -c %U "$BN_SOCK")
[ -n "$BN_USER" ] && chown "$BN_USER" "$BN_DIR"
trap 't_cleanup; rm -rf "$BN_DIR"' EXIT
PGUSER_=${PGUSER:-$(id -un)}
# bouncer MODE [key = value…]: (re)start pgbouncer in pool mode MODE;
# sets BN_PORT, BN_PID, and DATABASE_URL to it.
bouncer() {
	if [ -n "${BN_PID:-}" ]; then
		kill "$BN_PID"; wait "$BN_PID" 2>/dev/null
	fi
	BN_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf '"%s" ""\n' "$PGUSER_" >"$BN_DIR/users.txt"
	{
		echo "[databases]"
		echo "* = host=$BN_SOCK port=$PGPORT"
		echo "[pgbouncer]"
		echo "listen_addr = 127.0.0.1"
		echo "listen_port = $BN_PORT"
		echo "unix_socket_dir ="
		echo "auth_type = trust"
		echo "auth_file = $BN_DIR/users.txt"
		echo "pool_mode = $1"
		echo "logfile = $BN_DIR/pgbouncer.log"
		echo "pidfile ="
		shift
		for kv in "$@"; do echo "$kv"; done
	} >"$BN_DIR/pgbouncer.ini"
	chmod 0644 "$BN_DIR/pgbouncer.ini" "$BN_DIR/users.txt"
	if [ -n "$BN_USER" ]; then
		"$PGBOUNCER" -u "$BN_USER" "$BN_DIR/pgbouncer.ini" >>"$T_TMP/pgbouncer.out" 2>&1 &
	else
		"$PGBOUNCER" "$BN_DIR/pgbouncer.ini" >>"$T_TMP/pgbouncer.out" 2>&1 &
	fi
	BN_PID=$!
	T_PIDS="$T_PIDS $BN_PID"
	export DATABASE_URL="host=127.0.0.1 port=$BN_PORT dbname=$T_DB user=$PGUSER_"
	i=0
	until psql -qAtX -d "$DATABASE_URL" -c "SELECT 1" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 200 ] && kill -0 "$BN_PID" 2>/dev/null ||
			fail "pgbouncer ($1) did not start: $(tail -5 "$T_TMP/pgbouncer.out" "$BN_DIR/pgbouncer.log" 2>/dev/null)"
		sleep 0.05
	done
}
nothing_claimed() {
	[ "$(status_counts)" = "pending=20" ] || fail "$1: rows changed: $(status_counts)"
	[ "$(ledger_count sms)" = 0 ] || fail "$1: $(ledger_count sms) sent"
	[ "$(sql "SELECT count(*) FROM sender_instances")" = 0 ] || fail "$1: a sender registered"
}

# 1. transaction pooling, a quiet pool: one server connection
bouncer transaction "default_pool_size = 1"
griot send --campaign pooled 2>"$T_TMP/t1.err"; rc=$?
[ $rc = 78 ] || fail "transaction pooling (quiet pool): exit $rc, want 78: $(tail -3 "$T_TMP/t1.err")"
grep -q "no server session of its own.*pool_mode=session" "$T_TMP/t1.err" ||
	fail "no clear reason: $(cat "$T_TMP/t1.err")"
nothing_claimed "quiet transaction pool"
ok "transaction pooling, quiet pool: refused (exit 78), nothing claimed: $(head -1 "$T_TMP/t1.err")"

# 2. transaction pooling, a busy pool: another client holds a server
# connection in a transaction meanwhile, and the pool has spare ones
bouncer transaction "default_pool_size = 4"
mkfifo "$T_TMP/busy.fifo"
{ echo "BEGIN; SELECT pg_backend_pid();"; cat "$T_TMP/busy.fifo"; } |
	psql -qAtX -d "$DATABASE_URL" >/dev/null 2>&1 &
BUSY=$!
T_PIDS="$T_PIDS $BUSY"
exec 9>"$T_TMP/busy.fifo"
griot send --campaign pooled 2>"$T_TMP/t2.err"; rc=$?
exec 9>&-
wait $BUSY 2>/dev/null
[ $rc = 78 ] || fail "transaction pooling (busy pool): exit $rc, want 78: $(tail -3 "$T_TMP/t2.err")"
nothing_claimed "busy transaction pool"
ok "transaction pooling, busy pool: refused (exit 78), nothing claimed: $(sed -n 's/.*its own (\(.*\)): a trans.*/\1/p' "$T_TMP/t2.err")"

# 3. session pooling works, even with one server connection per sender:
# the check's second client waits for a server connection our session
# holds (query_wait_timeout is short so that a check that waited for it
# fails here rather than hangs), and that wait is itself the answer.
bouncer session "default_pool_size = 1" "query_wait_timeout = 8"
griot send --campaign pooled --json >"$T_TMP/s.json" 2>"$T_TMP/s.err" ||
	fail "session pooling: exit $?: $(tail -3 "$T_TMP/s.err")"
[ "$(status_counts)" = "sent=20" ] || fail "session pooling: $(status_counts)"
[ -z "$(ledger_dup_numbers)" ] || fail "numbers sent twice"
ok "session pooling (one server connection): $(status_counts), $(ledger_count sms) accepted"

# 4. recovery behind session pooling: a sender SIGKILLed with requests on
# the wire loses its liveness lock when pgbouncer resets the server
# connection it gives back (server_reset_query, DISCARD ALL by default),
# so another sender behind the same pgbouncer recovers its rows.
bouncer session "default_pool_size = 4"
curl -s -o /dev/null -d '{"fault_latency_ms":2000}' "$SIM_URL/_sim/config" || fail "sim config"
mk_campaign killed 30 MLI 2238
griot campaign schedule killed >/dev/null || fail "schedule killed"
"$GRIOT_BIN" send --campaign killed --rate 10 --limiter ten 2>"$T_TMP/k.err" &
K=$!
T_PIDS="$T_PIDS $K"
on_wire() { [ "$(sql "SELECT count(*) FROM messages WHERE msisdn LIKE '+2238%' AND send_status = 'sending'")" -ge 5 ]; }

wait_for "requests on the wire" on_wire
kill -9 $K; wait $K 2>/dev/null
curl -s -o /dev/null -d '{"fault_latency_ms":0}' "$SIM_URL/_sim/config" || fail "sim config"
griot send --campaign killed --rate 10 --limiter ten --json >"$T_TMP/k2.json" 2>"$T_TMP/k2.err" ||
	fail "second sender: exit $?: $(tail -3 "$T_TMP/k2.err")"
rec=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["recovered_pending"] + d["recovered_unknown"])' "$T_TMP/k2.json")
[ "$rec" -ge 5 ] || fail "the dead sender's rows were not recovered: $(cat "$T_TMP/k2.json")"
[ "$(sql "SELECT count(*) FROM messages WHERE send_status NOT IN ('sent', 'unknown')")" = 0 ] ||
	fail "left behind session pooling: $(status_counts)"
[ -z "$(ledger_dup_numbers)" ] || fail "numbers sent twice: $(ledger_dup_numbers | head -3)"
ok "session pooling, sender SIGKILLed: $rec of its rows recovered by another sender; $(status_counts)"
