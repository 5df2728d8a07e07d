#!/bin/sh
# griot orange token|balance|usage|purchases and griot dr subscribe|show|
# unsubscribe against a running orange-sim and a real database; the
# authorization header, the token and the DR path secret never show up in
# what griot prints (stdout or stderr, with -v debug logging too).
. "$(dirname "$0")/../lib/lib.sh"

AUTH='Basic dGVzdDp0ZXN0'
SECRET='pathS3cretX9-abcdef'
OUT="$T_TMP/all-output"   # everything griot printed, checked at the end
: >"$OUT"

# run NAME [VAR=value...] griot ARGS...: stdout in $T_TMP/NAME.out, stderr
# in NAME.err, exit code in $rc; both appended to $OUT.
run() {
	n=$1
	shift
	i=$#
	while [ "$i" -gt 0 ]; do
		a=$1
		shift
		[ "$a" = griot ] && a=$GRIOT_BIN
		set -- "$@" "$a"
		i=$((i - 1))
	done
	env "$@" >"$T_TMP/$n.out" 2>"$T_TMP/$n.err"
	rc=$?
	cat "$T_TMP/$n.out" "$T_TMP/$n.err" >>"$OUT"
}
expect_rc() { [ "$rc" = "$1" ] || fail "$2: exit $rc, wanted $1; stderr: $(cat "$T_TMP/$3.err")"; }
has() { grep -q -- "$2" "$T_TMP/$1" || fail "'$2' not in $1: $(cat "$T_TMP/$1")"; }
hasnt() { ! grep -q -- "$2" "$T_TMP/$1" || fail "'$2' should not be in $1"; }
# jq-like: python3 expression over d = the JSON document in a file
jv() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(eval(sys.argv[2])))' "$@"; }
simstate() { curl -s "$SIM_URL/_sim/state" >"$T_TMP/state.json" && jv "$T_TMP/state.json" "$1"; }

new_db
start_sim --credits MLI:500,CIV:1000
export ORANGE_AUTH_HEADER="$AUTH" ORANGE_TOKEN_CACHE="$T_TMP/cache/token"
unset ORANGE_CREDENTIALS_FILE GRIOT_DR_SECRET GRIOT_CONFIG
export HOME="$T_TMP"   # no stray ~/.config/griot/griot.conf

# ---- balance: table and JSON ----
run bal griot -v orange balance
expect_rc 0 "griot orange balance" bal
has bal.out '^COUNTRY'
grep -q '^MLI  *500 ' "$T_TMP/bal.out" || fail "MLI 500 row: $(cat "$T_TMP/bal.out")"
grep -q '^CIV  *1000 ' "$T_TMP/bal.out" || fail "CIV 1000 row"
grep -q '^total  *1500 ' "$T_TMP/bal.out" || fail "total row"
run balj griot orange balance --json
expect_rc 0 "balance --json" balj
[ "$(jv "$T_TMP/balj.out" 'sorted((c["country"], c["available_units"]) for c in d["contracts"])')" = '[["CIV", 1000], ["MLI", 500]]' ] ||
	fail "balance --json: $(cat "$T_TMP/balj.out")"
[ "$(jv "$T_TMP/balj.out" 'd["total_available_units"]')" = 1500 ] || fail "total in JSON"
run balc griot orange balance --json --country mli
[ "$(jv "$T_TMP/balc.out" '[c["country"] for c in d["contracts"]]')" = '["MLI"]' ] || fail "--country filter"
# the token came from the sim once and is shared through the cache
[ "$(stat -c %a "$T_TMP/cache/token")" = 600 ] || fail "token cache mode"
[ "$(simstate 'd["tokens"]')" = 1 ] || fail "second process asked for a new token"
ok "orange balance: table, --json, --country, one token for two processes"

# ---- usage and purchases ----
run use griot orange usage --json --country MLI
expect_rc 0 "orange usage" use
[ "$(jv "$T_TMP/use.out" '[(u["country"], u["application_id"], u["usage"]) for u in d["usage"]]')" = '[["MLI", "sim-app", 0]]' ] ||
	fail "usage: $(cat "$T_TMP/use.out")"
run pur griot orange purchases
expect_rc 0 "orange purchases" pur
grep -q 'MLI  *500 ' "$T_TMP/pur.out" || fail "purchases table: $(cat "$T_TMP/pur.out")"
run purj griot orange purchases --json --country CIV
[ "$(jv "$T_TMP/purj.out" '[(p["country"], p["units"], p["currency"]) for p in d["purchase_orders"]]')" = '[["CIV", 1000, "XOF"]]' ] ||
	fail "purchases --json: $(cat "$T_TMP/purj.out")"
ok "orange usage / purchases"

# ---- token: masked unless --show ----
run tok griot orange token
expect_rc 0 "orange token" tok
has tok.out '^type: *Bearer'
griot orange token --show --json >"$T_TMP/full.json" 2>/dev/null || fail "token --show"
FULL=$(jv "$T_TMP/full.json" 'd["access_token"]' | tr -d '"')
[ ${#FULL} -ge 16 ] || fail "token --show gave '$FULL'"
hasnt tok.out "$FULL"
run tokj griot orange token --json
[ "$(jv "$T_TMP/tokj.out" 'd["masked"]')" = true ] || fail "token --json not masked"
ok "orange token: type, expiry, masked token"

# ---- credentials: missing, wrong, file mode ----
run nocred ORANGE_AUTH_HEADER= griot orange balance
expect_rc 78 "no credentials" nocred
printf '%s\n' "$AUTH" >"$T_TMP/cred"
chmod 644 "$T_TMP/cred"
run credmode ORANGE_AUTH_HEADER= ORANGE_CREDENTIALS_FILE="$T_TMP/cred" griot orange balance
expect_rc 78 "world-readable credentials file" credmode
has credmode.err "chmod 600"
chmod 600 "$T_TMP/cred"
run credok ORANGE_AUTH_HEADER= ORANGE_CREDENTIALS_FILE="$T_TMP/cred" griot -v orange balance
expect_rc 0 "0600 credentials file" credok
run badcred ORANGE_AUTH_HEADER='Basic d3Jvbmc6d3Jvbmc=' griot orange balance
expect_rc 78 "refused credentials" badcred
has badcred.err "invalid_client"
hasnt badcred.err "d3Jvbmc6d3Jvbmc"
run down ORANGE_API_BASE=http://127.0.0.1:9 griot orange balance --timeout 5
expect_rc 69 "Orange unreachable" down
ok "credentials: 78 none / mode / refused, 69 unreachable"

# ---- DR subscriptions ----
run http griot dr subscribe http://dr.example.com --sender tel:+2230000
expect_rc 64 "http:// refused" http
has http.err "https://"
run nosender griot dr subscribe https://dr.example.com
expect_rc 64 "no sender" nosender
run shortsecret GRIOT_DR_SECRET=short griot dr subscribe https://dr.example.com --sender tel:+2230000
expect_rc 78 "a secret griot receive would refuse" shortsecret
[ "$(sql 'SELECT count(*) FROM dr_subscriptions')" = 0 ] || fail "a refused subscribe left a row"

run sub GRIOT_DR_SECRET="$SECRET" griot -v dr subscribe https://dr.example.com/ --sender tel:+2230000
expect_rc 0 "dr subscribe" sub
has sub.out '/orange/dr/\*\*\*'
ID=$(sed -n 's/^subscribed  *//p' "$T_TMP/sub.out")
[ ${#ID} = 36 ] || fail "subscription id '$ID'"
[ "$(simstate 'd["subscription"]')" = "\"https://dr.example.com/orange/dr/$SECRET\"" ] ||
	fail "the sim holds $(simstate 'd["subscription"]')"
[ "$(sql "SELECT sender_address || ' ' || notify_url || ' ' || (deleted_at IS NULL) FROM dr_subscriptions WHERE id = '$ID'")" = \
	"tel:+2230000 https://dr.example.com/orange/dr/*** true" ] || fail "dr_subscriptions row: $(sql 'TABLE dr_subscriptions')"

run show GRIOT_DR_SECRET="$SECRET" griot dr show
expect_rc 0 "dr show" show
has show.out "^subscription *$ID"
has show.out '^matches *yes'
run showj GRIOT_DR_SECRET="$SECRET" griot dr show --json
[ "$(jv "$T_TMP/showj.out" '[d["id"], d["matches"], d["orange_notify_url"]]')" = \
	"[\"$ID\", true, \"https://dr.example.com/orange/dr/***\"]" ] || fail "dr show --json: $(cat "$T_TMP/showj.out")"
# a rotated secret: Orange still posts to the old path
run rot GRIOT_DR_SECRET=rotatedSecret-0123 griot dr show
expect_rc 65 "dr show with another secret" rot
has rot.err "secret path"
has rot.out '^matches *NO'
ok "dr subscribe (secret path, masked, recorded) and show (match / mismatch)"

# subscribing again replaces the recorded one, as Orange does
run sub2 GRIOT_DR_SECRET="$SECRET" griot dr subscribe https://dr2.example.com/orange/dr/$SECRET --sender tel:+2230000 --json
expect_rc 0 "second subscribe" sub2
ID2=$(jv "$T_TMP/sub2.out" 'd["id"]' | tr -d '"')
[ "$(sql "SELECT string_agg(id || ':' || (deleted_at IS NULL), ',' ORDER BY deleted_at IS NULL) FROM dr_subscriptions")" = \
	"$ID:false,$ID2:true" ] || fail "old subscription not superseded: $(sql 'TABLE dr_subscriptions')"

run unsub griot dr unsubscribe
expect_rc 0 "dr unsubscribe" unsub
has unsub.out "unsubscribed $ID2"
[ "$(sql "SELECT deleted_at IS NOT NULL FROM dr_subscriptions WHERE id = '$ID2'")" = t ] || fail "not marked deleted"
[ "$(simstate 'd["subscription"]')" = null ] || fail "the sim still has a subscription"
run gone griot dr show "$ID2"
expect_rc 65 "show a deleted subscription" gone
has gone.err "does not know subscription"
run none griot dr show
expect_rc 65 "show with nothing recorded" none
ok "dr unsubscribe; show of a deleted subscription"

# ---- a URL holding the secret is wiped from ps while griot works ----
curl -s -o /dev/null -d '{"fault_latency_ms":1500}' "$SIM_URL/_sim/config" || fail "sim config"
"$GRIOT_BIN" dr subscribe "https://dr3.example.com/orange/dr/$SECRET" --sender tel:+2230000 \
	>"$T_TMP/ps.out" 2>"$T_TMP/ps.err" &
PSPID=$!
hidden=
while kill -0 "$PSPID" 2>/dev/null; do
	args=$(tr '\0' ' ' <"/proc/$PSPID/cmdline" 2>/dev/null)
	case "$args" in *"subscribe xxxxxxxx"*) hidden=1; break ;; esac
done
wait "$PSPID" || fail "dr subscribe with the secret in the URL: $(cat "$T_TMP/ps.err")"
[ -n "$hidden" ] || fail "the URL was not hidden from ps"
curl -s -o /dev/null -d '{"fault_latency_ms":0}' "$SIM_URL/_sim/config"
cat "$T_TMP/ps.out" "$T_TMP/ps.err" >>"$OUT"
ok "a secret in the URL argument is hidden from ps"

# ---- help ----
griot orange --help | grep -q '^usage: griot orange' || fail "orange --help"
griot dr --help | grep -q '^usage: griot dr' || fail "dr --help"

# ---- no secret anywhere in what griot printed ----
for s in "$AUTH" dGVzdDp0ZXN0 "$FULL" "$SECRET" rotatedSecret-0123; do
	! grep -q -- "$s" "$OUT" || fail "secret '$s' printed: $(grep -- "$s" "$OUT" | head -3)"
done
grep -q 'debug' "$OUT" || true
ok "no authorization header, token or path secret in any output"
