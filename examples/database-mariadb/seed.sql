-- semgate example: one database per tenant on MariaDB (or MySQL 8), the same tables in each.
--
--   mariadb -h127.0.0.1 -uroot < examples/database-mariadb/seed.sql
--
-- Creates (or recreates) the tenant databases shop_acme, shop_globex and shop_initech, and
-- shop_reference for data every tenant shares. Every value is derived from the row number.
DROP DATABASE IF EXISTS shop_acme;
DROP DATABASE IF EXISTS shop_globex;
DROP DATABASE IF EXISTS shop_initech;
DROP DATABASE IF EXISTS shop_reference;
CREATE DATABASE shop_acme CHARACTER SET utf8mb4;
CREATE DATABASE shop_globex CHARACTER SET utf8mb4;
CREATE DATABASE shop_initech CHARACTER SET utf8mb4;
CREATE DATABASE shop_reference CHARACTER SET utf8mb4;

-- Reference data, the same for every tenant: the global dataset `countries` (rls: none).
CREATE TABLE shop_reference.countries (
  country_code CHAR(2) PRIMARY KEY,
  country_name VARCHAR(64) NOT NULL,
  region VARCHAR(16) NOT NULL
);
INSERT INTO shop_reference.countries VALUES
  ('DE', 'Germany', 'EU'), ('FR', 'France', 'EU'), ('ES', 'Spain', 'EU'), ('NL', 'Netherlands', 'EU'),
  ('US', 'United States', 'NA'), ('CA', 'Canada', 'NA'), ('MX', 'Mexico', 'LATAM'), ('BR', 'Brazil', 'LATAM'),
  ('JP', 'Japan', 'APAC'), ('IN', 'India', 'APAC'), ('AU', 'Australia', 'APAC'), ('SG', 'Singapore', 'APAC');

-- The tenant schema, created once and copied: every tenant database has the same tables.
CREATE TABLE shop_acme.products (
  product_id INT PRIMARY KEY,
  product_name VARCHAR(64) NOT NULL,
  category VARCHAR(32) NOT NULL,
  unit_cost DECIMAL(10, 2) NOT NULL
);
CREATE TABLE shop_acme.orders (
  order_id BIGINT PRIMARY KEY,
  product_id INT NOT NULL,
  country_code CHAR(2) NOT NULL,
  order_date DATE NOT NULL,
  ordered_at DATETIME NOT NULL,
  channel VARCHAR(16) NOT NULL,
  status VARCHAR(16) NOT NULL,
  is_gift BOOLEAN NOT NULL,
  quantity INT NOT NULL,
  amount DECIMAL(12, 2) NOT NULL,
  KEY orders_date (order_date)
);
CREATE TABLE shop_globex.products LIKE shop_acme.products;
CREATE TABLE shop_globex.orders LIKE shop_acme.orders;
CREATE TABLE shop_initech.products LIKE shop_acme.products;
CREATE TABLE shop_initech.orders LIKE shop_acme.orders;

-- 20 products per tenant: (tenant number k, product number i).
INSERT INTO shop_acme.products
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 20)
SELECT i, CONCAT(ELT(1 + (i + 1) % 5, 'Widget', 'Gadget', 'Gizmo', 'Doohickey', 'Sprocket'), ' ', CHAR(64 + i)),
       ELT(1 + (i * 3 + 1) % 4, 'Hardware', 'Software', 'Services', 'Accessories'), (500 + (i * 2389 + 71) % 40000) / 100
FROM seq;
INSERT INTO shop_globex.products
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 20)
SELECT i, CONCAT(ELT(1 + (i + 2) % 5, 'Widget', 'Gadget', 'Gizmo', 'Doohickey', 'Sprocket'), ' ', CHAR(64 + i)),
       ELT(1 + (i * 3 + 2) % 4, 'Hardware', 'Software', 'Services', 'Accessories'), (500 + (i * 2389 + 142) % 40000) / 100
FROM seq;
INSERT INTO shop_initech.products
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 20)
SELECT i, CONCAT(ELT(1 + (i + 3) % 5, 'Widget', 'Gadget', 'Gizmo', 'Doohickey', 'Sprocket'), ' ', CHAR(64 + i)),
       ELT(1 + (i * 3 + 3) % 4, 'Hardware', 'Software', 'Services', 'Accessories'), (500 + (i * 2389 + 213) % 40000) / 100
FROM seq;

-- Orders over 2024-2025: 400 for acme (k = 1), 300 for globex (k = 2), 250 for initech (k = 3).
INSERT INTO shop_acme.orders
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 400)
SELECT 1 * 100000 + i, 1 + (i * 7) % 20,
       ELT(1 + (i * 5 + 1) % 12, 'DE', 'FR', 'ES', 'NL', 'US', 'CA', 'MX', 'BR', 'JP', 'IN', 'AU', 'SG'),
       DATE '2024-01-01' + INTERVAL (i * 47 + 1 * 5) % 731 DAY,
       DATE '2024-01-01' + INTERVAL (i * 47 + 1 * 5) % 731 DAY + INTERVAL (i * 3607) % 86400 SECOND,
       ELT(1 + (i * 5 + 1) % 3, 'web', 'store', 'partner'),
       CASE WHEN i % 17 = 0 THEN 'returned' WHEN i % 23 = 0 THEN 'cancelled' ELSE 'completed' END,
       i % 7 = 3, 1 + (i * 7) % 5, (2000 + (i * 7919 + 1 * 3571) % 180000) / 100
FROM seq;
INSERT INTO shop_globex.orders
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 300)
SELECT 2 * 100000 + i, 1 + (i * 7) % 20,
       ELT(1 + (i * 5 + 2) % 12, 'DE', 'FR', 'ES', 'NL', 'US', 'CA', 'MX', 'BR', 'JP', 'IN', 'AU', 'SG'),
       DATE '2024-01-01' + INTERVAL (i * 47 + 2 * 5) % 731 DAY,
       DATE '2024-01-01' + INTERVAL (i * 47 + 2 * 5) % 731 DAY + INTERVAL (i * 3607) % 86400 SECOND,
       ELT(1 + (i * 5 + 2) % 3, 'web', 'store', 'partner'),
       CASE WHEN i % 17 = 0 THEN 'returned' WHEN i % 23 = 0 THEN 'cancelled' ELSE 'completed' END,
       i % 7 = 3, 1 + (i * 7) % 5, (2000 + (i * 7919 + 2 * 3571) % 180000) / 100
FROM seq;
INSERT INTO shop_initech.orders
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 250)
SELECT 3 * 100000 + i, 1 + (i * 7) % 20,
       ELT(1 + (i * 5 + 3) % 12, 'DE', 'FR', 'ES', 'NL', 'US', 'CA', 'MX', 'BR', 'JP', 'IN', 'AU', 'SG'),
       DATE '2024-01-01' + INTERVAL (i * 47 + 3 * 5) % 731 DAY,
       DATE '2024-01-01' + INTERVAL (i * 47 + 3 * 5) % 731 DAY + INTERVAL (i * 3607) % 86400 SECOND,
       ELT(1 + (i * 5 + 3) % 3, 'web', 'store', 'partner'),
       CASE WHEN i % 17 = 0 THEN 'returned' WHEN i % 23 = 0 THEN 'cancelled' ELSE 'completed' END,
       i % 7 = 3, 1 + (i * 7) % 5, (2000 + (i * 7919 + 3 * 3571) % 180000) / 100
FROM seq;
