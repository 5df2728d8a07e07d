# Helpers for the t-receive*.sh scripts (sourced after tests/lib/lib.sh).

SECRET=${SECRET:-t3st-secret-0123456789abcdef}

# dr RESOURCE_ID ADDRESS STATUS: a receipt as Orange sends it.
dr() {
	printf '{"deliveryInfoNotification":{"callbackData":"%s","deliveryInfo":{"address":"%s","deliveryStatus":"%s"}}}' \
		"$1" "$2" "$3"
}

# poll_until SECONDS CONDITION: until CONDITION (evaluated) holds, polled;
# 1 if it still does not after SECONDS.
poll_until() {
	_end=$(( $(date +%s) + $1 ))
	shift
	until eval "$1"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.05
	done
}

# healthz: the receiver's /healthz status code
healthz() { curl -s -o /dev/null -w '%{http_code}' "http://$RECV_ADDR/healthz"; }

# start_receiver [args]: griot receive on a free loopback port; waits for
# its "ready" line.  Sets RECV_PID, RECV_ADDR, DR_URL; log in recv.log.
start_receiver() {
	rm -f "$T_TMP/recv.fifo"
	mkfifo "$T_TMP/recv.fifo"
	"$GRIOT_BIN" receive --listen 127.0.0.1:0 --secret "$SECRET" "$@" \
		>"$T_TMP/recv.fifo" 2>>"$T_TMP/recv.log" &
	RECV_PID=$!
	T_PIDS="$T_PIDS $RECV_PID"
	read -r line <"$T_TMP/recv.fifo" || fail "griot receive did not start: $(cat "$T_TMP/recv.log")"
	rm -f "$T_TMP/recv.fifo"
	RECV_ADDR=${line#ready }
	DR_URL="${RECV_SCHEME:-http}://$RECV_ADDR/orange/dr/$SECRET"
}

# post BODY [curl args]: POST a JSON body to the DR URL; prints the status
# code, keeps the answer in $T_TMP/resp.
post() {
	_b=$1
	shift
	curl -s -o "$T_TMP/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "$_b" "$@" "$DR_URL"
}

# expect CODE BODY [curl args]
expect() {
	_want=$1
	shift
	_got=$(post "$@")
	[ "$_got" = "$_want" ] || fail "expected $_want, got $_got ($(cat "$T_TMP/resp" 2>/dev/null)) for: $1 ${2:-} ${3:-} ${4:-}"
}

# slow_start NAME [slow-client args]: run tests/tools/slow-client against
# the receiver in the background; returns once every socket is connected
# (its "holding N" line).  Its summary goes to $T_TMP/NAME.out (slow_wait).
slow_start() {
	_n=$1
	shift
	rm -f "$T_TMP/$_n.fifo"
	mkfifo "$T_TMP/$_n.fifo"
	"${GRIOT_BUILD:-$GRIOT_TOP/build}/tests/tools/slow-client" --connect "$RECV_ADDR" "$@" \
		>"$T_TMP/$_n.fifo" &
	eval "SLOW_PID_$_n=\$!"
	T_PIDS="$T_PIDS $!"
	exec 8<"$T_TMP/$_n.fifo"
	read -r _l <&8 || fail "slow-client $_n did not start"
	cat <&8 >"$T_TMP/$_n.out" &
	eval "SLOW_CAT_$_n=\$!"
	exec 8<&-
}

# slow_wait NAME: wait for slow-client NAME to end; prints its summary
# ("connected=N refused=R closed_by_peer=C open_at_end=O longest_open_ms=L").
slow_wait() {
	eval "wait \$SLOW_PID_$1 \$SLOW_CAT_$1"
	cat "$T_TMP/$1.out"
}

# slow_field NAME FIELD: one number from slow-client NAME's summary.
slow_field() {
	sed -n "s/.*$2=\([0-9]*\).*/\1/p" "$T_TMP/$1.out"
}
