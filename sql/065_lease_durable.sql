-- A sender's lease must be on disk before the sender is answered: it
-- starts requests for slots up to the lease it was answered, and recovery
-- (sql/060) sends a dead sender's row back to pending only beyond the
-- lease it finds.  A lease lost in a crash would let recovery resend what
-- had already left.  The sender's session commits with synchronous_commit
-- off (its other writes may be lost harmlessly: a lost 'sent' leaves the
-- row 'sending', recovered as unknown), so the transaction that extends
-- the lease waits for the disk itself, as griot_claim does: the answer
-- recording that carries it, or the lease chore.  Same contract as in
-- sql/050: extend instance p_id's lease to p_ahead seconds from now (never
-- shorten it), record its clock error, return the lease end (epoch s).
CREATE OR REPLACE FUNCTION griot_sender_lease(p_id text, p_ahead double precision,
                                              p_clock_error double precision)
RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
	lease double precision;
BEGIN
	PERFORM set_config('synchronous_commit', 'on', true);
	INSERT INTO sender_instances AS s (id, started_until, clock_error)
	VALUES (p_id, clock_timestamp() + p_ahead * interval '1 second', p_clock_error)
	ON CONFLICT (id) DO UPDATE
	   SET started_until = greatest(s.started_until, EXCLUDED.started_until),
	       clock_error = EXCLUDED.clock_error, updated_at = now()
	RETURNING extract(epoch from started_until)::float8 INTO lease;
	RETURN lease;
END $$;
