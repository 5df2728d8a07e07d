#!/bin/sh
# A sender's lease must survive a database crash.  Recovery sends a dead
# sender's row back to pending only when its slot lies beyond the lease
# the sender committed (sql/060): the sender starts requests up to the
# lease it was answered, so that lease must be on disk before the answer.
# The sender's session runs with synchronous_commit = off (its other
# writes may be lost harmlessly); a lease extension committed that way
# and lost in a crash would let recovery resend what had left.
#
# For real: a cluster of its own (so that crashing it hurts no other
# test) whose WAL writer flushes only every 10 s; the lease is extended
# as the sender does it (synchronous_commit off), the server is stopped
# immediately (a power cut), restarted, and the lease read back.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/cluster.sh"
own_cluster
new_db
sql "ALTER SYSTEM SET wal_writer_delay = '10s'" >/dev/null
sql "SELECT pg_reload_conf()" >/dev/null

# crash_after NAME AHEAD: extend instance NAME's lease AHEAD seconds as a
# sender does (its session's synchronous_commit is off), crash the server
# at once; prints the lease the sender was answered.
crash_after() {
	l=$(psql -qAtX -d "$T_DB" -c "SET synchronous_commit = off" \
		-c "SELECT griot_sender_lease('$1', $2, 0.01)") || fail "lease $1"
	cl_pg crash || fail "crash"
	cl_pg start >>"$T_TMP/pg-start.log" 2>&1 || fail "restart: $(tail -5 "$T_TMP/pg-start.log")"
	echo "$l"
}
# the instance exists durably first: what is at stake is the extension
sql "SELECT griot_sender_lease('s1', 1, 0.01)" >/dev/null
sql "CHECKPOINT" >/dev/null
for i in 1 2 3; do
	answered=$(crash_after s1 $((600 * i)))
	kept=$(sql "SELECT extract(epoch from started_until)::float8 FROM sender_instances WHERE id = 's1'")
	awk -v a="$answered" -v k="$kept" 'BEGIN { exit !(k + 0 >= a + 0) }' ||
		fail "crash $i: the sender was answered a lease to $answered, after the crash it ends at ${kept:-nothing}: its rows in between would be resent"
done
ok "a lease extension committed by a sender survives 3 immediate crashes"

