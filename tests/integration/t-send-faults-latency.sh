#!/bin/sh
# t-send-faults (SIGKILLs at random moments while orange-sim answers 5xx,
# drops answers, sends 429 bursts and expires tokens: nothing sent twice,
# every accepted send recorded, provably unsent rows back to pending,
# unknown only for what may have left) again with griot 15 and 50 ms
# (each way) away from PostgreSQL, through tests/tools/latency-proxy
# (T_PG_DELAY, tests/lib/lib.sh); 0 ms is t-send-faults itself.  5 kills and
# 500 messages a run, to keep it near half a minute: far from PostgreSQL a
# sender claims more rows at a time (its lead covers the round trips), and
# 200 messages were all handled by the first two or three senders killed.
dir=$(dirname "$0")
log="${TMPDIR:-/tmp}/t-send-faults-latency.$$.log"
for d in 15 50; do
	T_PG_DELAY=$d FAULT_KILLS=5 FAULT_N=500 sh "$dir/t-send-faults.sh" >"$log" 2>&1 ||
		{ cat "$log"; rm -f "$log"; echo "FAIL: t-send-faults at $d ms each way to PostgreSQL" >&2; exit 1; }
	grep '^ok:' "$log" | sed "s/^ok: /ok: [$d ms] /"
done
rm -f "$log"
