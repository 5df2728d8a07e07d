-- A known scenario for the reporter's tests (tests/integration/t-report.sh,
-- docs/reports.md).  The report's clock is --now '2024-05-02 12:00:00+00'.
-- Every expected figure in the tests is worked out by hand from these rows.
INSERT INTO campaigns (name, status, start_at) VALUES
	('promo-mai', 'done', '2024-05-01 22:00:00+00'),
	('relance "J+1"; <b>SEN</b>', 'running', '2024-05-02 09:00:00+00'),
	('demain', 'scheduled', '2024-05-02 18:00:00+00');

CREATE TEMP TABLE s (n int, camp text, country char(3), prenom text, seg smallint,
	st text, sent timestamptz, err text, ds text, lat int);
INSERT INTO s VALUES
	-- promo-mai, Mali: five to the phone (10..50 s), one to the network (2 SMS),
	-- one impossible, one still waiting, one never answered (26 h), one refused
	( 1, 'promo-mai', 'MLI', 'Awa',      1, 'sent', '2024-05-01 22:00+00', NULL, 'DeliveredToTerminal', 10),
	( 2, 'promo-mai', 'MLI', 'Moussa',   1, 'sent', '2024-05-01 22:00+00', NULL, 'DeliveredToTerminal', 20),
	( 3, 'promo-mai', 'MLI', '=HYPERLINK("http://x.invalid","clic")', 1, 'sent', '2024-05-01 22:00+00', NULL, 'DeliveredToTerminal', 30),
	( 4, 'promo-mai', 'MLI', 'Fanta; "la grande"', 1, 'sent', '2024-05-01 22:00+00', NULL, 'DeliveredToTerminal', 40),
	( 5, 'promo-mai', 'MLI', 'Aïssata',  1, 'sent', '2024-05-01 22:00+00', NULL, 'DeliveredToTerminal', 50),
	( 6, 'promo-mai', 'MLI', 'Bakary',   2, 'sent', '2024-05-01 22:00+00', NULL, 'DeliveredToNetwork', 60),
	( 7, 'promo-mai', 'MLI', 'Oumar',    1, 'sent', '2024-05-01 22:00+00', NULL, 'DeliveryImpossible', 600),
	( 8, 'promo-mai', 'MLI', 'Kadia',    1, 'sent', '2024-05-01 22:00+00', NULL, 'MessageWaiting', 5),
	( 9, 'promo-mai', 'MLI', 'Seydou',   1, 'sent', '2024-05-01 10:00+00', NULL, NULL, NULL),
	(10, 'promo-mai', 'MLI', '-1+2',     1, 'failed', NULL, '400 SVC0004 invalid address', NULL, NULL),
	-- promo-mai, Côte d'Ivoire
	(11, 'promo-mai', 'CIV', 'Koffi',    1, 'sent', '2024-05-01 22:00+00', NULL, 'DeliveredToTerminal', 5),
	(12, 'promo-mai', 'CIV', 'Adjoua',   1, 'sent', '2024-05-01 22:00+00', NULL, 'DeliveredToTerminal', 15),
	(13, 'promo-mai', 'CIV', 'Yao',      1, 'sent', '2024-05-01 22:00+00', NULL, 'DeliveredToTerminal', 25),
	(14, 'promo-mai', 'CIV', 'Ama',      1, 'sent', '2024-05-01 22:00+00', NULL, 'DeliveryUncertain', 100),
	(15, 'promo-mai', 'CIV', 'Kouamé',   1, 'unknown', NULL, 'timeout after the request was sent', NULL, NULL),
	(16, 'promo-mai', 'CIV', '@admin',   1, 'sent', '2024-05-01 06:00+00', NULL, NULL, NULL),
	-- relance, Senegal: running tonight, two still pending
	(17, 'relance "J+1"; <b>SEN</b>', 'SEN', 'Fatou',  1, 'sent', '2024-05-02 09:00+00', NULL, 'DeliveredToTerminal', 7),
	(18, 'relance "J+1"; <b>SEN</b>', 'SEN', 'Modou',  1, 'sent', '2024-05-02 09:00+00', NULL, 'DeliveredToTerminal', 9),
	(19, 'relance "J+1"; <b>SEN</b>', 'SEN', 'Ndeye',  1, 'sent', '2024-05-02 11:00+00', NULL, NULL, NULL),
	(20, 'relance "J+1"; <b>SEN</b>', 'SEN', 'Cheikh', 1, 'pending', NULL, NULL, NULL, NULL),
	(21, 'relance "J+1"; <b>SEN</b>', 'SEN', 'Awa',    NULL, 'pending', NULL, NULL, NULL, NULL),
	-- demain: scheduled for 18:00, nothing sent yet
	(22, 'demain', 'MLI', 'A', 1, 'pending', NULL, NULL, NULL, NULL),
	(23, 'demain', 'MLI', 'B', 1, 'pending', NULL, NULL, NULL, NULL),
	(24, 'demain', 'MLI', 'C', 1, 'pending', NULL, NULL, NULL, NULL),
	(25, 'demain', 'MLI', 'D', 1, 'pending', NULL, NULL, NULL, NULL),
	(26, 'demain', 'CIV', 'E', 2, 'pending', NULL, NULL, NULL, NULL),
	(27, 'demain', 'CIV', 'F', 2, 'pending', NULL, NULL, NULL, NULL),
	(28, 'demain', 'CIV', 'G', 2, 'pending', NULL, NULL, NULL, NULL);

INSERT INTO messages (campaign_id, msisdn, country, fields, segments, send_status,
		      resource_id, sending_at, sent_at, last_error, delivery_status,
		      delivery_at, final_at, created_at)
SELECT c.id,
       CASE s.country WHEN 'MLI' THEN '+2237000' WHEN 'CIV' THEN '+22507000'
                      ELSE '+2217700' END || lpad(s.n::text, 4, '0'),
       s.country, jsonb_build_object('prenom', s.prenom, 'ville', 'Bamako'),
       s.seg, s.st,
       CASE WHEN s.st = 'sent' THEN 'rid-' || s.n END,
       coalesce(s.sent, CASE WHEN s.st IN ('failed', 'unknown') THEN timestamptz '2024-05-01 22:00+00' END),
       s.sent, s.err, s.ds,
       s.sent + s.lat * interval '1 second',
       CASE WHEN s.ds <> 'MessageWaiting' THEN s.sent + s.lat * interval '1 second' END,
       timestamptz '2024-05-01 20:00+00'
FROM s JOIN campaigns c ON c.name = s.camp;

-- Receipts as the receiver stores them, and two it could not match:
-- one 30 hours old (orphaned), one 2 hours old (may still match).
INSERT INTO delivery_receipts (received_at, resource_id, address, delivery_status, raw,
			       message_id, applied_at)
SELECT delivery_at, resource_id, 'tel:' || msisdn, delivery_status, '{}', id, delivery_at
FROM messages WHERE delivery_status IS NOT NULL;
INSERT INTO delivery_receipts (received_at, resource_id, address, delivery_status, raw) VALUES
	('2024-05-01 06:00+00', 'rid-unknown-1', 'tel:+22370009999', 'DeliveredToTerminal', '{}'),
	('2024-05-02 10:00+00', 'rid-unknown-2', 'tel:+22370009998', 'DeliveredToTerminal', '{}');
