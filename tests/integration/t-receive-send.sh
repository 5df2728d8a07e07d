#!/bin/sh
# The whole chain: a campaign sent by `griot send` through orange-sim,
# whose receipts (mixed statuses, duplicates, MessageWaiting, out of order)
# go to a running `griot receive` while the sender is still recording
# resource_ids.  Every message ends in the final status the simulator meant.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
. "$GRIOT_TOP/tests/lib/receive.sh"

N=60
new_db
start_receiver --allow 127.0.0.1/32
start_sim --rate 2000 --credits MLI:1000 --dr-url "$DR_URL" --allow-http-notify --dr-delay 0 \
	--seed-random 11 --dr-mix DeliveredToTerminal:3,DeliveredToNetwork:1,DeliveryUncertain:1,DeliveryImpossible:2 \
	--dr-dup 0.5 --dr-waiting 0.5 --dr-reorder
mk_campaign e2e $N MLI 2237
griot campaign schedule e2e >/dev/null || fail "schedule"
griot send --campaign e2e --rate 1000 --limiter fast1000 2>"$T_TMP/send.err" || fail "griot send exited $?: $(tail -n 3 "$T_TMP/send.err")"
[ "$(sql "SELECT count(*) FROM messages WHERE send_status = 'sent' AND resource_id IS NOT NULL")" = $N ] ||
	fail "not all sent: $(status_counts)"
ok "$N messages sent by griot send"

pending() {
	curl -s "$SIM_URL/_sim/state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["dr"]["pending"])'
}
i=0
until [ "$(pending)" = 0 ]; do
	i=$((i + 1))
	[ $i -lt 1200 ] || fail "receipts still pending after 60 s"
	sleep 0.05
done
grep -q dr_gave_up "$SIM_LEDGER" && fail "the simulator gave up on a receipt"

python3 - "$SIM_LEDGER" >"$T_TMP/want" <<'PY'
import json, sys
L = [json.loads(x) for x in open(sys.argv[1]) if x.strip()]
for s in sorted("%s %s" % (d["address"][4:], d["status"]) for d in L
                if d["event"] == "dr" and d["final"] and not d.get("dup")):
    print(s)
PY
[ "$(wc -l <"$T_TMP/want")" = $N ] || fail "ledger: $(wc -l <"$T_TMP/want") final receipts for $N messages"
sql "SELECT msisdn || ' ' || coalesce(delivery_status, 'none') FROM messages ORDER BY 1" >"$T_TMP/got"
diff "$T_TMP/want" "$T_TMP/got" >"$T_TMP/diff" || fail "final statuses differ (want, got): $(cat "$T_TMP/diff")"
total=$(grep -c '"event":"dr"' "$SIM_LEDGER")
[ "$(sql "SELECT count(*) FROM delivery_receipts WHERE message_id IS NOT NULL")" = "$total" ] ||
	fail "$total receipts acknowledged, $(sql "SELECT count(*) FROM delivery_receipts WHERE message_id IS NOT NULL") stored and matched"
ok "every message ends in the final status the simulator meant ($total receipts, all stored and matched)"
kill -TERM "$RECV_PID"; wait "$RECV_PID" || fail "griot receive exit $?"
