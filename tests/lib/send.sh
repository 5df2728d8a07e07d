# Helpers for the t-send*.sh tests (sourced after tests/lib/lib.sh).
export ORANGE_AUTH_HEADER='Basic dGVzdDp0ZXN0'
export ORANGE_TOKEN_CACHE="$T_TMP/token-cache"

# mk_campaign NAME COUNT COUNTRY PREFIX [FIRST]: a campaign with COUNT
# recipients +PREFIX<7 digits>, inserted directly (no importer).
mk_campaign() {
	griot campaign create "$1" --sender tel:+2230000 \
		--message 'Bonjour {{name}}, votre code est {{code}}.' --tz Africa/Bamako \
		>/dev/null || fail "campaign create $1"
	add_recipients "$@"
}
add_recipients() {
	sql "INSERT INTO messages (campaign_id, line_no, msisdn, country, fields)
	     SELECT (SELECT id FROM campaigns WHERE name = '$1'), g + 1,
	            '+$4' || lpad(g::text, 7, '0'), '$3',
	            jsonb_build_object('name', 'Awa ' || g, 'code', g)
	     FROM generate_series(${5:-1}, ${5:-1} + $2 - 1) g" || fail "insert recipients"
}

# run_senders CAMPAIGN: three 'griot send --until-done --json' on it at
# once (output in $T_TMP/CAMPAIGN.out1..3, stderr in .err1..3, killed
# after 90 s); fails unless all three exit 0.
run_senders() {
	for i in 1 2 3; do
		timeout -s KILL 90 "$GRIOT_BIN" send --campaign "$1" --until-done --json \
			>"$T_TMP/$1.out$i" 2>"$T_TMP/$1.err$i" &
		eval "P$i=\$!"
	done
	rc=0
	for i in 1 2 3; do
		eval "wait \$P$i" || { rc=$?; cat "$T_TMP/$1.err$i" >&2; }
	done
	[ $rc = 0 ] || fail "$1: a sender exited $rc"
}

# Accepted sends' times, sorted.
ledger_sms_ts() {
	grep '"event":"sms"' "$SIM_LEDGER" | sed 's/.*"ts":\([0-9.]*\).*/\1/' | sort -n
}
# ledger_sms_ts_last [N]: the last N accepted sends' times (all without N).
ledger_sms_ts_last() {
	if [ -n "${1:-}" ]; then ledger_sms_ts | tail -n "$1"; else ledger_sms_ts; fi
}
# Largest number of accepted sends inside any sliding one-second window
# (of the last N sends, when given).
ledger_max_per_second() {
	ledger_sms_ts_last "${1:-}" | awk '{ t[NR] = $1 } END {
		max = 0; j = 1
		for (i = 1; i <= NR; i++) {
			while (t[i] - t[j] >= 1.0) j++
			if (i - j + 1 > max) max = i - j + 1
		}
		print max }'
}
# Accepted sends per second from the first to the last (of the last N).
ledger_rate() {
	ledger_sms_ts_last "${1:-}" | awk '{ t[NR] = $1 } END {
		if (NR < 2 || t[NR] == t[1]) { print 0; exit }
		printf "%.3f\n", (NR - 1) / (t[NR] - t[1]) }'
}
ledger_count() { grep -c "\"event\":\"$1\"" "$SIM_LEDGER" || true; }
ledger_429() { grep '"event":"reject"' "$SIM_LEDGER" | grep -c '"status":429' || true; }
# Numbers accepted more than once.
ledger_dup_numbers() {
	grep '"event":"sms"' "$SIM_LEDGER" | sed 's/.*"address":"\([^"]*\)".*/\1/' | sort | uniq -d
}
# Load the ledger's accepted sends into table ledger(resource_id, address).
ledger_to_db() {
	sql "DROP TABLE IF EXISTS ledger; CREATE TABLE ledger (resource_id text, address text)"
	grep '"event":"sms"' "$SIM_LEDGER" |
		sed 's/.*"resource_id":"\([^"]*\)".*"address":"\([^"]*\)".*/\1	\2/' |
		psql -qAtX -d "$T_DB" -c "COPY ledger FROM STDIN" || fail "load ledger"
}
status_counts() {
	sql "SELECT string_agg(send_status || '=' || n, ' ' ORDER BY send_status)
	     FROM (SELECT send_status, count(*) n FROM messages GROUP BY 1) x"
}
# wait_exit PID SECONDS: 0 when PID ended within SECONDS (polling), else 1
wait_exit() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $(($2 * 20)) ] && return 1
		sleep 0.05
	done
	return 0
}
# accepted sends to numbers starting with +PREFIX, after time T (0: all)
sent_after() {
	grep '"event":"sms"' "$SIM_LEDGER" | grep "\"address\":\"tel:+$1" |
		sed 's/.*"ts":\([0-9.]*\).*/\1/' | awk -v t="$2" '$1 > t { n++ } END { print n + 0 }'
}
wait_sent() { # wait_sent PREFIX N: until N sends of PREFIX are in the ledger (bounded)
	i=0
	until [ "$(sent_after "$1" 0)" -ge "$2" ]; do
		i=$((i + 1))
		[ $i -gt 400 ] && fail "fewer than $2 sends to +$1 after 20 s"
		sleep 0.05
	done
}
