#!/bin/sh
# `make bench` part: the HTML report of a 1,000,000-message campaign
# against PostgreSQL itself running the report's main aggregation query
# (report_delivery() from sql/040_report.sql) on the same data, in the
# same run.  Several runs each, medians, ratio.  Bar: within 3x.
# REPORT_BENCH_N overrides the size, REPORT_BENCH_RUNS the run count.
set -u
top=${GRIOT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
GRIOT_BIN=${GRIOT_BIN:-$top/build/griot}
N=${REPORT_BENCH_N:-1000000}
RUNS=${REPORT_BENCH_RUNS:-5}
NOW='2024-05-03 12:00:00+00'
db="bench_report_$$"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/griot-bench-report-XXXXXX")
cleanup() {
	psql -qAtX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

psql -qAtX -d postgres -c "CREATE DATABASE $db" >/dev/null || exit 1
export DATABASE_URL="dbname=$db"
"$GRIOT_BIN" db migrate >/dev/null 2>&1 || { echo "migrate failed" >&2; exit 1; }

echo "generating $N messages (status mix, three countries, receipts)..."
t0=$(date +%s)
psql -qX -v ON_ERROR_STOP=1 -d "$db" -v n="$N" <<'SQL' || exit 1
INSERT INTO campaigns (name, status, start_at) VALUES ('bench-1m', 'done', '2024-05-01 22:00:00+00');
-- 2 % refused, 0.5 % unknown; of the rest 80 % to the phone, 8 % to the
-- network, 3 % uncertain, 4 % impossible, 2 % waiting, 3 % no receipt;
-- one message in 11 takes two SMS; latencies 2 s to 10 min.
INSERT INTO messages (campaign_id, msisdn, country, fields, segments, encoding, send_status,
		      resource_id, sending_at, sent_at, last_error, delivery_status, delivery_at, final_at)
SELECT c.id,
       '+' || (CASE WHEN g % 10 < 5 THEN 22370000000 WHEN g % 10 < 8 THEN 2250700000000
                    ELSE 221770000000 END + g)::text,
       CASE WHEN g % 10 < 5 THEN 'MLI' WHEN g % 10 < 8 THEN 'CIV' ELSE 'SEN' END,
       jsonb_build_object('prenom', 'P' || g, 'ville', 'Bamako'),
       CASE WHEN g % 11 = 0 THEN 2 ELSE 1 END, 'GSM7', s.st,
       CASE WHEN s.st = 'sent' THEN 'r-' || g END,
       t.ts, CASE WHEN s.st = 'sent' THEN t.ts END,
       CASE WHEN s.st = 'failed' THEN (ARRAY['400 invalid address', '403 policy: expired',
                                             '400 sender name'])[1 + g % 3]
            WHEN s.st = 'unknown' THEN 'timeout after send' END,
       d.ds,
       CASE WHEN d.ds IS NOT NULL THEN t.ts + d.lat END,
       CASE WHEN d.ds IS NOT NULL AND d.ds <> 'MessageWaiting' THEN t.ts + d.lat END
FROM campaigns c, generate_series(1::bigint, :n) g,
     LATERAL (SELECT CASE WHEN g % 1000 < 20 THEN 'failed' WHEN g % 1000 < 25 THEN 'unknown'
                          ELSE 'sent' END AS st) s,
     LATERAL (SELECT timestamptz '2024-05-01 22:00:00+00' + (g * interval '10 ms') AS ts) t,
     LATERAL (SELECT CASE WHEN s.st <> 'sent' THEN NULL
                          WHEN g % 100 < 80 THEN 'DeliveredToTerminal'
                          WHEN g % 100 < 88 THEN 'DeliveredToNetwork'
                          WHEN g % 100 < 91 THEN 'DeliveryUncertain'
                          WHEN g % 100 < 95 THEN 'DeliveryImpossible'
                          WHEN g % 100 < 97 THEN 'MessageWaiting' END AS ds,
                     ((g * 7919) % 600 + 2) * interval '1 s' AS lat) d
WHERE c.name = 'bench-1m';
INSERT INTO delivery_receipts (received_at, resource_id, address, delivery_status, raw, message_id, applied_at)
SELECT delivery_at, resource_id, 'tel:' || msisdn, delivery_status, '{}', id, delivery_at
FROM messages WHERE delivery_status IS NOT NULL;
VACUUM ANALYZE messages;
VACUUM ANALYZE delivery_receipts;
SQL
echo "generated in $(( $(date +%s) - t0 )) s"

now_ms() { date +%s%N | awk '{printf "%.1f", $1 / 1000000}'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

: >"$tmp/griot.ms"
: >"$tmp/pg.ms"
i=0
while [ $i -lt "$RUNS" ]; do
	i=$((i + 1))
	# PostgreSQL alone: the main aggregation, rows discarded by psql.
	psql -qX -d "$db" >"$tmp/psql.out" 2>&1 <<SQL
\timing on
SELECT * FROM report_delivery('bench-1m', NULL, NULL, NULL, '$NOW') \g /dev/null
SQL
	awk '/^Time:/ {print $2}' "$tmp/psql.out" >>"$tmp/pg.ms"
	# griot: the whole report (every query, rendering, the file).
	a=$(now_ms)
	"$GRIOT_BIN" -q report --campaign bench-1m --now "$NOW" --offline --format html \
		-o "$tmp/report.html" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	b=$(now_ms)
	echo "$a $b" | awk '{printf "%.1f\n", $2 - $1}' >>"$tmp/griot.ms"
done
grep -q 'bench-1m' "$tmp/report.html" || { echo "report does not name the campaign" >&2; exit 1; }
grep -q '1&#160;000&#160;000' "$tmp/report.html" || [ "$N" != 1000000 ] ||
	{ echo "report does not show 1 000 000 messages" >&2; exit 1; }

pg=$(median <"$tmp/pg.ms")
gr=$(median <"$tmp/griot.ms")
ratio=$(echo "$gr $pg" | awk '{printf "%.2f", $1 / $2}')
echo "runs: $RUNS, messages: $N"
echo "  postgres, main aggregation (report_delivery): median $pg ms  [$(tr '\n' ' ' <"$tmp/pg.ms")]"
echo "  griot report --format html (whole report):    median $gr ms  [$(tr '\n' ' ' <"$tmp/griot.ms")]"
echo "  ratio griot / postgres: ${ratio}x (bar: within 3x)"
echo "$ratio" | awk '{exit !($1 <= 3)}' || { echo "report: over the 3x bar" >&2; exit 1; }
