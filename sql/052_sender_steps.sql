-- The sender's rate rules and its recovery in one round trip
-- (campaign/sender.c; issue 10, "Behaviour wanted": 4.9/s at the 5/s cap
-- with PostgreSQL 50 ms away).

-- How long after its slot a request may still leave (seconds), else it is
-- released: half of the margin the spacing leaves (rate+1 consecutive
-- slots span griot_rate_spacing(rate) * rate seconds, a little more than
-- the one-second window of the limit), the other half is for the path to
-- Orange (arrival jitter).  5/s: 6 ms of the 12 ms margin.  Defined once:
-- the sender reads it with the spacing.
CREATE FUNCTION griot_late_tolerance(p_rate double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT (griot_rate_spacing(p_rate) * p_rate - 1) / 2
$$;

-- Recover the rows of every dead sender, in one statement: an owner of
-- 'sending' rows other than p_self whose liveness lock (griot_lock_sender,
-- hashtext(id)) is free is dead; its rows go through
-- griot_recover_instance(owner) (sql/060, whatever the order the
-- migrations were applied in: the call is resolved when it runs) while
-- this session holds that lock.  One row per recovered owner.  (It was one round trip per owner
-- and per lock: 300 ms with two peers 50 ms away, during which the lease
-- on starting requests could run out.)
CREATE FUNCTION griot_recover_dead(p_self text)
RETURNS TABLE (owner text, to_pending bigint, to_unknown bigint)
LANGUAGE plpgsql AS $$
DECLARE
	o text;
BEGIN
	FOR o IN SELECT DISTINCT m.claimed_by FROM messages m
	          WHERE m.send_status = 'sending' AND m.claimed_by IS NOT NULL
	            AND m.claimed_by <> p_self LOOP
		CONTINUE WHEN NOT pg_try_advisory_lock(griot_lock_sender(), hashtext(o));
		BEGIN
			SELECT r.to_pending, r.to_unknown INTO to_pending, to_unknown
			  FROM griot_recover_instance(o) r;
		EXCEPTION WHEN OTHERS THEN
			-- a session lock outlives the rollback: give it back
			PERFORM pg_advisory_unlock(griot_lock_sender(), hashtext(o));
			RAISE;
		END;
		PERFORM pg_advisory_unlock(griot_lock_sender(), hashtext(o));
		owner := o;
		RETURN NEXT;
	END LOOP;
END $$;
