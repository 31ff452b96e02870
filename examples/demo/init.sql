-- semgate demo data: built in memory by DuckDB on first use (about 0.3 s), so the repo
-- ships no binary database. Every value is derived arithmetically from the row number,
-- so the data is the same on every machine and every DuckDB version.

CREATE TABLE countries AS
SELECT * FROM (VALUES
  ('DE', 'Germany',        'EU',    84.5),
  ('FR', 'France',         'EU',    68.2),
  ('ES', 'Spain',          'EU',    48.6),
  ('NL', 'Netherlands',    'EU',    17.9),
  ('US', 'United States',  'NA',   334.9),
  ('CA', 'Canada',         'NA',    40.1),
  ('MX', 'Mexico',         'LATAM', 128.5),
  ('BR', 'Brazil',         'LATAM', 216.4),
  ('JP', 'Japan',          'APAC',  124.5),
  ('IN', 'India',          'APAC', 1428.6),
  ('AU', 'Australia',      'APAC',  26.6),
  ('SG', 'Singapore',      'APAC',   5.9)
) AS c(country_code, country_name, region, population_millions);

-- A deterministic hash of a row number (multiply, xor-shift, multiply, xor-shift, modulo
-- 2^32), so values look random (no round totals) yet are the same on every machine.
CREATE MACRO mix(x) AS xor(x, x >> 16);
CREATE MACRO h(i, salt) AS mix((mix(((i + salt * 1000003) * 2654435761) % 4294967296) * 73244475) % 4294967296);

-- 3,000 customers: about half of them acme_corp's, 30% globex_inc's, 20% initech's.
CREATE TABLE customers AS
SELECT
  i AS customer_id,
  CASE WHEN h(i, 1) % 100 < 50 THEN 'acme_corp' WHEN h(i, 1) % 100 < 80 THEN 'globex_inc' ELSE 'initech' END AS tenant_id,
  'Customer ' || lpad(CAST(i AS VARCHAR), 4, '0') AS customer_name,
  (['Enterprise', 'SMB', 'SMB', 'Consumer', 'Consumer', 'Consumer'])[1 + CAST(h(i, 2) % 6 AS INTEGER)] AS segment,
  (['DE', 'DE', 'FR', 'ES', 'NL', 'US', 'US', 'US', 'CA', 'MX', 'BR', 'JP', 'IN', 'AU', 'SG'])[1 + CAST(h(i, 3) % 15 AS INTEGER)] AS country_code,
  DATE '2022-01-01' + CAST(h(i, 4) % 730 AS INTEGER) AS signup_date
FROM range(1, 3001) AS r(i);

-- 120,000 orders over 2024 and 2025.
CREATE TABLE orders AS
WITH o AS (
  SELECT
    i AS order_id,
    -- Some customers order far more than others: the square skews towards low ids.
    1 + CAST(floor(3000 * pow(h(i, 5) / 4294967296.0, 1.6)) AS INTEGER) AS customer_id,
    -- More orders in the second year than the first (a growing business).
    DATE '2024-01-01' + CAST(floor(731 * sqrt(h(i, 6) / 4294967296.0)) AS INTEGER) AS order_date,
    CAST(h(i, 7) % 86400 AS INTEGER) AS second_of_day,
    i
  FROM range(1, 120001) AS r(i)
)
SELECT
  o.order_id,
  c.tenant_id,
  o.customer_id,
  c.country_code,
  co.region,
  (['web', 'web', 'web', 'store', 'store', 'partner'])[1 + CAST(h(o.i, 8) % 6 AS INTEGER)] AS channel,
  p.category,
  CASE WHEN h(o.i, 9) % 100 < 6 THEN 'returned' WHEN h(o.i, 9) % 100 < 9 THEN 'cancelled' ELSE 'completed' END AS status,
  o.order_date,
  CAST(o.order_date AS TIMESTAMP) + to_seconds(o.second_of_day) AS ordered_at,
  CAST(round(p.unit_price * (0.8 + (h(o.i, 10) % 4000) / 10000.0) * q.quantity, 2) AS DECIMAL(12, 2)) AS amount,
  q.quantity,
  CASE WHEN h(o.i, 11) % 7 = 0 THEN NULL ELSE CAST((h(o.i, 12) % 30) / 100.0 AS DECIMAL(4, 2)) END AS discount,
  h(o.i, 13) % 100 < 9 AS is_promo
FROM o
JOIN customers c ON c.customer_id = o.customer_id
JOIN countries co ON co.country_code = c.country_code
-- Each category has its own price level; quantities are mostly small.
CROSS JOIN LATERAL (
  SELECT (['Hardware', 'Software', 'Services', 'Accessories'])[1 + CAST(h(o.i, 14) % 4 AS INTEGER)] AS category
) AS pc
CROSS JOIN LATERAL (
  SELECT pc.category, CASE pc.category WHEN 'Hardware' THEN 420.0 WHEN 'Software' THEN 180.0 WHEN 'Services' THEN 950.0 ELSE 35.0 END AS unit_price
) AS p
CROSS JOIN LATERAL (
  SELECT CAST(1 + floor(8 * pow(h(o.i, 15) / 4294967296.0, 2.5)) AS INTEGER) AS quantity
) AS q;

-- Refunds: every returned order is refunded in full, and about 3% of completed orders get
-- one or two partial refunds (damaged, late, goodwill), so an order may have several refunds:
-- the demo's one_to_many join (orders -> refunds).
CREATE TABLE refunds AS
WITH r AS (
  SELECT o.order_id, o.tenant_id, o.amount, o.order_date, o.status, k.n
  FROM orders o
  CROSS JOIN range(1, 3) AS k(n)
  WHERE (o.status = 'returned' AND k.n = 1)
     OR (o.status = 'completed' AND h(o.order_id, 16) % 100 < 3 AND k.n <= 1 + h(o.order_id, 17) % 2)
)
SELECT
  CAST(row_number() OVER (ORDER BY order_id, n) AS INTEGER) AS refund_id,
  tenant_id,
  order_id,
  CASE WHEN status = 'returned' THEN amount
       ELSE CAST(round(amount * (5 + h(order_id, 18 + n) % 20) / 100.0, 2) AS DECIMAL(12, 2)) END AS amount,
  CASE WHEN status = 'returned' THEN 'returned'
       ELSE (['damaged', 'late delivery', 'goodwill'])[1 + CAST(h(order_id, 21 + n) % 3 AS INTEGER)] END AS reason,
  order_date + CAST(3 + h(order_id, 24 + n) % 40 AS INTEGER) AS refunded_on
FROM r;
