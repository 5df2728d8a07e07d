# Helpers for integration scripts (sourced).  scripts/run-tests exports
# GRIOT_BIN, ORANGE_SIM, GRIOT_TOP and the PG* variables of the cluster.
set -u
: "${GRIOT_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${GRIOT_BIN:=$GRIOT_TOP/build/griot}"
: "${ORANGE_SIM:=$GRIOT_TOP/build/orange-sim}"
# A function, so `griot ... &` would give the subshell's pid: background
# processes that a test signals are started as "$GRIOT_BIN" instead.
griot() { "$GRIOT_BIN" "$@"; }
T_NAME=$(basename "$0" .sh | tr -c 'a-zA-Z0-9\n' '_')
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/griot-$T_NAME-XXXXXX")
T_PIDS=""
T_DB=""

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

t_cleanup() {
	for p in $T_PIDS; do kill "$p" 2>/dev/null; done
	for p in $T_PIDS; do wait "$p" 2>/dev/null; done
	[ -n "$T_DB" ] && psql -qAt -d postgres -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1
	[ -z "${GRIOT_KEEP_TMP:-}" ] && rm -rf "$T_TMP"
}
trap t_cleanup EXIT

# new_db: a fresh migrated database; exports DATABASE_URL.
new_db() {
	T_DB="t_${T_NAME}_$$"
	psql -qAt -d postgres -c "DROP DATABASE IF EXISTS $T_DB" >/dev/null
	psql -qAt -d postgres -c "CREATE DATABASE $T_DB" >/dev/null || fail "createdb"
	export DATABASE_URL="dbname=$T_DB"
	griot db migrate >/dev/null 2>&1 || fail "migrate"
	# T_PG_DELAY=MS: griot reaches this database through tests/tools/latency-proxy
	if [ -n "${T_PG_DELAY:-}" ]; then
		. "$GRIOT_TOP/tests/lib/proxy.sh"
		pg_proxy "$T_PG_DELAY"
	fi
}
sql() { psql -qAtX -d "$T_DB" -c "$1"; }

# start_sim [args]: run orange-sim on a free port; sets SIM_URL, SIM_PID,
# SIM_LEDGER.  Waits for its "ready" line, no sleeping.
start_sim() {
	SIM_LEDGER="$T_TMP/ledger.jsonl"
	mkfifo "$T_TMP/sim.fifo"
	"$ORANGE_SIM" --listen 127.0.0.1:0 --ledger "$SIM_LEDGER" "$@" >"$T_TMP/sim.fifo" 2>"$T_TMP/sim.log" &
	SIM_PID=$!
	T_PIDS="$T_PIDS $SIM_PID"
	read -r line <"$T_TMP/sim.fifo" || fail "orange-sim did not start: $(cat "$T_TMP/sim.log")"
	rm -f "$T_TMP/sim.fifo"
	SIM_URL="http://${line#ready }"
	export ORANGE_API_BASE="$SIM_URL"
}
