-- griot_record_answers (sql/050) wrote its UPDATE twice, for the batch and
-- for the row-by-row retry after a unique violation: one helper now
-- applies arrays of answers, called once for the batch, else per row.

-- Apply the answers of instance p_instance (arrays as in
-- griot_record_answers) to the rows still 'sending' for it; how many.  A
-- 'sent' answer clears last_error unless it comes with one.
CREATE FUNCTION griot_apply_answers(p_instance text, p_ids bigint[], p_status text[],
                                    p_rids text[], p_errors text[], p_delays float8[],
                                    p_attempts int[], p_answered float8[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	n integer;
BEGIN
	UPDATE messages m SET send_status = v.st,
	       resource_id = coalesce(v.rid, m.resource_id),
	       sent_at = CASE WHEN v.st = 'sent' THEN to_timestamp(v.at) ELSE m.sent_at END,
	       last_error = CASE WHEN v.st = 'sent' AND v.err IS NULL THEN NULL
	                    ELSE coalesce(v.err, m.last_error) END,
	       next_attempt_at = CASE WHEN v.st = 'pending' AND v.d > 0
	                         THEN now() + v.d * interval '1 second' ELSE NULL END,
	       attempts = greatest(m.attempts + v.ad, 0),
	       claimed_by = CASE WHEN v.st = 'pending' THEN NULL ELSE m.claimed_by END,
	       sending_at = CASE WHEN v.st = 'pending' THEN NULL ELSE m.sending_at END,
	       updated_at = now()
	  FROM unnest(p_ids, p_status, p_rids, p_errors, p_delays, p_attempts, p_answered)
	       AS v(id, st, rid, err, d, ad, at)
	 WHERE m.id = v.id AND m.claimed_by = p_instance AND m.send_status = 'sending';
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;

CREATE OR REPLACE FUNCTION griot_record_answers(p_instance text, p_ids bigint[], p_status text[],
                                     p_rids text[], p_errors text[], p_delays float8[],
                                     p_attempts int[], p_answered float8[],
                                     p_lease double precision, p_clock_error double precision,
                                     OUT recorded integer, OUT started_until double precision)
LANGUAGE plpgsql AS $$
DECLARE
	i integer;
BEGIN
	started_until := griot_sender_lease(p_instance, p_lease, p_clock_error);
	BEGIN
		recorded := griot_apply_answers(p_instance, p_ids, p_status, p_rids, p_errors,
		                                p_delays, p_attempts, p_answered);
		RETURN;
	EXCEPTION WHEN unique_violation THEN
		recorded := 0;   -- the batch was rolled back to here: row by row
	END;
	FOR i IN 1 .. coalesce(cardinality(p_ids), 0) LOOP
		BEGIN
			recorded := recorded + griot_apply_answers(p_instance, ARRAY[p_ids[i]],
				ARRAY[p_status[i]], ARRAY[p_rids[i]], ARRAY[p_errors[i]],
				ARRAY[p_delays[i]], ARRAY[p_attempts[i]], ARRAY[p_answered[i]]);
		EXCEPTION WHEN unique_violation THEN
			-- the resource id is already on another row: keep the answer
			-- (status, time), say where the id is
			recorded := recorded + griot_apply_answers(p_instance, ARRAY[p_ids[i]],
				ARRAY[p_status[i]], ARRAY[NULL::text],
				ARRAY['Orange resource id ' || p_rids[i] || ' is already recorded on message '
				      || (SELECT x.id FROM messages x WHERE x.resource_id = p_rids[i])],
				ARRAY[p_delays[i]], ARRAY[p_attempts[i]], ARRAY[p_answered[i]]);
		END;
	END LOOP;
END $$;
