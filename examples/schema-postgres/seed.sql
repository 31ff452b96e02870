-- semgate example: one schema per tenant, the same tables in each.
--
--   psql -h 127.0.0.1 -U postgres -f examples/schema-postgres/seed.sql
--
-- Creates (or recreates) the database semgate_example_schemas with the schemas
-- tenant_acme, tenant_globex and initech (api-keys.yaml maps tenant ids to schemas), and a
-- global fx_rates table in public. Every value is derived from the row number.
DROP DATABASE IF EXISTS semgate_example_schemas;
CREATE DATABASE semgate_example_schemas;
\connect semgate_example_schemas

-- Reference data, the same for every tenant: the global dataset `fx_rates` (rls: none).
CREATE TABLE public.fx_rates (
  currency char(3) PRIMARY KEY,
  currency_name text NOT NULL,
  eur_per_unit numeric(10, 4) NOT NULL
);
INSERT INTO public.fx_rates VALUES
  ('EUR', 'Euro', 1.0000), ('USD', 'US dollar', 0.9200), ('GBP', 'Pound sterling', 1.1700),
  ('JPY', 'Japanese yen', 0.0062), ('CHF', 'Swiss franc', 1.0400);

-- Each tenant's schema gets its own product list (the dimension table) and orders:
-- 20 products, and 400 / 300 / 250 orders over 2024-2025.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES ('tenant_acme', 1, 400), ('tenant_globex', 2, 300), ('initech', 3, 250))
           AS v(schema_name, k, n)
  LOOP
    EXECUTE format('CREATE SCHEMA %I', t.schema_name);
    EXECUTE format($sql$
      CREATE TABLE %I.products (
        product_id integer PRIMARY KEY,
        product_name text NOT NULL,
        category text NOT NULL,
        unit_cost numeric(10, 2) NOT NULL
      )$sql$, t.schema_name);
    EXECUTE format($sql$
      INSERT INTO %I.products
      SELECT i,
             (ARRAY['Widget', 'Gadget', 'Gizmo', 'Doohickey', 'Sprocket'])[1 + (i + $1) %% 5] || ' ' || chr(64 + i),
             (ARRAY['Hardware', 'Software', 'Services', 'Accessories'])[1 + (i * 3 + $1) %% 4],
             (500 + (i * 2389 + $1 * 71) %% 40000) / 100.0
      FROM generate_series(1, 20) AS g(i)$sql$, t.schema_name) USING t.k;
    EXECUTE format($sql$
      CREATE TABLE %I.orders (
        order_id bigint PRIMARY KEY,
        product_id integer NOT NULL REFERENCES %I.products,
        order_date date NOT NULL,
        ordered_at timestamp NOT NULL,
        channel text NOT NULL,
        status text NOT NULL,
        currency char(3) NOT NULL,
        quantity integer NOT NULL,
        amount numeric(12, 2) NOT NULL
      )$sql$, t.schema_name, t.schema_name);
    EXECUTE format($sql$
      INSERT INTO %I.orders
      SELECT $1 * 100000 + i,
             1 + (i * 7) %% 20,
             DATE '2024-01-01' + (i * 47 + $1 * 5) %% 731,
             DATE '2024-01-01' + (i * 47 + $1 * 5) %% 731 + make_interval(secs => (i * 3607) %% 86400),
             (ARRAY['web', 'store', 'partner'])[1 + (i * 5 + $1) %% 3],
             CASE WHEN i %% 17 = 0 THEN 'returned' WHEN i %% 23 = 0 THEN 'cancelled' ELSE 'completed' END,
             (ARRAY['EUR', 'USD', 'GBP', 'CHF'])[1 + (i + $1) %% 4],
             1 + (i * 7) %% 5,
             (2000 + (i * 7919 + $1 * 3571) %% 180000) / 100.0
      FROM generate_series(1, $2) AS g(i)$sql$, t.schema_name) USING t.k, t.n;
  END LOOP;
END
$$;

ANALYZE;
