# Helpers for the orange-sim integration tests (tests/integration/t-sim*.sh),
# sourced after tests/lib/lib.sh.  POSIX sh; python3 parses JSON.

: "${GRIOT_BUILD:=$GRIOT_TOP/build}"
DR_SINK=${DR_SINK:-$GRIOT_BUILD/tests/tools/dr-sink}
AUTH='Basic dGVzdDp0ZXN0'
SENDER='tel:+2230000'
SENDER_ENC='tel%3A%2B2230000'

# sim_start NAME [args]: another orange-sim with its own ledger; sets
# SIM_URL, SIM_PID, SIM_LEDGER, SIM_LOG.  Waits for "ready".
sim_start() {
	_n=$1; shift
	SIM_LEDGER="$T_TMP/$_n.jsonl"
	SIM_LOG="$T_TMP/$_n.log"
	mkfifo "$T_TMP/$_n.fifo"
	"$ORANGE_SIM" --listen 127.0.0.1:0 --ledger "$SIM_LEDGER" "$@" >"$T_TMP/$_n.fifo" 2>"$SIM_LOG" &
	SIM_PID=$!
	T_PIDS="$T_PIDS $SIM_PID"
	read -r _line <"$T_TMP/$_n.fifo" || fail "orange-sim $_n did not start: $(cat "$SIM_LOG")"
	rm -f "$T_TMP/$_n.fifo"
	case "$_line" in "ready 127.0.0.1:"*) ;; *) fail "orange-sim $_n: unexpected first line '$_line'" ;; esac
	SIM_URL="http://${_line#ready }"
}

# sim_stop: SIGTERM the last simulator and check it exits 0.
sim_stop() {
	kill -TERM "$SIM_PID"
	wait "$SIM_PID"; _rc=$?
	[ "$_rc" = 0 ] || fail "orange-sim exited $_rc after SIGTERM: $(tail -n 5 "$SIM_LOG")"
}

# sink_start NAME [args]: a dr-sink; sets SINK_URL (…/dr), SINK_OUT, SINK_PID.
sink_start() {
	_n=$1; shift
	SINK_OUT="$T_TMP/$_n.out"
	: >"$SINK_OUT"
	mkfifo "$T_TMP/$_n.fifo"
	"$DR_SINK" --listen 127.0.0.1:0 --out "$SINK_OUT" "$@" >"$T_TMP/$_n.fifo" 2>"$T_TMP/$_n.log" &
	SINK_PID=$!
	T_PIDS="$T_PIDS $SINK_PID"
	read -r _line <"$T_TMP/$_n.fifo" || fail "dr-sink did not start: $(cat "$T_TMP/$_n.log")"
	rm -f "$T_TMP/$_n.fifo"
	case " $* " in *" --tls-cert "*) _scheme=https ;; *) _scheme=http ;; esac
	SINK_URL="$_scheme://127.0.0.1:${_line#ready }/dr"
}

# req METHOD URL [curl args]: prints the HTTP status; body in $T_TMP/body,
# headers in $T_TMP/hdr.  Status 000 when no answer came.
req() {
	_m=$1 _u=$2; shift 2
	curl -s -X "$_m" -o "$T_TMP/body" -D "$T_TMP/hdr" -w '%{http_code}' "$@" "$_u"
}

# token [auth]: a fresh access token from $SIM_URL.
token() {
	_s=$(req POST "$SIM_URL/oauth/v3/token" -H "Authorization: ${1:-$AUTH}" \
		-H 'Content-Type: application/x-www-form-urlencoded' -d grant_type=client_credentials)
	[ "$_s" = 200 ] || fail "token: HTTP $_s $(cat "$T_TMP/body")"
	jv "$T_TMP/body" 'd["access_token"]'
}

# sms_body ADDRESS MESSAGE [SENDER] [SENDERNAME]: the documented JSON.
sms_body() {
	python3 -c 'import json,sys
r={"address":sys.argv[1],"senderAddress":sys.argv[3],"outboundSMSTextMessage":{"message":sys.argv[2]}}
if len(sys.argv)>4: r["senderName"]=sys.argv[4]
print(json.dumps({"outboundSMSMessageRequest":r}))' "$1" "$2" "${3:-$SENDER}" ${4+"$4"}
}

# send TOKEN ADDRESS MESSAGE [SENDERNAME]: prints the status.
send() {
	sms_body "$2" "$3" "$SENDER" ${4+"$4"} >"$T_TMP/sms.json"
	req POST "$SIM_URL/smsmessaging/v1/outbound/$SENDER_ENC/requests" \
		-H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
		--data-binary @"$T_TMP/sms.json"
}

# jv FILE EXPR: evaluate a python expression over the JSON in FILE (as d).
jv() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
v=eval(sys.argv[2])
print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1" "$2"
}

# ledger EXPR: evaluate EXPR over the ledger lines (list L of dicts); ts
# values are exact Decimals (compare with integers, not floats).
ledger() {
	python3 -c 'import json,sys,decimal
L=[json.loads(x,parse_float=decimal.Decimal) for x in open(sys.argv[1]) if x.strip()]
v=eval(sys.argv[2])
print(json.dumps(v,default=str) if isinstance(v,(dict,list,bool)) or v is None else v)' "$SIM_LEDGER" "$1"
}

# eq ACTUAL EXPECTED WHAT
eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# wait_for WHAT CMD…: poll CMD (every 0.05 s, at most 60 s) until it succeeds.
wait_for() {
	_what=$1; shift
	_i=0
	until "$@"; do
		_i=$((_i + 1))
		[ $_i -lt 1200 ] || fail "timed out waiting for $_what"
		sleep 0.05
	done
}

# lines_ge FILE N: FILE has at least N lines.
lines_ge() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}
