#!/bin/sh
# t-send-pause (pause and cancel reach every sender within a slot, run-due
# exits and reports) and t-send-signal (SIGTERM, resume) again with griot
# 15 and 50 ms (each way) away from PostgreSQL, through
# tests/tools/latency-proxy (T_PG_DELAY, tests/lib/lib.sh).
dir=$(dirname "$0")
for d in 15 50; do
	for t in t-send-pause t-send-signal; do
		T_PG_DELAY=$d sh "$dir/$t.sh" >"${TMPDIR:-/tmp}/t-send-latency-pause.$$.log" 2>&1 ||
			{ cat "${TMPDIR:-/tmp}/t-send-latency-pause.$$.log"; rm -f "${TMPDIR:-/tmp}/t-send-latency-pause.$$.log"
			  echo "FAIL: $t at $d ms each way to PostgreSQL" >&2; exit 1; }
		grep '^ok:' "${TMPDIR:-/tmp}/t-send-latency-pause.$$.log" | sed "s/^ok: /ok: [$d ms] /"
	done
done
rm -f "${TMPDIR:-/tmp}/t-send-latency-pause.$$.log"
