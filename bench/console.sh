#!/bin/sh
# Upload-and-check of a 1,000,000-row recipient file through the console
# (HTTP multipart upload streamed into the importer, then the check page:
# counts, rejects, samples, units) against `griot import --dry-run` of the
# same file in the same run (ratio, medians), and, for context, against a
# real `griot import` (what the upload does underneath); and the console's
# peak RSS (VmHWM) over every upload: it must not grow with the file (bar
# < 64 MiB).
# BENCH_CONSOLE_ROWS / BENCH_CONSOLE_RUNS override.
set -u
: "${GRIOT_BIN:?}"
ROWS=${BENCH_CONSOLE_ROWS:-1000000}
RUNS=${BENCH_CONSOLE_RUNS:-3}
PY=/usr/bin/python3
DB=bench_console_$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/griot-bench-console-XXXXXX")
cpid=
cleanup() {
	[ -n "$cpid" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
	psql -qAtX -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
command -v /usr/bin/time >/dev/null || { echo "bench/console.sh: needs /usr/bin/time (package time)" >&2; exit 1; }

psql -qAtX -d postgres -c "CREATE DATABASE $DB" >/dev/null || exit 1
export DATABASE_URL="dbname=$DB" PGOPTIONS="-c client_min_messages=warning"
"$GRIOT_BIN" db migrate >/dev/null 2>&1 || { echo "migrate failed" >&2; exit 1; }
printf 'bench-operator-pw\n' | "$GRIOT_BIN" -q user add bench --role operator --password-stdin >/dev/null
printf 'senders = tel:+2230000\ndefault_country = MLI\n' >"$TMP/griot.conf"
export GRIOT_CONFIG="$TMP/griot.conf"
sh "$GRIOT_TOP/bench/gen-recipients" "$ROWS" >"$TMP/big.csv"
echo "file: $ROWS rows, $(($(wc -c <"$TMP/big.csv") / 1048576)) MiB"
q() { psql -qAtX -d "$DB" -c "$1"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

mkfifo "$TMP/ready"
"$GRIOT_BIN" console --listen 127.0.0.1:0 \
	--data-dir "$TMP/data" --max-upload 2048 >"$TMP/ready" 2>"$TMP/console.log" &
cpid=$!
read -r line <"$TMP/ready" || { echo "console did not start: $(cat "$TMP/console.log")" >&2; exit 1; }
addr=${line#ready }

: >"$TMP/console.t"
: >"$TMP/dry.t"
: >"$TMP/cli.t"
i=0
while [ $i -lt "$RUNS" ]; do
	i=$((i + 1))
	q "TRUNCATE messages, imports, campaigns RESTART IDENTITY CASCADE; CHECKPOINT" >/dev/null
	$PY - "$addr" "$TMP/big.csv" "bench-$i" "$GRIOT_TOP/tests/console" >"$TMP/up" <<'PY' ||
import re, sys, time
sys.path.insert(0, sys.argv[4])
from client import Client
addr, path, name = sys.argv[1:4]
c = Client(addr, "en")
assert c.login("bench", "bench-operator-pw").status == 303
r = c.post("/campaigns/new", {"csrf": c.csrf(), "name": name, "sender": "tel:+2230000",
                              "message": "Bonjour {{Prénom}}, {{Montant}} FCFA", "tz": "UTC"})
loc = r.header("Location")[0]
tok = c.csrf(loc)
data = open(path, "rb").read()
t0 = time.monotonic()
r = c.post_file(loc + "/upload", {"csrf": tok, "country": "MLI"}, "big.csv", data)
assert r.status == 303, (r.status, r.text[-500:])
t1 = time.monotonic()
page = c.get(loc).text
t = time.monotonic() - t0
n = re.search(r'id="n-imported">([^<]*)<', page).group(1)
print("%.3f %s %.3f %.3f" % (t, re.sub(r"\D", "", n), t1 - t0, t - (t1 - t0)))
PY
		{ echo "console upload failed" >&2; exit 1; }
	read -r secs imported usecs csecs <"$TMP/up"
	echo "$secs" >>"$TMP/console.t"
	/usr/bin/time -f "%e" -o "$TMP/time" "$GRIOT_BIN" -q import --campaign dry --country MLI \
		--dry-run --json "$TMP/big.csv" >"$TMP/dry.json" || { echo "dry run failed" >&2; exit 1; }
	dsecs=$(cat "$TMP/time")
	echo "$dsecs" >>"$TMP/dry.t"
	dimp=$(grep -o '"imported": [0-9]*' "$TMP/dry.json" | grep -o '[0-9]*$')
	q "TRUNCATE messages, imports, campaigns RESTART IDENTITY CASCADE; CHECKPOINT" >/dev/null
	/usr/bin/time -f "%e" -o "$TMP/time" "$GRIOT_BIN" -q import --campaign cli --country MLI \
		--rejects "$TMP/rejects.csv" "$TMP/big.csv" >/dev/null || { echo "import failed" >&2; exit 1; }
	isecs=$(cat "$TMP/time")
	echo "$isecs" >>"$TMP/cli.t"
	[ "$dimp" = "$imported" ] || { echo "imported: console $imported, dry run $dimp" >&2; exit 1; }
	printf 'run %s: console upload-and-check %s s (upload %s s, check page %s s), import --dry-run %s s, import %s s, %s rows imported\n' \
		"$i" "$secs" "$usecs" "$csecs" "$dsecs" "$isecs" "$imported"
done
# the kernel's high-water mark of the console's resident memory, in kB
rss=$(awk '$1 == "VmHWM:" { print $2 }' /proc/$cpid/status)
kill "$cpid"
wait "$cpid" 2>/dev/null
cpid=
awk -v c="$(median <"$TMP/console.t")" -v d="$(median <"$TMP/dry.t")" -v rss="$rss" -v rows="$ROWS" \
	-v im="$(median <"$TMP/cli.t")" 'BEGIN {
	printf "console upload-and-check : %.2f s median, %.0f rows/s\n", c, rows / c;
	printf "griot import --dry-run   : %.2f s median, %.0f rows/s\n", d, rows / d;
	printf "griot import             : %.2f s median, %.0f rows/s\n", im, rows / im;
	printf "ratio                    : %.2f (dry-run time / console time; 1 = as fast)\n", d / c;
	printf "ratio to a real import   : %.2f (import time / console time)\n", im / c;
	printf "console peak RSS         : %.1f MiB over every upload (bar < 64 MiB)\n", rss / 1024;
	printf "%s\n", rss < 64 * 1024 ? "PASS" : "BELOW THE BAR";
}'
