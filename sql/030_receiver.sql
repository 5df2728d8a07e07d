-- Delivery receipts: precedence, late matching, reconciliation of
-- 'unknown' messages, orphans.  See docs/statuses.md ("Receipt rules").
--
-- Concurrency: a receipt and the resource_id it names may be committed by
-- two transactions at the same time (receiver, sender), each blind to the
-- other's uncommitted row.  Advisory lock 4720030 closes that window: the
-- receiver's writers hold it shared for each batch (they run side by
-- side), the trigger below takes it exclusively before looking for
-- receipts (it waits for batches in flight; new batches wait for it), so
-- one of the two always sees the other's committed row.  The receiver
-- reconciles 'unknown' messages under the exclusive lock too.

-- 0 none, 1 MessageWaiting, 2 final.  Anything else ranks 0 (never applied).
CREATE FUNCTION dr_rank(s text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE
		WHEN s = 'MessageWaiting' THEN 1
		WHEN s IN ('DeliveredToNetwork', 'DeliveredToTerminal',
			   'DeliveryUncertain', 'DeliveryImpossible') THEN 2
		ELSE 0
	END
$$;

-- Receipts update messages rows in place (delivery_status, delivery_at,
-- final_at, updated_at: no indexed column): room left on each page lets
-- PostgreSQL do that as a HOT update, without touching the indexes.
-- Measured: about 25% more receipts per second per batch.  Applies to
-- rows inserted from now on.
ALTER TABLE messages SET (fillfactor = 80);

-- delivery_receipts is an append-only log: deleting a campaign must not
-- rewrite it (ON DELETE SET NULL would also make its receipts look
-- orphaned), and a per-row foreign-key check costs about 15% of a batch.
-- message_id keeps the id it matched (bigserial ids are never reused);
-- joins simply find no message once it is deleted.
ALTER TABLE delivery_receipts DROP CONSTRAINT delivery_receipts_message_id_fkey;

-- Only unmatched receipts are ever looked up by resource_id (the late
-- match in dr_apply_pending); a matched one is found through its message.
-- The full index from 001 cost every batch an extra text B-tree insert
-- per receipt (about 10% of the database's CPU per receipt, measured);
-- the partial one stays empty while receipts match as they arrive.
-- (reporter/ only counts orphans: message_id IS NULL by received_at,
-- delivery_receipts_unmatched.)
DROP INDEX delivery_receipts_resource;
CREATE INDEX delivery_receipts_resource ON delivery_receipts (resource_id)
	WHERE message_id IS NULL;

-- Unmatched receipts looked up by number (reconciling 'unknown' messages).
CREATE INDEX delivery_receipts_unmatched_addr ON delivery_receipts (address, received_at)
	WHERE message_id IS NULL;

-- Apply every unmatched receipt naming rid to message msg: the best one
-- (highest rank, then earliest) wins if it beats the current status.
CREATE FUNCTION dr_apply_pending(msg bigint, rid text) RETURNS void
LANGUAGE sql AS $$
	WITH r AS (
		UPDATE delivery_receipts
		SET message_id = msg,
		    applied_at = CASE WHEN status_valid THEN now() END
		WHERE resource_id = rid AND message_id IS NULL
		RETURNING id, delivery_status, status_valid, received_at
	), best AS (
		SELECT delivery_status, received_at, dr_rank(delivery_status) AS rk
		FROM r WHERE status_valid AND dr_rank(delivery_status) > 0
		ORDER BY rk DESC, received_at, id
		LIMIT 1
	)
	UPDATE messages m
	SET delivery_status = best.delivery_status,
	    delivery_at = best.received_at,
	    final_at = CASE WHEN best.rk = 2 THEN best.received_at ELSE m.final_at END,
	    updated_at = now()
	FROM best
	WHERE m.id = msg
	  AND (best.rk > dr_rank(m.delivery_status)
	       OR (best.rk = dr_rank(m.delivery_status) AND best.received_at < m.delivery_at))
$$;

-- A message in 'unknown' (sender crashed mid-request): the earliest
-- unmatched receipt for its number within 24 h after sending_at, whose
-- resource_id belongs to no message, gives it its resource_id.  Setting
-- resource_id fires messages_dr_match, which applies the receipts.
CREATE FUNCTION dr_reconcile_message(msg bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	m messages%ROWTYPE;
	rid text;
BEGIN
	SELECT * INTO m FROM messages WHERE id = msg;
	IF NOT FOUND OR m.send_status <> 'unknown' OR m.resource_id IS NOT NULL
	   OR m.sending_at IS NULL THEN
		RETURN false;
	END IF;
	SELECT r.resource_id INTO rid
	FROM delivery_receipts r
	WHERE r.message_id IS NULL
	  AND r.address = 'tel:' || m.msisdn
	  AND r.received_at >= m.sending_at
	  AND r.received_at <= m.sending_at + interval '24 hours'
	  AND r.resource_id IS NOT NULL
	  AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.resource_id = r.resource_id)
	ORDER BY r.received_at, r.id
	LIMIT 1;
	IF rid IS NULL THEN
		RETURN false;
	END IF;
	UPDATE messages
	SET resource_id = rid, send_status = 'sent',
	    sent_at = coalesce(sent_at, sending_at),
	    last_error = NULL, updated_at = now()
	WHERE id = msg;
	RETURN true;
END
$$;

-- Called by the receiver after a batch left receipts unmatched: reconcile
-- the 'unknown' messages whose number and time window fit them.
CREATE FUNCTION dr_reconcile_unknown(since timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	c record;
	n integer := 0;
BEGIN
	FOR c IN
		SELECT DISTINCT m.id
		FROM delivery_receipts r
		JOIN messages m ON m.send_status = 'unknown' AND m.resource_id IS NULL
		     AND m.msisdn = substr(r.address, 5)
		     AND m.sending_at <= r.received_at
		     AND m.sending_at >= r.received_at - interval '24 hours'
		WHERE r.message_id IS NULL AND r.received_at >= since
		ORDER BY m.id
	LOOP
		IF dr_reconcile_message(c.id) THEN
			n := n + 1;
		END IF;
	END LOOP;
	RETURN n;
END
$$;

CREATE FUNCTION messages_dr_match() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(4720030);
	IF NEW.resource_id IS NOT NULL AND
	   (TG_OP = 'INSERT' OR NEW.resource_id IS DISTINCT FROM OLD.resource_id) THEN
		-- one index lookup on delivery_receipts_resource (partial)
		PERFORM dr_apply_pending(NEW.id, NEW.resource_id);
	ELSIF NEW.send_status = 'unknown' AND NEW.resource_id IS NULL THEN
		PERFORM dr_reconcile_message(NEW.id);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER messages_dr_match_ins AFTER INSERT ON messages
	FOR EACH ROW WHEN (NEW.resource_id IS NOT NULL OR NEW.send_status = 'unknown')
	EXECUTE FUNCTION messages_dr_match();
CREATE TRIGGER messages_dr_match_upd AFTER UPDATE OF resource_id, send_status ON messages
	FOR EACH ROW WHEN ((NEW.resource_id IS NOT NULL AND NEW.resource_id IS DISTINCT FROM OLD.resource_id)
	                   OR (NEW.send_status = 'unknown' AND OLD.send_status <> 'unknown'))
	EXECUTE FUNCTION messages_dr_match();

-- The receiver's batch: insert every receipt, apply the best one per
-- message (highest rank, then earliest), all set-based.  Called as one
-- statement in its own transaction, so a batch costs one round trip and
-- one commit.  Returns how many rows matched no message yet and the
-- earliest of them (to reconcile 'unknown' messages), and how many
-- messages changed.
CREATE FUNCTION dr_ingest(p_rid text[], p_addr text[], p_status text[], p_valid boolean[],
                          p_src inet[], p_raw text[], p_at timestamptz[],
                          OUT unmatched bigint, OUT updated bigint, OUT since timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock_shared(4720030);
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

-- Receipts that never matched a message within 24 hours (for reports).
CREATE VIEW orphaned_receipts AS
	SELECT id, received_at, resource_id, address, delivery_status,
	       status_valid, source_addr, raw
	FROM delivery_receipts
	WHERE message_id IS NULL AND received_at < now() - interval '24 hours';
