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

# stop_console: SIGTERM; it must exit 0 with nothing from the sanitizers
# (under make check-asan) in its log.
stop_console() {
	kill -TERM "$CONSOLE_PID"
	wait "$CONSOLE_PID"
	rc=$?
	T_PIDS=$(echo "$T_PIDS" | sed "s/\b$CONSOLE_PID\b//")
	[ $rc = 0 ] || fail "griot console exited $rc: $(tail -n 20 "$T_TMP/console.log")"
	! grep -q "Sanitizer\|runtime error" "$T_TMP/console.log" ||
		fail "sanitizer report: $(grep -A 20 "Sanitizer\|runtime error" "$T_TMP/console.log" | head -40)"
}
