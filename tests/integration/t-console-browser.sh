#!/bin/sh
# The console in real headless Chromium (Selenium), in French then in
# English (tests/console/browser.py): an admin creates an operator, who
# creates a campaign, uploads demo/recipients.csv, checks counts, rejects,
# units and balance, schedules; griot send sends through orange-sim, whose
# receipts reach griot receive; the page shows progress then the final
# figures; the report opens.  Screenshots: $GRIOT_BUILD/console-shots/.
# About 60 s (two campaigns of 290 messages at 20/s).
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/console.sh"
. "$GRIOT_TOP/tests/lib/receive.sh"

[ -x /usr/bin/chromedriver ] || fail "chromium-driver is not installed (scripts/deps)"
$PY -c 'import selenium' 2>/dev/null || fail "python3-selenium is not installed (scripts/deps)"
SHOTS="${GRIOT_BUILD:-$GRIOT_TOP/build}/console-shots"
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
new_db
export ORANGE_AUTH_HEADER='Basic dGVzdDp0ZXN0'
export ORANGE_TOKEN_CACHE="$T_TMP/token-cache"
start_receiver --allow 127.0.0.1/32
start_sim --rate 100 --seed "$GRIOT_TOP/demo/purchase-orders.json" --dr-url "$DR_URL" \
	--allow-http-notify --dr-delay 200 --seed-random 7 \
	--dr-mix DeliveredToTerminal:85,DeliveredToNetwork:5,DeliveryImpossible:10
printf 'senders = tel:+2230000\ndefault_country = MLI\n' >"$T_TMP/griot.conf"
export GRIOT_CONFIG="$T_TMP/griot.conf"
add_user admin admin 'admin-password-1'
start_console

for lang in fr en; do
	$PY "$CONSOLE_PY/browser.py" "$CONSOLE_ADDR" $lang "$T_DB" "$SHOTS" \
		"$GRIOT_TOP/demo/recipients.csv" || fail "browser test ($lang)"
done
stop_console
ls "$SHOTS"/*.png >/dev/null || fail "no screenshot"
ok "screenshots in $SHOTS"
