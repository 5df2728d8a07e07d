#!/bin/sh
# End to end: messages sent through orange-sim, whose receipts (mixed
# statuses, duplicates, intermediate MessageWaiting, out of order) are
# POSTed to a running griot receive.  Every message must end in the final
# status the simulator meant, whether its resource_id was recorded before
# or after its receipts arrived, or it was left 'unknown' (reconciled by
# number).
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/sim.sh"
. "$GRIOT_TOP/tests/lib/receive.sh"

N=40
new_db
sql "INSERT INTO campaigns (name) VALUES ('e2e')"
# every recipient starts as the sender leaves it just before the request
sql "INSERT INTO messages (campaign_id, msisdn, country, send_status, sending_at)
     SELECT 1, '+2237100' || lpad(g::text, 4, '0'), 'MLI', 'sending', now() FROM generate_series(1, $N) g"

start_receiver --allow 127.0.0.1/32
sim_start e2e --credits MLI:1000 --rate 1000 --dr-url "$DR_URL" --allow-http-notify --dr-delay 0 \
	--seed-random 7 --dr-mix DeliveredToTerminal:3,DeliveredToNetwork:1,DeliveryUncertain:1,DeliveryImpossible:2 \
	--dr-dup 0.5 --dr-waiting 0.6 --dr-reorder
TOK=$(token)

# Like the sender: record each resource_id after Orange's 201 -- at once
# for the first third, only after every send for the second third (their
# receipts come first), never for the last third, left 'unknown' as after
# a crash mid-request (reconciled by number and time window).
: >"$T_TMP/later"
i=1
while [ $i -le $N ]; do
	num=$(printf '+2237100%04d' $i)
	s=$(send "$TOK" "tel:$num" "message $i")
	[ "$s" = 201 ] || fail "send $i: HTTP $s $(cat "$T_TMP/body")"
	rid=$(jv "$T_TMP/body" 'd["outboundSMSMessageRequest"]["resourceURL"].rsplit("/",1)[1]')
	if [ $((i % 3)) = 1 ]; then
		sql "UPDATE messages SET resource_id = '$rid', send_status = 'sent', sent_at = now() WHERE msisdn = '$num'"
	elif [ $((i % 3)) = 2 ]; then
		echo "$num $rid" >>"$T_TMP/later"
	else
		sql "UPDATE messages SET send_status = 'unknown' WHERE msisdn = '$num'"
	fi
	i=$((i + 1))
done
# wait until the simulator has delivered every receipt (each answered 200)
sim_idle() {
	req GET "$SIM_URL/_sim/state" >/dev/null
	[ "$(jv "$T_TMP/body" 'd["dr"]["pending"]')" = 0 ]
}
wait_for "every receipt delivered" sim_idle
[ "$(grep -c dr_gave_up "$SIM_LEDGER")" = 0 ] || fail "the simulator gave up on some receipts"
unmatched=$(sql "SELECT count(DISTINCT resource_id) FROM delivery_receipts WHERE message_id IS NULL")
while read -r num rid; do
	sql "UPDATE messages SET resource_id = '$rid', send_status = 'sent', sent_at = now() WHERE msisdn = '$num'"
done <"$T_TMP/later"
ok "$N messages sent through orange-sim; $unmatched resource_ids recorded only after their receipts"
[ "$unmatched" -ge $((N / 3)) ] || fail "expected the late third unmatched before recording"

# what the simulator meant: the final status of each message, by number
ledger 'sorted("%s %s" % (d["address"][4:], d["status"]) for d in L if d["event"] == "dr" and d["final"] and not d.get("dup"))' |
	python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)))' >"$T_TMP/want"
[ "$(wc -l <"$T_TMP/want")" = $N ] || fail "simulator ledger: $(wc -l <"$T_TMP/want") final receipts for $N messages"
sql "SELECT msisdn || ' ' || coalesce(delivery_status, 'none') FROM messages ORDER BY 1" >"$T_TMP/got"
diff "$T_TMP/want" "$T_TMP/got" >"$T_TMP/diff" || fail "final statuses differ (want, got): $(cat "$T_TMP/diff")"
ok "every message ends in the final status the simulator meant"

# the run really had duplicates, waiting receipts and reordering
ndup=$(ledger 'sum(1 for d in L if d["event"] == "dr" and d.get("dup"))')
nwait=$(ledger 'sum(1 for d in L if d["event"] == "dr" and not d["final"])')
[ "$ndup" -gt 0 ] && [ "$nwait" -gt 0 ] || fail "no duplicates ($ndup) or waiting receipts ($nwait) in the run"
total=$(ledger 'sum(1 for d in L if d["event"] == "dr")')
[ "$(sql "SELECT count(*) FROM delivery_receipts")" = "$total" ] || fail "receipts acknowledged: $total, rows: $(sql "SELECT count(*) FROM delivery_receipts")"
[ "$(sql "SELECT count(*) FROM delivery_receipts WHERE message_id IS NULL")" = 0 ] || fail "receipts left unmatched"
[ "$(sql "SELECT count(*) FROM messages WHERE send_status <> 'sent' OR resource_id IS NULL")" = 0 ] ||
	fail "'unknown' messages not reconciled: $(sql "SELECT msisdn, send_status FROM messages WHERE send_status <> 'sent'")"
[ "$(sql "SELECT count(*) FROM messages WHERE final_at IS NULL")" = 0 ] || fail "final_at missing"
ok "$total receipts ($ndup duplicates, $nwait MessageWaiting) each stored once per delivery; 'unknown' messages reconciled"

kill -TERM "$RECV_PID"; wait "$RECV_PID" || fail "griot receive exit $?"
sim_stop
