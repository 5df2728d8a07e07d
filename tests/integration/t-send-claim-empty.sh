#!/bin/sh
# A sender whose first claim finds nothing (every pending row locked by
# someone else) has an empty, never-allocated queue: it must sort nothing
# rather than pass NULL to qsort (undefined behaviour, caught by UBSan in
# `make check-asan`; the soak's run-due hit it on every start).
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
new_db
start_sim --rate 100 --credits MLI:100
mk_campaign locked 3 MLI 2237
griot campaign schedule locked >/dev/null || fail "schedule"
# Another session holds every row until it is terminated.
psql -qAtX -d "$T_DB" -c "BEGIN; SELECT id FROM messages FOR UPDATE; SELECT pg_sleep(120)" >/dev/null 2>&1 &
T_PIDS="$T_PIDS $!"
# (the rows are locked once its pg_sleep runs)
locked() { [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'
	AND query LIKE '%pg_sleep(120)%'")" = 1 ]; }
i=0
until locked; do i=$((i + 1)); [ $i -lt 600 ] || fail "rows never locked"; sleep 0.05; done
"$GRIOT_BIN" send --campaign locked 2>"$T_TMP/send.err" &
send_pid=$!
T_PIDS="$T_PIDS $send_pid"
# its first claim found nothing (it reports 3 remaining), then the rows are released
claimed() { grep -q 'remaining 3' "$T_TMP/send.err" || ! kill -0 $send_pid 2>/dev/null; }
i=0
until claimed; do i=$((i + 1)); [ $i -lt 600 ] || fail "no claim"; sleep 0.05; done
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%'
	AND pid <> pg_backend_pid()" >/dev/null
wait $send_pid
rc=$?
! grep -q "runtime error" "$T_TMP/send.err" || fail "undefined behaviour: $(grep -A3 'runtime error' "$T_TMP/send.err")"
[ $rc = 0 ] || fail "griot send exited $rc: $(tail -n 3 "$T_TMP/send.err")"
[ "$(sql "SELECT count(*) FROM messages WHERE send_status = 'sent'")" = 3 ] || fail "not all sent: $(status_counts)"
ok "a first claim that finds nothing, then the rows: all sent, no undefined behaviour"
