# Helpers for the t-console*.sh tests (sourced after tests/lib/lib.sh).
# Selenium and the tests' Python run on Debian's /usr/bin/python3 (it has
# python3-selenium; a python3 earlier on PATH may not).
PY=/usr/bin/python3
CONSOLE_PY="$GRIOT_TOP/tests/console"

# start_console [args]: griot console on a free loopback port; waits for
# its "ready" line.  Sets CONSOLE_PID, CONSOLE_ADDR; log in console.log.
start_console() {
	rm -f "$T_TMP/console.fifo"
	mkfifo "$T_TMP/console.fifo"
	"$GRIOT_BIN" console --listen 127.0.0.1:0 --data-dir "$T_TMP/console-data" "$@" \
		>"$T_TMP/console.fifo" 2>>"$T_TMP/console.log" &
	CONSOLE_PID=$!
	T_PIDS="$T_PIDS $CONSOLE_PID"
	read -r line <"$T_TMP/console.fifo" || fail "griot console did not start: $(cat "$T_TMP/console.log")"
	rm -f "$T_TMP/console.fifo"
	CONSOLE_ADDR=${line#ready }
}

# add_user NAME ROLE PASSWORD
add_user() {
	printf '%s\n' "$3" | griot user add "$1" --role "$2" --password-stdin >/dev/null ||
		fail "griot user add $1"
}
