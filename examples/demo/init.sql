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

-- 3,000 customers: half of them acme_corp's, 30% globex_inc's, 20% initech's.
CREATE TABLE customers AS
SELECT
  i AS customer_id,
  CASE WHEN i % 10 < 5 THEN 'acme_corp' WHEN i % 10 < 8 THEN 'globex_inc' ELSE 'initech' END AS tenant_id,
  'Customer ' || lpad(CAST(i AS VARCHAR), 4, '0') AS customer_name,
  (['Enterprise', 'SMB', 'Consumer'])[1 + CAST((i * 7) % 3 AS INTEGER)] AS segment,
  (['DE', 'FR', 'ES', 'NL', 'US', 'CA', 'MX', 'BR', 'JP', 'IN', 'AU', 'SG'])[1 + CAST((i * 31) % 12 AS INTEGER)] AS country_code,
  DATE '2022-01-01' + CAST((i * 389) % 730 AS INTEGER) AS signup_date
FROM range(1, 3001) AS r(i);

-- 120,000 orders over 2024 and 2025.
CREATE TABLE orders AS
WITH o AS (
  SELECT
    i AS order_id,
    1 + CAST((i * 7919) % 3000 AS INTEGER) AS customer_id,
    DATE '2024-01-01' + CAST((i * 7907) % 731 AS INTEGER) AS order_date,
    CAST((i * 104729) % 86400 AS INTEGER) AS second_of_day,
    i
  FROM range(1, 120001) AS r(i)
)
SELECT
  o.order_id,
  c.tenant_id,
  o.customer_id,
  c.country_code,
  co.region,
  (['web', 'store', 'partner'])[1 + CAST((o.i * 13) % 3 AS INTEGER)] AS channel,
  (['Hardware', 'Software', 'Services', 'Accessories'])[1 + CAST((o.i * 17) % 4 AS INTEGER)] AS category,
  CASE WHEN o.i % 20 = 0 THEN 'returned' WHEN o.i % 33 = 0 THEN 'cancelled' ELSE 'completed' END AS status,
  o.order_date,
  CAST(o.order_date AS TIMESTAMP) + to_seconds(o.second_of_day) AS ordered_at,
  CAST(5 + ((o.i * 2654435761) % 150000) / 100.0 AS DECIMAL(12, 2)) AS amount,
  CAST(1 + (o.i * 53) % 9 AS INTEGER) AS quantity,
  CASE WHEN o.i % 7 = 0 THEN NULL ELSE CAST(((o.i * 97) % 30) / 100.0 AS DECIMAL(4, 2)) END AS discount,
  o.i % 11 = 0 AS is_promo
FROM o
JOIN customers c ON c.customer_id = o.customer_id
JOIN countries co ON co.country_code = c.country_code;
