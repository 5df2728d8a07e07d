#!/bin/sh
# griot report over a known scenario (tests/data/report-scenario.sql) and
# orange-sim seeded with purchase orders: every figure of the JSON report
# against values worked out by hand in docs/reports.md's terms; the text,
# CSV, HTML and per-recipient outputs; the cache; bad input.
. "$(dirname "$0")/../lib/lib.sh"

NOW='2024-05-02 12:00:00+00'
AUTH='Basic dGVzdDp0ZXN0'
export ORANGE_AUTH_HEADER="$AUTH"

new_db
psql -qX -v ON_ERROR_STOP=1 -d "$T_DB" -f "$GRIOT_TOP/tests/data/report-scenario.sql" >/dev/null ||
	fail "loading the scenario"
start_sim --seed "$GRIOT_TOP/tests/data/report-orders.json" --credits SEN:1 \
	--app-id app-griot --rate 1000

# Orange's usage: 9 SMS to Mali and 6 to Côte d'Ivoire really sent through
# the simulator (griot's rows say 10 and 5 units: the differences must show).
TOKEN=$(curl -sf -X POST -H "Authorization: $AUTH" -d grant_type=client_credentials \
	"$SIM_URL/oauth/v3/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])') ||
	fail "token"
send() {
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' \
		-d "{\"outboundSMSMessageRequest\":{\"address\":\"tel:+$1\",\"senderAddress\":\"tel:+$2\",\"outboundSMSTextMessage\":{\"message\":\"Bonjour\"}}}" \
		"$SIM_URL/smsmessaging/v1/outbound/tel%3A%2B$2/requests")
	[ "$code" = 201 ] || fail "send to $1: HTTP $code"
}
for i in 1 2 3 4 5 6 7 8 9; do send "22370000$i$i$i" 2230000; done
for i in 1 2 3 4 5 6; do send "2250700000$i$i$i" 2250000; done
curl -sf -H "Authorization: Bearer $TOKEN" "$SIM_URL/sms/admin/v1/contracts" >"$T_TMP/contracts.json" ||
	fail "contracts from the simulator"

# ---- JSON: every figure ----
griot report --now "$NOW" --app-id app-griot --format json -o "$T_TMP/r.json" >/dev/null 2>"$T_TMP/err" ||
	fail "griot report --format json: $(cat "$T_TMP/err")"
python3 - "$T_TMP/r.json" "$T_TMP/contracts.json" <<'EOF' || fail "JSON figures (see above)"
import json, sys
r = json.load(open(sys.argv[1]))
sim = json.load(open(sys.argv[2]))
errors = []
def eq(path, got, want, tol=None):
    # Floats as the JSON prints them: rates to 6 significant digits,
    # other numbers to 15 (no binary noise), so compare them relatively.
    if tol is None and isinstance(want, float) and isinstance(got, (int, float)):
        tol = 1e-6 * max(1.0, abs(want))
    ok = abs(got - want) <= tol if tol is not None and got is not None else got == want
    if not ok:
        errors.append("%s: got %r, want %r" % (path, got, want))
def by(lst, key, val):
    for x in lst:
        if x.get(key) == val:
            return x
    errors.append("no %s=%s" % (key, val)); return {}

eq("partial", r["partial"], False)
eq("orange_source", r["orange_source"], "live")
t = r["totals"]
eq("total.messages", t["messages"], 28)
want_states = {"DeliveredToTerminal": 10, "DeliveredToNetwork": 1, "DeliveryUncertain": 1,
               "DeliveryImpossible": 1, "MessageWaiting": 1, "awaiting_receipt": 1,
               "no_receipt_24h": 2, "send_failed": 1, "send_unknown": 1, "not_sent": 9}
eq("total.states", t["states"], want_states)
eq("total.states sum", sum(t["states"].values()), t["messages"])
eq("total.accepted", t["accepted"], 17)
eq("total.delivered", t["delivered"], 11)
eq("total.delivery_rate", t["delivery_rate"], 11 / 17, 1e-6)  # 6 significant digits
eq("total.terminal_rate", t["terminal_rate"], 10 / 17, 1e-6)
eq("total.units", t["units"], 18)
eq("total.units_unknown", t["units_unknown"], 1)
# latencies 5 7 9 10 15 20 25 30 40 50 60 100 600: percentile_disc
eq("total.latency", t["latency_seconds"], {"count": 13, "p50": 25, "p90": 100, "p99": 600})
# unit prices: MLI (15000+25000)/(500+1000), CIV 15000/500, SEN 25/1 (--credits)
mli_price = 40000 / 1500
eq("cost.total", t["cost"][0]["amount"], 10 * mli_price + 5 * 30 + 3 * 25, 1e-6)
eq("cost.currency", t["cost"][0]["currency"], "XOF")
eq("cost.per_delivered", t["cost_per_delivered"], (10 * mli_price + 150 + 75) / 11, 1e-6)
eq("cost.to the unit", round(t["cost"][0]["amount"]), 492)

promo = by(r["campaigns"], "campaign", "promo-mai")
eq("promo.messages", promo["messages"], 16)
eq("promo.accepted", promo["accepted"], 14)
eq("promo.delivered", promo["delivered"], 9)
eq("promo.rate", promo["delivery_rate"], 9 / 14, 1e-6)
eq("promo.latency", promo["latency_seconds"], {"count": 11, "p50": 30, "p90": 100, "p99": 600})
eq("promo.units", promo["units"], 15)
eq("promo.cost", promo["cost"][0]["amount"], 10 * mli_price + 150, 1e-6)
eq("promo.cost_per_delivered", promo["cost_per_delivered"], (10 * mli_price + 150) / 9, 1e-6)
pm = by(promo["countries"], "country", "MLI")
eq("promo.MLI.messages", pm["messages"], 10)
eq("promo.MLI.cost", pm["cost"][0]["amount"], 10 * mli_price, 1e-6)
eq("promo.MLI.latency", pm["latency_seconds"], {"count": 7, "p50": 40, "p90": 600, "p99": 600})
rel = by(r["campaigns"], "campaign", 'relance "J+1"; <b>SEN</b>')
eq("relance.states.not_sent", rel["states"]["not_sent"], 2)
eq("relance.latency", rel["latency_seconds"], {"count": 2, "p50": 7, "p90": 9, "p99": 9})
eq("relance.cost", rel["cost"][0]["amount"], 75, 1e-9)
dem = by(r["campaigns"], "campaign", "demain")
eq("demain.delivery_rate", dem["delivery_rate"], None)
eq("demain.cost", dem["cost"], [])
eq("demain.status", dem["campaign_status"], "scheduled")

civ = by(r["countries"], "country", "CIV")
eq("CIV.messages", civ["messages"], 9)
eq("CIV.latency", civ["latency_seconds"], {"count": 4, "p50": 15, "p90": 100, "p99": 100})
eq("CIV.cost", civ["cost"][0]["amount"], 150, 1e-9)

eq("failures", r["failures"], [
    {"send_status": "failed", "reason": "400 SVC0004 invalid address", "count": 1},
    {"send_status": "unknown", "reason": "timeout after the request was sent", "count": 1}])
eq("receipts_per_hour", r["receipts_per_hour"], [
    {"hour": "2024-05-01 22:00", "delivered": 9, "not_delivered": 2},
    {"hour": "2024-05-02 09:00", "delivered": 2, "not_delivered": 0}])
eq("orphaned_receipts", r["orphaned_receipts"], 1)

p = {x["country"]: x for x in r["prices"]["countries"]}
eq("price.MLI", p["MLI"]["unit_price"], mli_price, 1e-9)
eq("price.MLI.orders", (p["MLI"]["orders"], p["MLI"]["units"], p["MLI"]["amount"]), (2, 1500, 40000))
eq("price.CIV", p["CIV"]["unit_price"], 30)
eq("price.SEN", p["SEN"]["unit_price"], 25)

# balance: the simulator's own contracts answer, fetched separately
# (the live shape by default: a top-level array; the portal's nesting otherwise)
cs = sim if isinstance(sim, list) else sim["partnerContracts"]["contracts"][0]["serviceContracts"]
avail = {c["country"]: c for c in cs}
b = {x["country"]: x for x in r["balance"]["countries"]}
for c in ("MLI", "CIV", "SEN"):
    eq("balance.%s.available" % c, b[c]["available_units"], avail[c]["availableUnits"])
    eq("balance.%s.expires" % c, b[c]["expires"], avail[c].get("expires", avail[c].get("expirationDate")))
eq("balance.MLI.available after 9 sends", b["MLI"]["available_units"], 1500 - 9)
eq("balance.pending", (b["MLI"]["pending_units"], b["CIV"]["pending_units"], b["SEN"]["pending_units"]), (4, 6, 2))
eq("balance.SEN.unsized", b["SEN"]["pending_unsized"], 1)
eq("balance.fits", (b["MLI"]["fits"], b["CIV"]["fits"], b["SEN"]["fits"]), (True, True, False))
eq("balance.SEN.warning", "short by 1" in (b["SEN"]["warning"] or ""), True)
eq("balance.tonight_fits", r["balance"]["tonight_fits"], False)

x = {c["country"]: c for c in r["reconciliation"]["countries"]}
eq("reconcile.MLI", (x["MLI"]["local_units"], x["MLI"]["orange_usage"], x["MLI"]["difference"]), (10, 9, -1))
eq("reconcile.CIV", (x["CIV"]["local_units"], x["CIV"]["local_unknown"], x["CIV"]["orange_usage"], x["CIV"]["difference"]), (5, 1, 6, 1))
eq("reconcile.SEN", (x["SEN"]["local_units"], x["SEN"]["orange_usage"], x["SEN"]["difference"]), (3, 0, -3))
eq("reconcile.app", x["MLI"]["app_id"], "app-griot")
for e in errors:
    print("  " + e)
sys.exit(1 if errors else 0)
EOF
ok "JSON report: counts, rates, percentiles, costs, balance, reconciliation"

# ---- scope filters ----
griot report --now "$NOW" --campaign promo-mai --country MLI --json --cache-ttl 300 >"$T_TMP/s1.json" ||
	fail "--campaign --country"
python3 -c '
import json,sys; r=json.load(open(sys.argv[1])); t=r["totals"]
assert (t["messages"], t["units"], round(t["cost"][0]["amount"], 2)) == (10, 10, 266.67), t
assert [c["campaign"] for c in r["campaigns"]] == ["promo-mai"]' "$T_TMP/s1.json" || fail "campaign+country scope"
griot report --now "$NOW" --since 2024-05-02 --until 2024-05-03 --json >"$T_TMP/s2.json" || fail "--since/--until"
python3 -c '
import json,sys; r=json.load(open(sys.argv[1])); t=r["totals"]
assert (t["messages"], t["accepted"], t["delivered"]) == (3, 3, 2), t
assert r["scope"]["since"] == "2024-05-02T00:00:00Z", r["scope"]' "$T_TMP/s2.json" || fail "period scope"
ok "scope: campaign, country, period"

# ---- the cache: three answers stored, reused while the simulator is down ----
[ "$(sql 'SELECT count(*) FROM report_orange_cache')" = 3 ] || fail "cache rows"
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null
griot report --now "$NOW" --app-id app-griot --json >"$T_TMP/c.json" 2>/dev/null || fail "report from cache"
python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))
assert r["partial"] is False and r["orange_source"].startswith("cache of "), r["orange_source"]
assert r["reconciliation"]["countries"][0]["orange_usage"] is not None' "$T_TMP/c.json" || fail "fresh cache not used"
ok "Orange answers cached and reused"

# stale cache (older than the TTL) and Orange unreachable: partial, old figures shown
sql "UPDATE report_orange_cache SET fetched_at = fetched_at - interval '10 minutes'" >/dev/null
griot report --now "$NOW" --json >"$T_TMP/st.json" 2>/dev/null || fail "report with stale cache"
python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))
assert r["partial"] is True
assert any("unreachable" in x for x in r["partial_reasons"]), r["partial_reasons"]
assert any("cached at" in x for x in r["partial_reasons"]), r["partial_reasons"]
assert r["balance"]["known"] is True' "$T_TMP/st.json" || fail "stale cache"
ok "stale cache shown when Orange is unreachable, marked partial"

# no cache and nothing listening: still a report, marked partial, exit 0
sql "DELETE FROM report_orange_cache" >/dev/null
ORANGE_API_BASE=http://127.0.0.1:1 griot report --now "$NOW" -o "$T_TMP/p.html" 2>"$T_TMP/perr" ||
	fail "report without Orange failed: $(cat "$T_TMP/perr")"
grep -q 'id=partial' "$T_TMP/p.html" || fail "partial banner missing"
grep -q 'Orange is unreachable' "$T_TMP/p.html" || fail "partial reason missing"
grep -q 'Balance unknown' "$T_TMP/p.html" || fail "balance not marked unknown"
grep -q 'partial report' "$T_TMP/perr" || fail "no warning on stderr"
ok "Orange unreachable: HTML rendered, partial with the reason"

# ---- transient errors are retried, a bounded number of times ----
# flaky FAILS: a stand-in answering 503 to the first FAILS calls of each
# admin endpoint; sets FLAKY_URL, FLAKY_PID, HITS.
flaky() {
	HITS="$T_TMP/hits-$1.json"
	mkfifo "$T_TMP/flaky.fifo"
	python3 "$GRIOT_TOP/tests/tools/flaky-orange.py" "$1" "$HITS" >"$T_TMP/flaky.fifo" &
	FLAKY_PID=$!
	T_PIDS="$T_PIDS $FLAKY_PID"
	read -r line <"$T_TMP/flaky.fifo" || fail "flaky server did not start"
	rm -f "$T_TMP/flaky.fifo"
	FLAKY_URL="http://127.0.0.1:${line#ready }"
}
flaky 2
ORANGE_API_BASE=$FLAKY_URL griot report --now "$NOW" --cache-ttl 0 --app-id app-griot --json \
	>"$T_TMP/f.json" 2>/dev/null || fail "report through 503s"
kill "$FLAKY_PID"; wait "$FLAKY_PID" 2>/dev/null
python3 - "$T_TMP/f.json" "$HITS" <<'EOF' || fail "retries after 503"
import json, sys
r = json.load(open(sys.argv[1])); hits = json.load(open(sys.argv[2]))
assert r["partial"] is False, r["partial_reasons"]
assert all(hits[p] == 3 for p in hits) and len(hits) == 3, hits   # 2 x 503, then 200
b = {x["country"]: x for x in r["balance"]["countries"]}
assert b["MLI"]["available_units"] == 324
p = {x["country"]: x for x in r["prices"]["countries"]}
assert p["MLI"]["unit_price"] == 30, p       # "500 SMS for 15 000 FCFA" -> 30 XOF
x = {c["country"]: c for c in r["reconciliation"]["countries"]}
assert x["MLI"]["orange_usage"] == 153 and x["MLI"]["difference"] == 153 - 10, x["MLI"]
EOF
flaky 1000
ORANGE_API_BASE=$FLAKY_URL griot report --now "$NOW" --cache-ttl 0 --json \
	>"$T_TMP/f2.json" 2>/dev/null || fail "report through endless 503s"
kill "$FLAKY_PID"; wait "$FLAKY_PID" 2>/dev/null
python3 - "$T_TMP/f2.json" "$HITS" <<'EOF' || fail "bounded retries"
import json, sys
r = json.load(open(sys.argv[1])); hits = json.load(open(sys.argv[2]))
assert r["partial"] is True
assert all(hits[p] == 3 for p in hits) and len(hits) == 3, hits   # 1 try + 2 retries each
assert sum("could not be fetched" in x for x in r["partial_reasons"]) == 3, r["partial_reasons"]
EOF
ok "503s retried (3 tries per call, then partial)"

# ---- text on the terminal ----
griot report --now "$NOW" --offline >"$T_TMP/t.txt" 2>/dev/null || fail "text report"
grep -q '^Messages 28, accepted by Orange 17, delivered 11 (64.7 % of accepted)' "$T_TMP/t.txt" ||
	fail "text summary: $(head -n 12 "$T_TMP/t.txt")"
grep -q 'Receipt latency p50 25 s, p90 1 min 40 s, p99 10 min 00 s' "$T_TMP/t.txt" || fail "text latency"
grep -q 'PARTIAL REPORT' "$T_TMP/t.txt" || fail "offline not marked partial"
ok "text summary"

# ---- HTML is self-contained and escaped ----
griot report --now "$NOW" --offline -o "$T_TMP/r.html" >/dev/null 2>&1 || fail "html"
for bad in '<script' '<link' ' src=' 'url(' '@import' 'http://' 'https://' '<b>SEN</b>'; do
	grep -qF -- "$bad" "$T_TMP/r.html" && fail "HTML contains '$bad'"
done
grep -qF 'relance &quot;J+1&quot;; &lt;b&gt;SEN&lt;/b&gt;' "$T_TMP/r.html" || fail "campaign name not escaped"
grep -q '<meta name="viewport"' "$T_TMP/r.html" || fail "no viewport"
grep -q '@media print' "$T_TMP/r.html" || fail "no print styles"
grep -q '<svg' "$T_TMP/r.html" || fail "no inline SVG"
ok "HTML self-contained, escaped, responsive, printable"

# ---- CSV report (French Excel: ';' and decimal comma) ----
griot report --now "$NOW" --offline --format csv --sep ';' -o "$T_TMP/r.csv" >/dev/null 2>&1 || fail "csv"
head -c 3 "$T_TMP/r.csv" | od -An -tx1 | grep -q 'ef bb bf' || fail "CSV without BOM"
grep -q '^total;;;28;10;1;1;1;1;1;2;1;1;9;17;11;0,6471;0,5882;18;1;13;25;100;600;' "$T_TMP/r.csv" ||
	fail "CSV total row: $(grep '^total' "$T_TMP/r.csv")"
ok "CSV report"

# ---- per-recipient CSV ----
griot report --now "$NOW" --offline --campaign promo-mai --recipients "$T_TMP/rec.csv" \
	--fields prenom,ville --sep ';' -o "$T_TMP/x.json" >/dev/null 2>&1 || fail "recipients"
[ "$(wc -l <"$T_TMP/rec.csv")" = 17 ] || fail "recipient rows: $(wc -l <"$T_TMP/rec.csv")"
# numbers and personal fields: for its owner only
[ "$(stat -c %a "$T_TMP/rec.csv")" = 600 ] || fail "recipient CSV mode $(stat -c %a "$T_TMP/rec.csv")"
python3 - "$T_TMP/rec.csv" <<'EOF' || fail "recipient CSV content"
import csv, sys
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), "no BOM"
assert b"\r\n" in raw, "not CRLF"
rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
head = rows[0]
assert head[:4] == ["number", "prenom", "ville", "campaign"], head
by = {r[1]: r for r in rows[1:]}
# formula injection: cells starting with = + - @ get a leading quote
assert "'=HYPERLINK(\"http://x.invalid\",\"clic\")" in by, sorted(by)
assert "'-1+2" in by and "'@admin" in by, sorted(by)
assert 'Fanta; "la grande"' in by, sorted(by)          # RFC 4180 quoting round-trips
assert "Aïssata" in by                                 # UTF-8
awa = by["Awa"]
assert awa[0] == "'+22370000001", awa[0]
col = {h: i for i, h in enumerate(head)}
assert awa[col["delivery_status"]] == "DeliveredToTerminal"
assert awa[col["sent_at_utc"]] == "2024-05-01 22:00:00"
assert awa[col["final_at_utc"]] == "2024-05-01 22:00:10"
assert awa[col["resource_id"]] == "rid-1"
assert by["Seydou"][col["report_state"]] == "no_receipt_24h"
assert by["'-1+2"][col["last_error"]] == "400 SVC0004 invalid address"
EOF
ok "per-recipient CSV: BOM, ';', quoting, formula guard"

# ---- bad input: clear error, sysexits code, nothing written ----
griot report --since yesterday-ish -o "$T_TMP/bad.html" 2>"$T_TMP/e1"; rc=$?
[ $rc = 64 ] || fail "bad --since: exit $rc"
grep -q "since 'yesterday-ish'" "$T_TMP/e1" || fail "bad --since message: $(cat "$T_TMP/e1")"
[ -e "$T_TMP/bad.html" ] && fail "file written on bad input"
griot report --campaign nope --offline 2>"$T_TMP/e2"; rc=$?
[ $rc = 66 ] || fail "unknown campaign: exit $rc"
grep -q "no campaign named 'nope'" "$T_TMP/e2" || fail "unknown campaign message"
griot report -o "$T_TMP/r.xyz" 2>/dev/null; rc=$?
[ $rc = 64 ] || fail "unknown extension: exit $rc"
griot report --country mali 2>/dev/null; rc=$?
[ $rc = 64 ] || fail "bad country: exit $rc"
ls "$T_TMP" | grep -q '\.tmp\.' && fail "temporary file left behind"
ok "bad input rejected"
echo "t-report: all passed"
