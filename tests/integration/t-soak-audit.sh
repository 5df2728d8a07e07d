#!/bin/sh
# The soak's audit (scripts/soak-audit) must be able to fail.  A small
# real run (two campaigns sharing numbers, two countries, griot send,
# orange-sim with duplicated / waiting / reordered receipts, griot receive)
# is audited clean; then a duplicate send, a lost receipt, a report
# difference, a receipt settling the wrong row and a growing process are
# planted one at a time, and each is caught by its own figure.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/send.sh"
. "$GRIOT_TOP/tests/lib/receive.sh"
AUDIT="$GRIOT_TOP/scripts/soak-audit"
N=40

new_db
cat >"$T_TMP/orders.json" <<'EOF'
[{"country": "MLI", "units": 5000, "amount": 125000, "currency": "XOF"},
 {"country": "MLI", "units": 1000, "amount": 31000, "currency": "XOF"},
 {"country": "SEN", "units": 5000, "amount": 140000, "currency": "XOF"}]
EOF
start_receiver --allow 127.0.0.1/32
start_sim --rate 2000 --seed "$T_TMP/orders.json" --dr-url "$DR_URL" --allow-http-notify --dr-delay 0 \
	--seed-random 5 --dr-mix DeliveredToTerminal:3,DeliveredToNetwork:1,DeliveryImpossible:1 \
	--dr-dup 0.3 --dr-waiting 0.3 --dr-reorder

# Campaigns a and b share the MLI numbers; b also has SEN numbers.
for c in a b; do
	griot campaign create "$c" --sender tel:+2230000 --tz UTC \
		--message "[$c] Bonjour {{name}}, code {{code}}." >/dev/null || fail "create $c"
done
add_recipients a $N MLI 2237
add_recipients b $N MLI 2237
add_recipients b 10 SEN 22177 100
for c in a b; do
	griot campaign schedule "$c" >/dev/null || fail "schedule $c"
	griot send --campaign "$c" --rate 1000 --limiter fast1000 2>>"$T_TMP/send.err" || fail "send $c: $(tail -n 3 "$T_TMP/send.err")"
done
pending() {
	curl -s "$SIM_URL/_sim/state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["dr"]["pending"])'
}
i=0
until [ "$(pending)" = 0 ]; do
	i=$((i + 1))
	[ $i -lt 1200 ] || fail "receipts still pending after 60 s"
	sleep 0.05
done

report() {
	griot report --json --cache-ttl 0 >"$T_TMP/report.json" 2>"$T_TMP/report.err" ||
		fail "report: $(cat "$T_TMP/report.err")"
}
# audit EXPECTED_EXIT: runs the audit, keeps its JSON in audit.json.
audit() {
	"$AUDIT" --ledger "$SIM_LEDGER" --report-json "$T_TMP/report.json" --orders "$T_TMP/orders.json" \
		--json "$T_TMP/audit.json" "$@" >"$T_TMP/audit.out" 2>&1
}
figure() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mismatches"][sys.argv[2]])' \
		"$T_TMP/audit.json" "$1"
}
# caught FIGURE WHAT: the audit failed, with FIGURE and no other figure.
caught() {
	audit && fail "$2 not caught: $(cat "$T_TMP/audit.out")"
	[ "$(figure "$1")" -ge 1 ] || fail "$2: $1 is 0: $(cat "$T_TMP/audit.out")"
	others=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["mismatches"]
print(" ".join(k for k, v in m.items() if v and k != sys.argv[2]))' "$T_TMP/audit.json" "$1")
	[ -z "$others" ] || [ -n "${3:-}" ] || fail "$2 also counted as: $others ($(cat "$T_TMP/audit.out"))"
	ok "$2 caught as $1"
}

report
audit || fail "clean run not clean: $(cat "$T_TMP/audit.out")"
[ "$(python3 -c 'import json; print(json.load(open("'"$T_TMP"'/audit.json"))["info"]["ledger_accepted"])')" = $((2 * N + 10)) ] ||
	fail "the audit did not see $((2 * N + 10)) accepted sends"
[ "$(python3 -c 'import json; print(json.load(open("'"$T_TMP"'/audit.json"))["info"]["report_cells"])')" = 3 ] ||
	fail "the audit did not compare 3 report cells: $(cat "$T_TMP/audit.out")"
ok "clean run audited clean ($((2 * N + 10)) sends, $(grep -c '"event":"dr"' "$SIM_LEDGER") receipts)"

# 1. A number accepted twice for one row: a copy of one of b's sends.
cp "$SIM_LEDGER" "$T_TMP/ledger.orig"
grep '"event":"sms"' "$SIM_LEDGER" | grep '\[b\]' | head -n 1 |
	sed 's/"resource_id":"[^"]*"/"resource_id":"00000000-0000-4000-8000-000000000001"/' >>"$SIM_LEDGER"
caught duplicates "a number sent twice in a campaign" also-unmatched
# named when the row was resent on purpose with --resend-unknown
dup=$(tail -n 1 "$SIM_LEDGER" | sed 's/.*"address":"tel:\([^"]*\)".*/\1/')
printf 'b\t%s\n' "$dup" >"$T_TMP/resent"
audit --resent "$T_TMP/resent" || fail "a named resend still fails: $(cat "$T_TMP/audit.out")"
grep -q "resent on purpose: b $dup" "$T_TMP/audit.out" || fail "the resend is not named: $(cat "$T_TMP/audit.out")"
ok "a resend named in --resent is listed, not failed"
cp "$T_TMP/ledger.orig" "$SIM_LEDGER"

# 2. A receipt answered 200 but missing from delivery_receipts.
sql "DELETE FROM delivery_receipts WHERE id = (SELECT min(id) FROM delivery_receipts)"
caught lost_receipts "a lost receipt"
audit --campaigns a,b >/dev/null 2>&1 && fail "--campaigns hides the lost receipt"

# 3. The report differs from the ledger (units of one sent message).
first=$(sql "SELECT min(id) FROM messages WHERE campaign_id = (SELECT id FROM campaigns WHERE name = 'a')")
segs=$(sql "SELECT segments FROM messages WHERE id = $first")
sql "UPDATE messages SET segments = segments + 2 WHERE id = $first"
report
audit && fail "report difference not caught"
[ "$(figure report)" = 1 ] || fail "report difference: report is not 1: $(cat "$T_TMP/audit.out")"
grep -q 'units report.*cost report' "$T_TMP/audit.out" ||
	fail "the report line does not give units and cost: $(cat "$T_TMP/audit.out")"
ok "a report difference caught as report"
sql "UPDATE messages SET segments = $segs WHERE id = $first"
report

# 4. A receipt for a's message settled b's row (same number): a's row is
# left unknown, b's row holds a's resource id.
n='+22370000001'
a_rid=$(sql "SELECT resource_id FROM messages m JOIN campaigns c ON c.id = m.campaign_id
	WHERE c.name = 'a' AND msisdn = '$n'")
sql "UPDATE messages SET resource_id = NULL, send_status = 'unknown'
	WHERE campaign_id = (SELECT id FROM campaigns WHERE name = 'a') AND msisdn = '$n'"
sql "UPDATE messages SET resource_id = '$a_rid'
	WHERE campaign_id = (SELECT id FROM campaigns WHERE name = 'b') AND msisdn = '$n'"
audit && fail "wrong settlement not caught"
[ "$(figure wrong_row)" = 1 ] || fail "wrong settlement: wrong_row is not 1: $(cat "$T_TMP/audit.out")"
ok "a's resource id on b's row caught as wrong_row"

# 5. Memory: a process that grows 40 MiB over its life, another flat.
awk 'BEGIN { for (i = 0; i < 60; i++) {
	printf "%d sender 100 %d\n", 1000 + i, 20000 + i * 700
	printf "%d receiver 200 %d\n", 1000 + i, 30000 + (i % 3) * 100 } }' >"$T_TMP/rss"
"$AUDIT" --ledger "$SIM_LEDGER" --rss "$T_TMP/rss" --rss-bound-mib 16 --json "$T_TMP/audit.json" \
	>"$T_TMP/audit.out" 2>&1 && fail "RSS growth not caught"
[ "$(figure rss)" = 1 ] || fail "rss: expected exactly the sender: $(cat "$T_TMP/audit.out")"
grep -q 'sender pid 100 grew' "$T_TMP/audit.out" || fail "rss line: $(cat "$T_TMP/audit.out")"
ok "RSS growth beyond the bound caught (and a flat process passed)"
kill -TERM "$RECV_PID"; wait "$RECV_PID" || fail "griot receive exit $?"
