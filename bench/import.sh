#!/bin/sh
# griot import vs raw `psql \copy` of the same rows into the same table
# (messages, with all its indexes), in the same run.  Prints both rows/s,
# the ratio (bar: >= 0.70) and griot's peak RSS for 1,000,000 vs 10,000
# rows (bar: < 32 MB), and, as information, the same import past a small
# cap on the de-duplication set (the spill path), whose summary must match.
# BENCH_IMPORT_ROWS / BENCH_IMPORT_RUNS / BENCH_IMPORT_SPILL_MAX override.
set -u
: "${GRIOT_BIN:?}"
ROWS=${BENCH_IMPORT_ROWS:-1000000}
RUNS=${BENCH_IMPORT_RUNS:-3}
DB=bench_import_$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/griot-bench-import-XXXXXX")
trap 'psql -qAtX -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
command -v /usr/bin/time >/dev/null || { echo "bench/import.sh: needs /usr/bin/time (package time)" >&2; exit 1; }

# A realistic French-locale export (bench/gen-recipients).
gen() { sh "$GRIOT_TOP/bench/gen-recipients" "$1"; }

psql -qAtX -d postgres -c "CREATE DATABASE $DB" >/dev/null || exit 1
export DATABASE_URL="dbname=$DB"
"$GRIOT_BIN" db migrate >/dev/null 2>&1 || { echo "migrate failed" >&2; exit 1; }
export PGOPTIONS="-c client_min_messages=warning"
q() { psql -qAtX -d "$DB" -c "$1"; }

gen "$ROWS" >"$TMP/big.csv"
gen 10000 >"$TMP/small.csv"
echo "file: $ROWS rows, $(($(wc -c <"$TMP/big.csv") / 1048576)) MiB"

# Each timed step starts from an empty, vacuumed table and a fresh
# checkpoint, so neither pays for the other's WAL.
reset_db() {
	q "TRUNCATE messages, imports, campaigns RESTART IDENTITY CASCADE" >/dev/null
	q "VACUUM ANALYZE messages" >/dev/null 2>&1
	q "CHECKPOINT" >/dev/null
}
# median of the numbers on stdin
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

: >"$TMP/griot.t"
: >"$TMP/copy.t"
: >"$TMP/rss"
i=0
while [ $i -lt "$RUNS" ]; do
	i=$((i + 1))
	reset_db
	/usr/bin/time -f "%e %M" -o "$TMP/time" "$GRIOT_BIN" -q import --campaign bench --country MLI \
		--rejects "$TMP/rejects.csv" --json "$TMP/big.csv" >"$TMP/summary.json" ||
		{ echo "griot import failed" >&2; exit 1; }
	read -r secs rss <"$TMP/time"
	imported=$(q "SELECT count(*) FROM messages")
	echo "$secs" >>"$TMP/griot.t"
	echo "$rss" >>"$TMP/rss"
	# The exact rows griot stored, for the baseline.
	q "\\copy (SELECT campaign_id, import_id, line_no, msisdn, country, fields FROM messages ORDER BY id) TO '$TMP/rows.copy'"
	q "TRUNCATE messages RESTART IDENTITY CASCADE" >/dev/null
	q "VACUUM ANALYZE messages" >/dev/null 2>&1
	q "CHECKPOINT" >/dev/null
	/usr/bin/time -f "%e %M" -o "$TMP/time" psql -qAtX -d "$DB" -c \
		"\\copy messages (campaign_id, import_id, line_no, msisdn, country, fields) FROM '$TMP/rows.copy'" ||
		{ echo "psql copy failed" >&2; exit 1; }
	read -r csecs crss <"$TMP/time"
	copied=$(q "SELECT count(*) FROM messages")
	[ "$copied" = "$imported" ] || { echo "row counts differ: $imported vs $copied" >&2; exit 1; }
	echo "$csecs" >>"$TMP/copy.t"
	printf 'run %s: griot %s s, \\copy %s s, %s rows stored, griot peak RSS %s MiB\n' \
		"$i" "$secs" "$csecs" "$imported" "$((rss / 1024))"
done
reset_db
/usr/bin/time -f "%e %M" -o "$TMP/time" "$GRIOT_BIN" -q import --campaign small --country MLI \
	--rejects "$TMP/rejects-small.csv" "$TMP/small.csv" >/dev/null || { echo "small import failed" >&2; exit 1; }
read -r ssecs srss <"$TMP/time"
# The same 1M rows past a small cap on the de-duplication set: the spill
# path (staging table, verdicts in PostgreSQL).  Shown, not a bar.
SPILL_MAX=${BENCH_IMPORT_SPILL_MAX:-200000}
reset_db
GRIOT_IMPORT_SET_MAX=$SPILL_MAX /usr/bin/time -f "%e %M" -o "$TMP/time" "$GRIOT_BIN" -q import \
	--campaign spill --country MLI --rejects "$TMP/rejects-spill.csv" --json "$TMP/big.csv" \
	>"$TMP/spill.json" || { echo "spill import failed" >&2; exit 1; }
read -r psecs prss <"$TMP/time"
for k in read imported duplicates suppressed rejected; do
	a=$(grep -o "\"$k\": [0-9]*" "$TMP/summary.json")
	b=$(grep -o "\"$k\": [0-9]*" "$TMP/spill.json")
	[ "$a" = "$b" ] || { echo "spill path: $b, in memory: $a" >&2; exit 1; }
done

g=$(median <"$TMP/griot.t")
c=$(median <"$TMP/copy.t")
rss=$(sort -n "$TMP/rss" | tail -n 1)
grep -o '"read": [0-9]*\|"imported": [0-9]*\|"duplicates": [0-9]*\|"rejected": [0-9]*' "$TMP/summary.json" | tr '\n' ' '
echo
awk -v g="$g" -v c="$c" -v n="$imported" -v rss="$rss" -v srss="$srss" -v rows="$ROWS" \
	-v ps="$psecs" -v prss="$prss" -v pmax="$SPILL_MAX" 'BEGIN {
	printf "griot import : %.2f s median, %.0f rows/s (%d rows read, %d stored)\n", g, rows / g, rows, n;
	printf "psql \\copy   : %.2f s median, %.0f rows/s (the same %d rows)\n", c, n / c, n;
	printf "ratio        : %.2f (stored rows per second, griot / \\copy; bar >= 0.70)\n", c / g;
	printf "peak RSS     : %.1f MiB for %d rows, %.1f MiB for 10000 rows (bar < 32 MiB)\n",
		rss / 1024, rows, srss / 1024;
	printf "spill path   : %.2f s, peak RSS %.1f MiB for %d rows with GRIOT_IMPORT_SET_MAX=%d (same summary)\n",
		ps, prss / 1024, rows, pmax;
	ok = (c / g >= 0.70 && rss < 32 * 1024);
	printf "%s\n", ok ? "PASS" : "BELOW THE BAR";
}'
