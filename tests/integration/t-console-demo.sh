#!/bin/sh
# `make console` (scripts/console): the demo's set-up with the console in
# the foreground prints its URL and a demo login that works, the sample
# campaign is listed, and Ctrl-C (SIGINT to the process group) stops every
# process it started.
. "$(dirname "$0")/../lib/lib.sh"
. "$GRIOT_TOP/tests/lib/console.sh"

command -v setsid >/dev/null || fail "setsid missing"
CONSOLE_LISTEN=127.0.0.1:0 BUILD=$(basename "${GRIOT_BUILD:-build}") \
	setsid sh "$GRIOT_TOP/scripts/console" >"$T_TMP/out" 2>&1 &
pid=$!
i=0
until grep -q "Ctrl-C stops everything" "$T_TMP/out"; do
	kill -0 $pid 2>/dev/null || fail "scripts/console ended: $(cat "$T_TMP/out")"
	i=$((i + 1))
	[ $i -lt 600 ] || { kill -INT -$pid; fail "no banner after 60 s: $(cat "$T_TMP/out")"; }
	sleep 0.1
done
url=$(sed -n 's|.*griot console: *\(http://[0-9.:]*\)/ .*|\1|p' "$T_TMP/out")
pw=$(sed -n 's|.*demo login: *demo / \([0-9a-f]*\) .*|\1|p' "$T_TMP/out")
[ -n "$url" ] && [ -n "$pw" ] || { kill -INT -$pid; fail "URL or login not printed: $(cat "$T_TMP/out")"; }
run=$GRIOT_TOP/var/console-demo
ps -eo pid,pgid,args | awk -v g=$pid '$2 == g' >"$T_TMP/procs"
grep -q "orange-sim" "$T_TMP/procs" && grep -q "griot receive" "$T_TMP/procs" &&
	grep -q "griot console" "$T_TMP/procs" || { kill -INT -$pid; fail "processes: $(cat "$T_TMP/procs")"; }
$PY - "${url#http://}" "$pw" "$CONSOLE_PY" <<'PY' || { kill -INT -$pid; fail "demo login"; }
import sys
sys.path.insert(0, sys.argv[3])
from client import Client
c = Client(sys.argv[1], "fr")
r = c.login("demo", sys.argv[2])
assert r.status == 303, r.status
page = c.get("/campaigns").text
assert "demo-novembre" in page, page[-500:]
print("ok: demo login works, the sample campaign is listed")
PY
kill -INT -$pid
i=0
while kill -0 $pid 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "scripts/console still running 30 s after Ctrl-C"
	sleep 0.1
done
i=0
while [ -n "$(ps -eo pgid= | awk -v g=$pid '$1 == g')" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "left running: $(ps -eo pid,pgid,args | awk -v g=$pid '$2 == g')"
	sleep 0.1
done
grep -q "console demo stopped" "$T_TMP/out" || fail "no stop message"
ok "Ctrl-C stopped everything scripts/console started"
