# Latency between griot and its peers in tests (sourced after lib.sh).
# tests/tools/latency-proxy adds a delay each way; it can be changed while
# connections are open with proxy_set_delay.
#
#   pg_proxy MS     griot -> PostgreSQL through a proxy (after new_db): sets
#                   DATABASE_URL to the proxy (the test's own psql stays
#                   direct); PG_PROXY_PID, PG_PROXY_PORT.  With
#                   PROXY_EXPORT_PG=1 it exports PGHOST/PGPORT instead.
#   sim_proxy MS    griot -> orange-sim through a proxy (after start_sim or
#                   sim_start): sets ORANGE_API_BASE; SIM_PROXY_PID, _PORT.
#   proxy_set_delay pg|sim UP [DOWN]   change a proxy's delay (ms).

: "${GRIOT_BUILD:=$GRIOT_TOP/build}"
LATENCY_PROXY=${LATENCY_PROXY:-$GRIOT_BUILD/tests/tools/latency-proxy}

# proxy_start NAME MS TARGET-ARGS…: start a proxy with its delay file
# $T_TMP/NAME.delay; prints nothing, sets PROXY_PORT and PROXY_PID.
proxy_start() {
	_pn=$1 _pms=$2; shift 2
	echo "$_pms" >"$T_TMP/$_pn.delay"
	mkfifo "$T_TMP/$_pn.pfifo"
	"$LATENCY_PROXY" --listen 127.0.0.1:0 --delay-file "$T_TMP/$_pn.delay" "$@" \
		>"$T_TMP/$_pn.pfifo" 2>"$T_TMP/$_pn.proxy.log" &
	PROXY_PID=$!
	T_PIDS="$T_PIDS $PROXY_PID"
	read -r _pline <"$T_TMP/$_pn.pfifo" || fail "latency-proxy $_pn did not start: $(cat "$T_TMP/$_pn.proxy.log")"
	rm -f "$T_TMP/$_pn.pfifo"
	case "$_pline" in "ready "*) ;; *) fail "latency-proxy $_pn: unexpected first line '$_pline'" ;; esac
	PROXY_PORT=${_pline#ready }
}

pg_proxy() {
	[ -n "${PGHOST:-}" ] && [ -n "${PGPORT:-}" ] || fail "pg_proxy: PGHOST/PGPORT not set"
	case "$PGHOST" in
	/*) proxy_start pg "$1" --to-unix "$PGHOST/.s.PGSQL.$PGPORT" ;;
	*) proxy_start pg "$1" --to "$PGHOST:$PGPORT" ;;
	esac
	PG_PROXY_PID=$PROXY_PID PG_PROXY_PORT=$PROXY_PORT
	if [ -n "${PROXY_EXPORT_PG:-}" ]; then
		export PGHOST=127.0.0.1 PGPORT=$PROXY_PORT
	else
		export DATABASE_URL="host=127.0.0.1 port=$PROXY_PORT dbname=${T_DB:-${PGDATABASE:-postgres}}"
	fi
}

sim_proxy() {
	_hp=${SIM_URL#http://}
	proxy_start sim "$1" --to "$_hp"
	SIM_PROXY_PID=$PROXY_PID SIM_PROXY_PORT=$PROXY_PORT
	export ORANGE_API_BASE="http://127.0.0.1:$PROXY_PORT"
}

proxy_set_delay() {
	echo "$2${3:+ $3}" >"$T_TMP/$1.delay"
	case "$1" in
	pg) kill -USR1 "$PG_PROXY_PID" ;;
	sim) kill -USR1 "$SIM_PROXY_PID" ;;
	*) fail "proxy_set_delay: unknown proxy $1" ;;
	esac
}
