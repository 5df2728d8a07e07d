# Helpers for the t-receive*.sh scripts (sourced after tests/lib/lib.sh).

SECRET=${SECRET:-t3st-secret-0123456789abcdef}

# dr RESOURCE_ID ADDRESS STATUS: a receipt as Orange sends it.
dr() {
	printf '{"deliveryInfoNotification":{"callbackData":"%s","deliveryInfo":{"address":"%s","deliveryStatus":"%s"}}}' \
		"$1" "$2" "$3"
}

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
