-- semgate example: every tenant's rows in one shared table, told apart by tenant_id.
--
--   psql -h 127.0.0.1 -U postgres -f examples/shared-postgres/seed.sql
--
-- Creates (or recreates) the database semgate_example_shared. Every value is derived from
-- the row number, so the data is the same on every machine.
DROP DATABASE IF EXISTS semgate_example_shared;
CREATE DATABASE semgate_example_shared;
\connect semgate_example_shared

-- Reference data, the same for every tenant: the global dataset `countries` (rls: none).
CREATE TABLE countries (
  country_code char(2) PRIMARY KEY,
  country_name text NOT NULL,
  region text NOT NULL
);
INSERT INTO countries VALUES
  ('DE', 'Germany', 'EU'), ('FR', 'France', 'EU'), ('ES', 'Spain', 'EU'), ('NL', 'Netherlands', 'EU'),
  ('US', 'United States', 'NA'), ('CA', 'Canada', 'NA'), ('MX', 'Mexico', 'LATAM'), ('BR', 'Brazil', 'LATAM'),
  ('JP', 'Japan', 'APAC'), ('IN', 'India', 'APAC'), ('AU', 'Australia', 'APAC'), ('SG', 'Singapore', 'APAC');

-- Customers of three tenants in one table (the dimension table behind `customers`).
CREATE TABLE customers (
  customer_id integer PRIMARY KEY,
  tenant_id text NOT NULL,
  customer_name text NOT NULL,
  segment text NOT NULL,
  country_code char(2) NOT NULL REFERENCES countries,
  signup_date date NOT NULL
);
INSERT INTO customers
SELECT t.k * 1000 + i,
       t.tenant_id,
       initcap(t.tenant_id) || ' customer ' || lpad(i::text, 3, '0'),
       (ARRAY['Enterprise', 'SMB', 'Consumer'])[1 + (i * 7 + t.k) % 3],
       (ARRAY['DE', 'FR', 'ES', 'NL', 'US', 'CA', 'MX', 'BR', 'JP', 'IN', 'AU', 'SG'])[1 + (i * 5 + t.k) % 12],
       DATE '2022-01-01' + (i * 37 + t.k * 11) % 900
FROM (VALUES ('acme', 1, 60), ('globex', 2, 45), ('initech', 3, 30)) AS t(tenant_id, k, n)
CROSS JOIN LATERAL generate_series(1, t.n) AS g(i);

-- Orders over 2024-2025: 400 for acme, 300 for globex, 250 for initech.
CREATE TABLE orders (
  order_id bigint PRIMARY KEY,
  tenant_id text NOT NULL,
  customer_id integer NOT NULL REFERENCES customers,
  order_date date NOT NULL,
  ordered_at timestamp NOT NULL,
  channel text NOT NULL,
  category text NOT NULL,
  status text NOT NULL,
  quantity integer NOT NULL,
  amount numeric(12, 2) NOT NULL,
  cost numeric(12, 2) NOT NULL,
  discount numeric(4, 2)
);
-- Every query semgate sends filters on tenant_id first: lead the index with it.
CREATE INDEX orders_tenant_date ON orders (tenant_id, order_date);
INSERT INTO orders
SELECT t.k * 100000 + i,
       t.tenant_id,
       t.k * 1000 + 1 + (i * 13) % t.customers,
       DATE '2024-01-01' + (i * 47 + t.k * 5) % 731,
       DATE '2024-01-01' + (i * 47 + t.k * 5) % 731 + make_interval(secs => (i * 3607) % 86400),
       (ARRAY['web', 'store', 'partner'])[1 + (i * 5 + t.k) % 3],
       (ARRAY['Hardware', 'Software', 'Services', 'Accessories'])[1 + (i * 3 + t.k) % 4],
       CASE WHEN i % 17 = 0 THEN 'returned' WHEN i % 23 = 0 THEN 'cancelled' ELSE 'completed' END,
       1 + (i * 7) % 5,
       (2000 + (i * 7919 + t.k * 3571) % 180000) / 100.0,
       round((2000 + (i * 7919 + t.k * 3571) % 180000) / 100.0 * (0.55 + (i % 5) * 0.05), 2),
       CASE WHEN i % 6 = 0 THEN NULL ELSE ((i * 11) % 25) / 100.0 END
FROM (VALUES ('acme', 1, 60, 400), ('globex', 2, 45, 300), ('initech', 3, 30, 250)) AS t(tenant_id, k, customers, n)
CROSS JOIN LATERAL generate_series(1, t.n) AS g(i);

ANALYZE;
