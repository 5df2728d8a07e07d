#!/bin/sh
# `make bench` part: the cost of one claim (griot_claim_candidates, sql/056)
# on a 1,000,000-message campaign whose first 500,000 rows belong to a held
# country, against the same claim with no country held, in the same run
# (issue 10, finding 2).  Also the claim rule of before (a NOT EXISTS per
# row, in id order) on the same data.  Medians of CLAIM_BENCH_RUNS claims.
# Bar: held / none within 2x.  CLAIM_BENCH_N overrides the size.
set -u
top=${GRIOT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
GRIOT_BIN=${GRIOT_BIN:-$top/build/griot}
N=${CLAIM_BENCH_N:-1000000}
RUNS=${CLAIM_BENCH_RUNS:-200}
db="bench_claim_$$"
cleanup() { psql -qAtX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; }
trap cleanup EXIT INT TERM

psql -qAtX -d postgres -c "CREATE DATABASE $db" >/dev/null || exit 1
export DATABASE_URL="dbname=$db"
"$GRIOT_BIN" db migrate >/dev/null 2>&1 || { echo "migrate failed" >&2; exit 1; }
echo "generating $N pending messages (first half in a held country)..."
psql -qX -v ON_ERROR_STOP=1 -d "$db" -v n="$N" <<'SQL' || exit 1
INSERT INTO campaigns (name, status, sender_address, template) VALUES ('c', 'running', 'tel:+2230000', 'x');
INSERT INTO messages (campaign_id, msisdn, country, body)
SELECT 1, '+' || (CASE WHEN g <= :n / 2 THEN 22370000000 ELSE 221770000000 END + g)::text,
       CASE WHEN g <= :n / 2 THEN 'MLI' ELSE 'SEN' END, 'hi'
  FROM generate_series(1, :n) g;
VACUUM ANALYZE messages;
-- median milliseconds of `runs` executions of statement `q` (each rolled back)
CREATE FUNCTION bench_ms(q text, runs int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; ms float8[] := '{}';
BEGIN
	FOR i IN 1..runs LOOP
		t0 := clock_timestamp();
		BEGIN
			EXECUTE q;
			RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'rollback';
		EXCEPTION WHEN raise_exception THEN NULL;
		END;
		ms := ms || extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
	END LOOP;
	RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(ms) x);
END $$;
SQL
new="SELECT count(*) FROM griot_claim_candidates(1, 5)"
old="SELECT count(*) FROM (SELECT m.id FROM messages m WHERE m.campaign_id = 1
      AND m.send_status = 'pending' AND m.body IS NOT NULL
      AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= now())
      AND NOT EXISTS (SELECT 1 FROM campaign_country_holds h
                      WHERE h.campaign_id = m.campaign_id AND h.country = m.country)
      AND EXISTS (SELECT 1 FROM campaigns k WHERE k.id = m.campaign_id AND k.status = 'running')
      ORDER BY m.id LIMIT 5 FOR UPDATE OF m SKIP LOCKED) x"
ms() { psql -qAtX -d "$db" -c "SELECT round(bench_ms(\$q\$$1\$q\$, $2)::numeric, 3)"; }
none=$(ms "$new" "$RUNS")
psql -qAtX -d "$db" -c "INSERT INTO campaign_country_holds VALUES (1, 'MLI', 'bench')" >/dev/null
held=$(ms "$new" "$RUNS")
before=$(ms "$old" 5)
ratio=$(awk -v a="$held" -v b="$none" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
slow=$(awk -v a="$before" -v b="$held" 'BEGIN { printf "%.0f", (b > 0 ? a / b : 0) }')
printf 'claim of 5, %s rows, none held:      %8s ms (median of %s)\n' "$N" "$none" "$RUNS"
printf 'claim of 5, half held (first):       %8s ms (median of %s)   ratio %s (bar: <= 2)\n' \
	"$held" "$RUNS" "$ratio"
printf 'claim rule before sql/056, half held: %7s ms (median of 5)   %sx the claim now\n' \
	"$before" "$slow"
awk -v r="$ratio" 'BEGIN { exit !(r <= 2) }' || { echo "claim cost depends on held rows" >&2; exit 1; }
