-- Lock keys by name only (core/status.h is the C side): dr_ingest of
-- sql/030 took the receipts lock as the literal 4720030; it now calls
-- griot_lock_receipts() of sql/055 like the trigger (sql/057) does.
-- tests/unit/test-status.c checks that no function writes a key of
-- core/status.h as a literal and that griot_lock_*() equal the C values.
-- The body is otherwise sql/030's.
CREATE OR REPLACE FUNCTION dr_ingest(p_rid text[], p_addr text[], p_status text[], p_valid boolean[],
                          p_src inet[], p_raw text[], p_at timestamptz[],
                          OUT unmatched bigint, OUT updated bigint, OUT since timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock_shared(griot_lock_receipts());
	WITH b AS (
		SELECT * FROM unnest(p_rid, p_addr, p_status, p_valid, p_src, p_raw, p_at)
			WITH ORDINALITY AS t(resource_id, address, status, valid, src, raw, received_at, ord)
	), m AS (
		SELECT b.*, msg.id AS message_id FROM b
		LEFT JOIN messages msg ON msg.resource_id = b.resource_id
	), ins AS (
		INSERT INTO delivery_receipts (received_at, resource_id, address, delivery_status,
		                               status_valid, source_addr, raw, message_id, applied_at)
		SELECT received_at, resource_id, address, status, valid, src, raw, message_id,
		       CASE WHEN message_id IS NOT NULL AND valid THEN now() END
		FROM m ORDER BY ord
	), best AS (
		SELECT DISTINCT ON (message_id) message_id, status, received_at, dr_rank(status) AS rk
		FROM m WHERE message_id IS NOT NULL AND valid AND dr_rank(status) > 0
		ORDER BY message_id, dr_rank(status) DESC, received_at, ord
	), upd AS (
		UPDATE messages SET delivery_status = best.status,
		       delivery_at = best.received_at,
		       final_at = CASE WHEN best.rk = 2 THEN best.received_at ELSE messages.final_at END,
		       updated_at = now()
		FROM best WHERE messages.id = best.message_id
		  AND (best.rk > dr_rank(messages.delivery_status)
		       OR (best.rk = dr_rank(messages.delivery_status)
		           AND best.received_at < messages.delivery_at))
		RETURNING 1
	)
	SELECT (SELECT count(*) FROM m WHERE message_id IS NULL),
	       (SELECT count(*) FROM upd),
	       (SELECT min(received_at) FROM m WHERE message_id IS NULL)
	INTO unmatched, updated, since;
END
$$;
