#!/bin/sh
# The console's security over real HTTP (tests/console/security.py): CSRF
# on every form, roles enforced server-side, a disabled user's session
# ends, throttled logins, cookie attributes, the CSP header and no inline
# script or style, uploads too large or not CSV refused with nothing
# imported.  Also the interface contract (healthz, login form, languages).
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/console.sh"

[ -x "$PY" ] || fail "$PY missing"
new_db
printf 'senders = tel:+2230000, tel:+2250000\ndefault_country = MLI\n' >"$T_TMP/griot.conf"
export GRIOT_CONFIG="$T_TMP/griot.conf"
add_user admin admin 'admin-password-1'
add_user op operator 'operator-password-1'
add_user viewer viewer 'viewer-password-1'
add_user victim operator 'victim-password-1'
# the password never goes to argv
echo 'short' | griot user add weak --role viewer --password-stdin 2>"$T_TMP/err" &&
	fail "a short password was accepted"
grep -q "at least 10" "$T_TMP/err" || fail "short password message: $(cat "$T_TMP/err")"
sql "SELECT password_hash FROM console_users WHERE name = 'op'" | grep -q '^\$argon2id\$' ||
	fail "password not stored as Argon2id"
ok "users added from the command line, Argon2id hashes"

start_console --max-upload 1
curl -sf "http://$CONSOLE_ADDR/healthz" >/dev/null || fail "healthz"
$PY "$CONSOLE_PY/security.py" "$CONSOLE_ADDR" "$T_DB" "$GRIOT_TOP/tests/data/import-xlsx.xlsx" \
	"$T_TMP/console.log" ||
	fail "security.py"

# A disabled user's session ends: from the command line too.
! grep -q 'operator-password-1\|admin-password-1\|viewer-password-1' "$T_TMP/console.log" ||
	fail "a password is in the console's log"
ok "no password in the log"

# Every message of the console has its French text, and fr.h is fr.py's.
$PY - "$GRIOT_TOP" <<'PY' || fail "French texts"
import re, subprocess, sys
top = sys.argv[1]
sys.path.insert(0, top + "/console")
from fr import FR
import glob
missing = set()
for f in glob.glob(top + "/console/*.c"):
    for m in re.finditer(r'\bT\("((?:[^"\\]|\\.)*)"\)', open(f, encoding="utf-8").read()):
        if m.group(1) not in FR:
            missing.add(m.group(1))
if missing:
    print("no French for: %r" % sorted(missing))
    sys.exit(1)
gen = subprocess.run([sys.executable, top + "/console/fr.py"], capture_output=True, text=True).stdout
if gen != open(top + "/console/fr.h", encoding="utf-8").read():
    print("console/fr.h is not what console/fr.py generates")
    sys.exit(1)
PY
ok "every console message has its French text"
stop_console
ok "console stopped cleanly on SIGTERM"
griot user totp-off viewer >/dev/null || fail "griot user totp-off"
griot user totp-off nobody 2>/dev/null; [ $? = 67 ] || fail "totp-off of an unknown user: not EX_NOUSER"
ok "griot user totp-off"
