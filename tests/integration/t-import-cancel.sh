#!/bin/sh
# Ctrl-C during the end-of-COPY phase (issue 14): once griot import has
# sent its last row, the server still has work to do before the commit
# (the end of COPY, or the verdicts on staged rows past the set's cap).
# A SIGINT then must cancel that work, exit 75 and leave nothing.
#
# To hold the server in that phase without timing, a statement trigger on
# messages waits for an advisory lock this script holds; the SIGINT is
# sent when the -v log says the last row was sent.  An importer that
# ignores the signal stays blocked: a watchdog releases the lock after
# 60 s ($T_WATCHDOG; failure path only) so that the test ends and reports it.
. "$(dirname "$0")/../lib/lib.sh"
new_db
LOCK=4720099

awk 'BEGIN { printf "phone;name\n"; for (i = 0; i < 20000; i++) printf "+2237%07d;n%d\n", i, i }' \
	>"$T_TMP/rows.csv"
sql "CREATE FUNCTION t_hold() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN PERFORM pg_advisory_lock($LOCK); PERFORM pg_advisory_unlock($LOCK); RETURN NULL; END \$\$;
     CREATE TRIGGER t_hold AFTER INSERT ON messages FOR EACH STATEMENT EXECUTE FUNCTION t_hold()" >/dev/null ||
	fail "trigger"

# hold: a psql session that takes the lock and keeps it until fd 4 closes.
hold() {
	rm -f "$T_TMP/hold.in" "$T_TMP/hold.out"
	mkfifo "$T_TMP/hold.in" "$T_TMP/hold.out"
	psql -qAtX -d "$T_DB" <"$T_TMP/hold.in" >"$T_TMP/hold.out" 2>&1 &
	HOLD=$!
	exec 4>"$T_TMP/hold.in"
	printf 'SELECT pg_advisory_lock(%s);\n\\echo locked\n' "$LOCK" >&4
	# One reader for the whole session: a FIFO closed between two reads
	# loses what was written but not yet read.
	exec 5<"$T_TMP/hold.out"
	read -r l <&5 || fail "lock holder did not start"
	[ "$l" = "" ] && read -r l <&5
	[ "$l" = locked ] || fail "lock holder: $l"
	# The watchdog: only acts if the importer never stops.
	( trap 'kill $s 2>/dev/null; exit 0' TERM
	  sleep ${T_WATCHDOG:-60} & s=$!
	  wait $s && psql -qAtX -d "$T_DB" -c "SELECT pg_terminate_backend(pid) FROM pg_locks
	    WHERE locktype = 'advisory' AND objid = $LOCK AND granted" >/dev/null ) 4>&- 5<&- &
	WATCH=$!
}
release() {
	exec 4>&-
	wait "$HOLD"
	exec 5<&-
	kill "$WATCH" 2>/dev/null
	wait "$WATCH" 2>/dev/null
}

# cancel_at PATTERN CAMPAIGN [env]: import with -v, SIGINT when the log
# shows PATTERN; sets RC, log in $T_TMP/CAMPAIGN.err.
cancel_at() {
	_pat=$1 _c=$2
	shift 2
	rm -f "$T_TMP/err.fifo"
	mkfifo "$T_TMP/err.fifo"
	hold
	env "$@" "$GRIOT_BIN" -v import --campaign "$_c" --country MLI "$T_TMP/rows.csv" \
		>/dev/null 2>"$T_TMP/err.fifo" 4>&- 5<&- &
	IMP=$!
	exec 3<"$T_TMP/err.fifo"
	: >"$T_TMP/$_c.err"
	sent=""
	while read -r line <&3; do
		echo "$line" >>"$T_TMP/$_c.err"
		case "$line" in *"$_pat"*) kill -INT "$IMP"; sent=1; break ;; esac
	done
	[ -n "$sent" ] || fail "$_c: '$_pat' never logged: $(cat "$T_TMP/$_c.err")"
	cat <&3 >>"$T_TMP/$_c.err"
	exec 3<&-
	wait "$IMP"
	RC=$?
	release
}
rows() { sql "SELECT count(*) FROM messages"; }

cancel_at "all rows sent" copy-end
[ "$RC" = 75 ] || fail "SIGINT at the end of COPY: exit $RC, expected 75: $(tail -3 "$T_TMP/copy-end.err")"
[ "$(rows)" = 0 ] || fail "SIGINT at the end of COPY: $(rows) rows committed"
[ "$(sql "SELECT count(*) FROM campaigns")" = 0 ] || fail "SIGINT at the end of COPY: campaign committed"
grep -q "nothing was imported" "$T_TMP/copy-end.err" || fail "end of COPY: does not say nothing was imported"
ok "SIGINT during the end of COPY: exit 75, nothing imported"

# Spill path: more suppressions than the set may hold, so every row is
# staged and judged by PostgreSQL at the end.
griot suppress add --country MLI 70000001 70000002 >/dev/null || fail "suppress add"
cancel_at "staged rows after" spill GRIOT_IMPORT_SET_MAX=1
[ "$RC" = 75 ] || fail "SIGINT while judging staged rows: exit $RC, expected 75: $(tail -3 "$T_TMP/spill.err")"
[ "$(rows)" = 0 ] || fail "SIGINT while judging staged rows: $(rows) rows committed"
ok "SIGINT while PostgreSQL judges staged rows: exit 75, nothing imported"

# Without a signal the same import completes (the trigger lets it pass).
sql "DROP TRIGGER t_hold ON messages" >/dev/null
griot import --campaign done --country MLI "$T_TMP/rows.csv" >/dev/null 2>&1 || fail "plain import"
[ "$(rows)" = 19998 ] || fail "plain import: $(rows) rows (20000 less 2 suppressed)"
ok "the same file imports when not interrupted"
