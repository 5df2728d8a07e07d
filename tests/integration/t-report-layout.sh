#!/bin/sh
# The HTML report with the campaign names people give (issue 14): a
# right-to-left name (حملة رمضان 2026), one with an unclosed U+202E, one of
# 5,000 characters — in headless Chromium driven by Selenium
# (tests/tools/report-layout.py): names isolated, figures on their side,
# long names wrapped; and the JSON without spurious digits.
. "$(dirname "$0")/../lib/lib.sh"
PY=/usr/bin/python3
[ -x /usr/bin/chromedriver ] || fail "chromium-driver is not installed (scripts/deps)"
$PY -c 'import selenium' 2>/dev/null || fail "python3-selenium is not installed (scripts/deps)"
NOW='2024-05-02 12:00:00+00'
export ORANGE_AUTH_HEADER='Basic dGVzdDp0ZXN0'
RTL='حملة رمضان 2026'
RLO=$(printf 'promo \342\200\256 2')
LONG=$(awk 'BEGIN { for (i = 0; i < 5000; i++) printf "%c", 65 + i % 26 }')

new_db
psql -qX -v ON_ERROR_STOP=1 -d "$T_DB" -f "$GRIOT_TOP/tests/data/report-scenario.sql" >/dev/null ||
	fail "loading the scenario"
psql -qX -v ON_ERROR_STOP=1 -d "$T_DB" -v rtl="$RTL" -v rlo="$RLO" -v long="$LONG" >/dev/null <<'SQL' || fail "renaming"
UPDATE campaigns SET name = :'rtl' WHERE name = 'promo-mai';
UPDATE campaigns SET name = :'rlo' WHERE name LIKE 'relance%';
UPDATE campaigns SET name = :'long' WHERE name = 'demain';
SQL
start_sim --seed "$GRIOT_TOP/tests/data/report-orders.json" --credits SEN:1 --app-id app-griot
griot report --now "$NOW" --app-id app-griot -o "$T_TMP/report.html" >/dev/null 2>"$T_TMP/err" ||
	fail "griot report: $(cat "$T_TMP/err")"
SHOTS="${GRIOT_BUILD:-$GRIOT_TOP/build}/report-shots"
mkdir -p "$SHOTS"
$PY "$GRIOT_TOP/tests/tools/report-layout.py" "$T_TMP/report.html" "$SHOTS" "$RTL" "$LONG" "$RLO" ||
	fail "layout"
ok "names isolated and wrapped in the browser (screenshots in $SHOTS)"

# JSON numbers: no binary noise (0.66666666666666662966).
griot report --now "$NOW" --app-id app-griot --json >"$T_TMP/report.json" 2>/dev/null || fail "json"
grep -Eo '[0-9]+\.[0-9]{16,}' "$T_TMP/report.json" | head -3 | grep . &&
	fail "JSON numbers with spurious digits"
$PY - "$T_TMP/report.json" <<'PY' || fail "JSON rates"
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
r = t["delivery_rate"]
assert len(repr(r).lstrip("0.")) <= 7, r
PY
ok "JSON numbers with sensible precision"
