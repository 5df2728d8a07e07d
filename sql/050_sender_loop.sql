-- The sender's statements (campaign/sender.c): one shared limiter whose
-- row owns the spacing, the claim in one round trip, the lease on starting
-- requests, the recording of Orange's answers, and crash recovery.

-- Slot spacing for a rate: margin/rate.  A request leaves at most a small
-- tolerance after its slot (else it is released), so any rate+1 consecutive
-- sends span at least margin - tolerance seconds.  Low rates (the 5/s
-- contract) keep the margin thin to come close to the limit; high rates
-- trade a little speed for room between slots.  Defined once: C reads it.
CREATE FUNCTION griot_rate_spacing(p_rate double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT (CASE WHEN p_rate > 20 THEN 1.04 ELSE 1.012 END) / p_rate
$$;

-- The longest pause a 429's Retry-After may put on a shared limiter.
CREATE FUNCTION griot_retry_after_max() RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 60.0::float8 $$;

-- Book p_k consecutive slots on limiter p_name, spaced by the limiter's
-- own rate (so every sender of a limiter uses the same spacing), the first
-- no earlier than p_lead seconds from now.  NULL first when p_k < 1.
CREATE FUNCTION griot_book(p_name text, p_k integer, p_lead double precision,
                           OUT first timestamptz, OUT spacing double precision)
LANGUAGE plpgsql AS $$
BEGIN
	SELECT griot_rate_spacing(rate) INTO spacing FROM send_rate WHERE name = p_name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no send_rate row named %', p_name;
	END IF;
	IF p_k < 1 THEN
		RETURN;
	END IF;
	UPDATE send_rate
	   SET next_slot = greatest(next_slot, clock_timestamp() + p_lead * interval '1 second')
	                   + p_k * spacing * interval '1 second',
	       updated_at = now()
	 WHERE name = p_name
	RETURNING next_slot - p_k * spacing * interval '1 second' INTO first;
END $$;

-- After a 429: nobody books a slot on p_name before p_seconds from now,
-- capped at griot_retry_after_max() so that one huge Retry-After cannot
-- hold every sender for good.  Returns the pause applied.
DROP FUNCTION griot_rate_backoff(text, double precision);
CREATE FUNCTION griot_rate_backoff(p_name text, p_seconds double precision)
RETURNS double precision LANGUAGE sql AS $$
	UPDATE send_rate
	   SET next_slot = greatest(next_slot, clock_timestamp()
	                   + least(greatest(p_seconds, 0), griot_retry_after_max()) * interval '1 second'),
	       updated_at = now()
	 WHERE name = p_name
	RETURNING least(greatest(p_seconds, 0), griot_retry_after_max());
$$;

-- A limiter for a rate: the row p_name must exist with rate p_rate, or
-- is created with it.  A different rate on an existing row is refused: two
-- spacings on one row would let senders crowd each other's slots.
CREATE FUNCTION griot_limiter_for(p_name text, p_rate double precision)
RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
	r double precision;
BEGIN
	INSERT INTO send_rate (name, rate) VALUES (p_name, p_rate) ON CONFLICT DO NOTHING;
	SELECT rate INTO r FROM send_rate WHERE name = p_name;
	IF r <> p_rate THEN
		RAISE EXCEPTION 'limiter % has rate %/s, not %/s: use another limiter name', p_name, r, p_rate
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN griot_rate_spacing(r);
END $$;

-- Live sender instances.  started_until is the lease on starting requests:
-- an instance never starts the request of a row whose slot is later than
-- the started_until it has committed, so after its death such rows are
-- provably unsent.  clock_error is its measured uncertainty (seconds) when
-- it maps slots (PostgreSQL's clock) onto its own clock: recovery needs a
-- margin larger than it.
CREATE TABLE sender_instances (
	id              text PRIMARY KEY,
	started_until   timestamptz NOT NULL DEFAULT '-infinity',
	clock_error     double precision NOT NULL DEFAULT 1,
	started_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Extend instance p_id's lease to p_ahead seconds from now (never shorten
-- it) and record its clock error; returns the lease end (epoch seconds).
CREATE FUNCTION griot_sender_lease(p_id text, p_ahead double precision,
                                   p_clock_error double precision)
RETURNS double precision LANGUAGE sql AS $$
	INSERT INTO sender_instances AS s (id, started_until, clock_error)
	VALUES (p_id, clock_timestamp() + p_ahead * interval '1 second', p_clock_error)
	ON CONFLICT (id) DO UPDATE
	   SET started_until = greatest(s.started_until, EXCLUDED.started_until),
	       clock_error = EXCLUDED.clock_error, updated_at = now()
	RETURNING extract(epoch from started_until)::float8;
$$;

-- The rows a claim takes come from griot_claim_candidates(campaign, k)
-- (sql/056: the campaign rules of what may be sent now, locked SKIP
-- LOCKED); the sender decides how many and when.

-- The claim, in one round trip and one durable commit (the one write that
-- must survive a crash before any request leaves: a lost 'sending' could
-- mean a second send): up to p_k rows of p_campaign become 'sending' for
-- instance p_instance, each with its slot booked on limiter p_limiter at
-- least p_lead seconds ahead.  Also extends the instance's lease by
-- p_lease seconds.  Returns the rows, slot and lease as epoch seconds.
CREATE FUNCTION griot_claim(p_campaign bigint, p_k integer, p_limiter text,
                            p_lead double precision, p_instance text,
                            p_lease double precision, p_clock_error double precision)
RETURNS TABLE (id bigint, msisdn text, country text, body text, attempts integer,
               slot double precision, started_until double precision)
LANGUAGE plpgsql AS $$
DECLARE
	ids bigint[];
	b record;
	lease double precision;
BEGIN
	PERFORM set_config('synchronous_commit', 'on', true);
	ids := ARRAY(SELECT griot_claim_candidates(p_campaign, p_k));
	IF cardinality(ids) = 0 THEN
		RETURN;
	END IF;
	b := griot_book(p_limiter, cardinality(ids), p_lead);
	lease := griot_sender_lease(p_instance, p_lease, p_clock_error);
	RETURN QUERY
	UPDATE messages m
	   SET send_status = 'sending', claimed_by = p_instance, attempts = m.attempts + 1,
	       next_attempt_at = NULL, updated_at = now(),
	       sending_at = b.first + (o.i - 1) * b.spacing * interval '1 second'
	  FROM unnest(ids) WITH ORDINALITY AS o(id, i)
	 WHERE m.id = o.id
	RETURNING m.id, m.msisdn, m.country::text, m.body, m.attempts,
	          extract(epoch from m.sending_at)::float8, lease;
END $$;

-- Record Orange's answers for instance p_instance: one element per row in
-- each array (status, resource id, error, retry delay in seconds, change
-- of the attempt count, time Orange answered as epoch seconds).  Only rows
-- still 'sending' for this instance change.  A resource id already on
-- another row (unique violation) never loses the batch: that row is
-- recorded with its status and the clash in last_error.  Also extends the
-- lease.  Returns how many rows were recorded and the lease end (epoch).
CREATE FUNCTION griot_record_answers(p_instance text, p_ids bigint[], p_status text[],
                                     p_rids text[], p_errors text[], p_delays float8[],
                                     p_attempts int[], p_answered float8[],
                                     p_lease double precision, p_clock_error double precision,
                                     OUT recorded integer, OUT started_until double precision)
LANGUAGE plpgsql AS $$
DECLARE
	n integer := 0;
	k integer;
	a record;
BEGIN
	started_until := griot_sender_lease(p_instance, p_lease, p_clock_error);
	BEGIN
		UPDATE messages m SET send_status = v.st,
		       resource_id = coalesce(v.rid, m.resource_id),
		       sent_at = CASE WHEN v.st = 'sent' THEN to_timestamp(v.at) ELSE m.sent_at END,
		       last_error = CASE WHEN v.st = 'sent' THEN NULL ELSE coalesce(v.err, m.last_error) END,
		       next_attempt_at = CASE WHEN v.st = 'pending' AND v.d > 0
		                         THEN now() + v.d * interval '1 second' ELSE NULL END,
		       attempts = greatest(m.attempts + v.ad, 0),
		       claimed_by = CASE WHEN v.st = 'pending' THEN NULL ELSE m.claimed_by END,
		       sending_at = CASE WHEN v.st = 'pending' THEN NULL ELSE m.sending_at END,
		       updated_at = now()
		  FROM unnest(p_ids, p_status, p_rids, p_errors, p_delays, p_attempts, p_answered)
		       AS v(id, st, rid, err, d, ad, at)
		 WHERE m.id = v.id AND m.claimed_by = p_instance AND m.send_status = 'sending';
		GET DIAGNOSTICS recorded = ROW_COUNT;
		RETURN;
	EXCEPTION WHEN unique_violation THEN
		n := 0;   -- the batch was rolled back to here: row by row
	END;
	FOR a IN SELECT * FROM unnest(p_ids, p_status, p_rids, p_errors, p_delays, p_attempts,
	                               p_answered) AS x(id, st, rid, err, d, ad, at) LOOP
		BEGIN
			UPDATE messages m SET send_status = a.st,
			       resource_id = coalesce(a.rid, m.resource_id),
			       sent_at = CASE WHEN a.st = 'sent' THEN to_timestamp(a.at) ELSE m.sent_at END,
			       last_error = CASE WHEN a.st = 'sent' THEN NULL ELSE coalesce(a.err, m.last_error) END,
			       next_attempt_at = CASE WHEN a.st = 'pending' AND a.d > 0
			                         THEN now() + a.d * interval '1 second' ELSE NULL END,
			       attempts = greatest(m.attempts + a.ad, 0),
			       claimed_by = CASE WHEN a.st = 'pending' THEN NULL ELSE m.claimed_by END,
			       sending_at = CASE WHEN a.st = 'pending' THEN NULL ELSE m.sending_at END,
			       updated_at = now()
			 WHERE m.id = a.id AND m.claimed_by = p_instance AND m.send_status = 'sending';
			GET DIAGNOSTICS k = ROW_COUNT;
		EXCEPTION WHEN unique_violation THEN
			UPDATE messages m SET send_status = a.st,
			       sent_at = CASE WHEN a.st = 'sent' THEN to_timestamp(a.at) ELSE m.sent_at END,
			       last_error = 'Orange resource id ' || a.rid || ' is already recorded on message '
			                    || (SELECT x.id FROM messages x WHERE x.resource_id = a.rid),
			       attempts = greatest(m.attempts + a.ad, 0), updated_at = now()
			 WHERE m.id = a.id AND m.claimed_by = p_instance AND m.send_status = 'sending';
			GET DIAGNOSTICS k = ROW_COUNT;
		END;
		n := n + k;
	END LOOP;
	recorded := n;
END $$;

-- Recover the rows left 'sending' by dead instance p_owner (the caller
-- holds its liveness lock).  A row goes back to pending only when its
-- request provably never started: its slot lies beyond the lease the
-- instance committed, or is still further ahead than the instance's clock
-- error plus p_margin.  Otherwise Orange may have it: unknown.  Returns
-- (to_pending, to_unknown); forgets the instance.
CREATE FUNCTION griot_recover_instance(p_owner text, p_margin double precision,
                                       OUT to_pending bigint, OUT to_unknown bigint)
LANGUAGE plpgsql AS $$
DECLARE
	lease timestamptz;
	err double precision;
BEGIN
	SELECT started_until, clock_error INTO lease, err FROM sender_instances WHERE id = p_owner;
	IF NOT FOUND THEN
		lease := 'infinity';     -- an instance without a lease: slot rule only
		err := 1;
	END IF;
	WITH x AS (
		UPDATE messages SET
		       send_status = CASE WHEN unsent THEN 'pending' ELSE 'unknown' END,
		       attempts = CASE WHEN unsent THEN greatest(attempts - 1, 0) ELSE attempts END,
		       last_error = CASE WHEN unsent THEN last_error ELSE
		           'sender ' || claimed_by || ' died after the request was due: Orange may have accepted it' END,
		       claimed_by = CASE WHEN unsent THEN NULL ELSE claimed_by END,
		       updated_at = now()
		  FROM (SELECT m.id AS mid,
		               (m.sending_at > lease OR
		                m.sending_at > now() + (err + p_margin) * interval '1 second') AS unsent
		          FROM messages m
		         WHERE m.send_status = 'sending' AND m.claimed_by = p_owner) u
		 WHERE messages.id = u.mid
		RETURNING send_status)
	SELECT count(*) FILTER (WHERE send_status = 'pending'),
	       count(*) FILTER (WHERE send_status = 'unknown')
	  INTO to_pending, to_unknown FROM x;
	DELETE FROM sender_instances WHERE id = p_owner;
END $$;
