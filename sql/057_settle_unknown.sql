-- Settling an 'unknown' message from a receipt to the same number
-- (issue 10, finding 4).  Orange posts the receipts of every application
-- of the account to one URL, and a receipt may arrive before the sender
-- recorded the resource id it names; matching by number and time alone
-- settled other campaigns' (or applications') messages.  A receipt now
-- settles an 'unknown' message only when the inference is unique:
--   * it is the only resource id among the unmatched receipts to that
--     number within 24 h after the message's slot (several receipts of one
--     message share it), and that id belongs to no message;
--   * no other message to that number is 'sending' (its receipt may be
--     this one: its id is not recorded yet) or 'unknown' within 24 h of it;
-- and the message is marked settled_by_inference (reports count them).
-- The unique index on resource_id stays the last guard: if the sender
-- records the same id meanwhile, the settling gives way.
--
-- Locking: the settling step takes no advisory lock.  It locks the one
-- message it settles (SKIP LOCKED: a message another transaction is
-- changing is left to the trigger that change fires); setting its
-- resource_id fires messages_dr_match, which takes the receipts lock
-- (griot_lock_receipts) as every resource-id writer does.  Before, the
-- receiver held that lock exclusively while settling and waited for row
-- locks held by transactions waiting for the same lock: a deadlock.

ALTER TABLE messages ADD COLUMN settled_by_inference boolean NOT NULL DEFAULT false;

-- Messages to a number that are in flight or unknown: the uniqueness test.
CREATE INDEX messages_msisdn_unsettled ON messages (msisdn)
	WHERE send_status IN ('sending', 'unknown');

CREATE OR REPLACE FUNCTION dr_reconcile_message(msg bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	m messages%ROWTYPE;
	rids text[];
BEGIN
	SELECT * INTO m FROM messages WHERE id = msg FOR UPDATE SKIP LOCKED;
	IF NOT FOUND OR m.send_status <> 'unknown' OR m.resource_id IS NOT NULL
	   OR m.sending_at IS NULL THEN
		RETURN false;
	END IF;
	IF EXISTS (SELECT 1 FROM messages x
	            WHERE x.msisdn = m.msisdn AND x.id <> m.id
	              AND x.send_status IN ('sending', 'unknown')
	              AND (x.send_status = 'sending'
	                   OR (x.resource_id IS NULL
	                       AND x.sending_at BETWEEN m.sending_at - interval '24 hours'
	                                            AND m.sending_at + interval '24 hours'))) THEN
		RETURN false;
	END IF;
	SELECT array_agg(DISTINCT r.resource_id) INTO rids
	  FROM delivery_receipts r
	 WHERE r.message_id IS NULL
	   AND r.address = 'tel:' || m.msisdn
	   AND r.received_at >= m.sending_at
	   AND r.received_at <= m.sending_at + interval '24 hours'
	   AND r.resource_id IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM messages x WHERE x.resource_id = r.resource_id);
	IF coalesce(cardinality(rids), 0) <> 1 THEN
		RETURN false;
	END IF;
	BEGIN
		UPDATE messages
		   SET resource_id = rids[1], send_status = 'sent',
		       sent_at = coalesce(sent_at, sending_at), settled_by_inference = true,
		       last_error = NULL, updated_at = now()
		 WHERE id = msg;
	EXCEPTION WHEN unique_violation THEN
		RETURN false;   -- its true owner recorded that id meanwhile
	END;
	RETURN true;
END
$$;

-- The receiver's settling step, after a batch left receipts unmatched:
-- try the 'unknown' messages whose number and time fit them.
CREATE OR REPLACE FUNCTION dr_reconcile_unknown(since timestamptz) RETURNS integer
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

-- The receipts lock, by its name (core/status.h LOCK_KEY_RECEIPTS).
CREATE OR REPLACE FUNCTION messages_dr_match() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock(griot_lock_receipts());
	IF NEW.resource_id IS NOT NULL AND
	   (TG_OP = 'INSERT' OR NEW.resource_id IS DISTINCT FROM OLD.resource_id) THEN
		PERFORM dr_apply_pending(NEW.id, NEW.resource_id);
	ELSIF NEW.send_status = 'unknown' AND NEW.resource_id IS NULL THEN
		PERFORM dr_reconcile_message(NEW.id);
	END IF;
	RETURN NULL;
END
$$;

-- Messages settled by inference in a report's scope (docs/reports.md).
CREATE FUNCTION report_inferred(p_campaign text, p_since timestamptz,
				p_until timestamptz, p_country text)
RETURNS bigint LANGUAGE sql STABLE AS $$
	SELECT count(*) FROM report_scope(p_campaign, p_since, p_until, p_country) s
	  JOIN messages m ON m.id = s.id
	 WHERE m.settled_by_inference
$$;
