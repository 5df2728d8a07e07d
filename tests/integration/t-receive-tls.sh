#!/bin/sh
# griot receive serving HTTPS itself (GnuTLS through libmicrohttpd) with a
# self-signed certificate made here.
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/receive.sh"

new_db
sql "INSERT INTO campaigns (name) VALUES ('c')"
sql "INSERT INTO messages (campaign_id, msisdn, country, send_status, resource_id)
     VALUES (1, '+22370000001', 'MLI', 'sent', 'tls-1')"

cert=$T_TMP/cert.pem key=$T_TMP/key.pem
if command -v openssl >/dev/null 2>&1; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$key" -out "$cert" -days 1 \
		-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || fail "openssl"
elif command -v certtool >/dev/null 2>&1; then
	certtool --generate-privkey --outfile "$key" >/dev/null 2>&1 || fail "certtool key"
	printf 'cn = localhost\nip_address = 127.0.0.1\nexpiration_days = 1\ntls_www_server\n' >"$T_TMP/tmpl"
	certtool --generate-self-signed --load-privkey "$key" --template "$T_TMP/tmpl" \
		--outfile "$cert" >/dev/null 2>&1 || fail "certtool cert"
else
	fail "neither openssl nor certtool is installed (gnutls-bin)"
fi

chmod 600 "$key"
RECV_SCHEME=https start_receiver --allow 127.0.0.1/32 --tls-cert "$cert" --tls-key "$key"
expect 200 "$(dr tls-1 tel:+22370000001 DeliveredToTerminal)" --cacert "$cert"
[ "$(sql "SELECT delivery_status FROM messages WHERE resource_id = 'tls-1'")" = DeliveredToTerminal ] ||
	fail "receipt over HTTPS not applied"
ok "receipt over HTTPS verified against the self-signed certificate, applied"

expect 000 "$(dr tls-1 tel:+22370000001 MessageWaiting)" --cacert "$cert" --interface 127.0.0.2
ok "allowlist applies over HTTPS"

# plain HTTP on the HTTPS port gets no receipt in
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary "$(dr tls-1 tel:+22370000001 MessageWaiting)" "http://$RECV_ADDR/orange/dr/$SECRET")
[ "$code" != 200 ] || fail "plain HTTP accepted on the HTTPS port"
# an untrusted certificate is refused by the client (sanity of the setup)
code=$(curl -s -o /dev/null -w '%{http_code}' "https://$RECV_ADDR/healthz")
[ "$code" = 000 ] || fail "curl trusted a self-signed cert without --cacert"
[ "$(sql "SELECT count(*) FROM delivery_receipts")" = 1 ] || fail "rows written by refused requests"
ok "plain HTTP on the TLS port refused"

# ---- protocol versions and key exchange: TLS 1.2+, forward secrecy only ----
command -v gnutls-cli >/dev/null || fail "gnutls-cli is not installed (gnutls-bin)"
port=${RECV_ADDR##*:}
# handshake PRIORITY: 0 when a TLS handshake with that client priority succeeds
handshake() {
	gnutls-cli --priority "$1" --x509cafile "$cert" -p "$port" 127.0.0.1 \
		</dev/null >"$T_TMP/hs.out" 2>&1
}
handshake "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA" || fail "TLS 1.2 ECDHE refused: $(tail -n 3 "$T_TMP/hs.out")"
handshake "NORMAL:-VERS-ALL:+VERS-TLS1.3" || fail "TLS 1.3 refused: $(tail -n 3 "$T_TMP/hs.out")"
handshake "NORMAL:-VERS-ALL:+VERS-TLS1.0:%VERIFY_ALLOW_SIGN_WITH_SHA1" && fail "TLS 1.0 handshake accepted"
handshake "NORMAL:-VERS-ALL:+VERS-TLS1.1:%VERIFY_ALLOW_SIGN_WITH_SHA1" && fail "TLS 1.1 handshake accepted"
handshake "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA" && fail "static-RSA key exchange (no forward secrecy) accepted"
ok "TLS 1.0, TLS 1.1 and static-RSA handshakes refused; TLS 1.2 ECDHE and TLS 1.3 accepted"

# ---- a key file readable by others is refused ----
chmod 644 "$key"
"$GRIOT_BIN" receive --listen 127.0.0.1:0 --secret "$SECRET" --tls-cert "$cert" --tls-key "$key" 2>"$T_TMP/err"
rc=$?
[ $rc = 78 ] && grep -q "$key.*readable by others" "$T_TMP/err" ||
	fail "a world-readable key file accepted (exit $rc): $(cat "$T_TMP/err")"
chmod 600 "$key"
ok "a key file readable by others refused (EX_NOPERM), the file named"

"$GRIOT_BIN" receive --listen 127.0.0.1:0 --secret "$SECRET" --tls-cert "$cert" 2>/dev/null
[ $? = 64 ] || fail "--tls-cert without --tls-key accepted"
"$GRIOT_BIN" receive --listen 127.0.0.1:0 --secret "$SECRET" --tls-cert "$T_TMP/none" --tls-key "$key" 2>"$T_TMP/err"
[ $? = 66 ] && grep -q "$T_TMP/none" "$T_TMP/err" || fail "missing certificate file not named (EX_NOINPUT)"
kill -TERM "$RECV_PID"; wait "$RECV_PID" || fail "exit $? after SIGTERM"
ok "bad TLS options refused with the file named; clean exit"
