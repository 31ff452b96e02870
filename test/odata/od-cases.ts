/**
 * The OData acceptance table: each case is a request to /odata/ as sent on the wire (only
 * spaces get %20; everything else is written here as the client would send it, encoded or
 * not) and DuckDB SQL written by hand over the reference views `<tenant>_orders`,
 * `<tenant>_customers` (see od-helpers.ts) and `countries`. The SQL aliases its columns with
 * the OData property names; rows must match (as multisets unless `ordered`).
 */
export interface OkCase {
  readonly url: string;
  readonly sql: string;
  readonly ordered?: boolean;
  /** `@odata.count` expected: 'rows' = the number of expected rows, or SQL giving one number. */
  readonly count?: string;
  /** A `/$count` request: the SQL gives one number, the body is that number as text. */
  readonly plain?: boolean;
  readonly key?: 'acme' | 'globex';
}

const YEAR = (c: string): string => `CAST(date_trunc('year', ${c}) AS DATE)`;
const MONTH = (c: string): string => `CAST(date_trunc('month', ${c}) AS DATE)`;
const REG_REV = 'SELECT region, SUM(amount) AS revenue FROM acme_orders';
const CH_N = 'SELECT channel, COUNT(*) AS order_count FROM acme_orders';
const C_SEL = 'customers?$select=countries_country_name,customer_count&$filter=';
const C_SQL = (where: string): string => `SELECT countries_country_name, COUNT(*) AS customer_count FROM acme_customers WHERE ${where} GROUP BY 1`;
const ID = (where: string): string => `SELECT order_id, SUM(amount) AS revenue FROM acme_orders WHERE ${where} GROUP BY 1`;
const rr = (filter: string, where: string): OkCase => ({ url: `orders?$select=region,revenue&$filter=${filter}`, sql: `${REG_REV} WHERE ${where} GROUP BY 1` });
const ch = (filter: string, where: string): OkCase => ({ url: `orders?$select=channel,order_count&$filter=${filter}`, sql: `${CH_N} WHERE ${where} GROUP BY 1` });
/** region/revenue with a HAVING condition (and an optional WHERE). */
const rrh = (filter: string, having: string, where = 'true'): OkCase => ({ url: `orders?$select=region,revenue&$filter=${filter}`, sql: `${REG_REV} WHERE ${where} GROUP BY 1 HAVING ${having}` });
const cust = (filter: string, where: string): OkCase => ({ url: C_SEL + filter, sql: C_SQL(where) });
const ids = (filter: string, where: string): OkCase => ({ url: `orders?$select=order_id,revenue&$filter=${filter}`, sql: ID(where) });

/** Orders with their customer's (and its country's) fields, as a LEFT JOIN, written by hand. */
const OC = 'acme_orders o LEFT JOIN acme_customers c ON c.customer_id = o.customer_id';

export const OK_CASES: readonly OkCase[] = [
  // Joined datasets: their fields are properties `<dataset>_<field>` of the queried entity set.
  { url: 'orders?$select=customers_segment,revenue', sql: `SELECT c.segment AS customers_segment, SUM(o.amount) AS revenue FROM ${OC} GROUP BY 1` },
  { url: "orders?$select=countries_region,order_count&$filter=customers_segment eq 'SMB'", sql: `SELECT c.countries_region AS countries_region, COUNT(*) AS order_count FROM ${OC} WHERE c.segment = 'SMB' GROUP BY 1` },
  { url: "orders?$select=status,order_count&$filter=countries_region eq 'EU' or customers_segment eq 'Enterprise'", sql: `SELECT o.status AS status, COUNT(*) AS order_count FROM ${OC} WHERE c.countries_region = 'EU' OR c.segment = 'Enterprise' GROUP BY 1` },
  {
    url: 'orders?$apply=groupby((customers_segment),aggregate(revenue with sum as total,customers_customer_count as buyers))',
    sql: `SELECT c.segment AS customers_segment, SUM(o.amount) AS total, COUNT(DISTINCT c.customer_id) AS buyers FROM ${OC} GROUP BY 1`,
  },
  {
    url: 'orders?$apply=groupby((status),aggregate(refunds_refunded with sum as refunded,refunds_refund_count as n))',
    sql: 'SELECT o.status AS status, SUM(r.amount) AS refunded, COUNT(r.refund_id) AS n FROM acme_orders o LEFT JOIN acme_refunds r ON r.order_id = o.order_id GROUP BY 1',
  },
  {
    url: 'orders?$select=status,revenue,refunds_refund_count&$filter=refunds_refund_count gt 500',
    sql: 'SELECT a.status, a.revenue, b.n AS refunds_refund_count FROM (SELECT status, SUM(amount) AS revenue FROM acme_orders GROUP BY 1) a JOIN (SELECT o.status, COUNT(*) AS n FROM acme_refunds r JOIN acme_orders o ON o.order_id = r.order_id GROUP BY 1) b ON b.status = a.status WHERE b.n > 500',
  },
  { url: "orders?$apply=filter(customers_segment eq 'SMB')/groupby((customers_signup_date_year),aggregate($count as n))", sql: `SELECT ${YEAR('c.signup_date')} AS customers_signup_date_year, COUNT(*) AS n FROM ${OC} WHERE c.segment = 'SMB' GROUP BY 1` },

  // Selections: the selected dimensions are the grouping, each metric its own aggregate.
  { url: 'orders?$select=region,revenue', sql: `${REG_REV} GROUP BY 1` },
  // A metric named before a dimension: values still land under their own names.
  { url: 'orders?$select=revenue,region', sql: `${REG_REV} GROUP BY 1` },
  { url: 'orders?$select=order_count,channel,revenue,category', sql: 'SELECT channel, category, COUNT(*) AS order_count, SUM(amount) AS revenue FROM acme_orders GROUP BY 1, 2' },
  // $select after $apply projects its output.
  { url: 'orders?$apply=groupby((region),aggregate($count as n))&$select=region', sql: 'SELECT region FROM acme_orders GROUP BY 1' },
  { url: 'orders?$select=channel,order_count', sql: `${CH_N} GROUP BY 1` },
  { url: 'orders?$select=category,units', sql: 'SELECT category, SUM(quantity) AS units FROM acme_orders GROUP BY 1' },
  { url: 'orders?$select=status,customers', sql: 'SELECT status, COUNT(DISTINCT customer_id) AS customers FROM acme_orders GROUP BY 1' },
  { url: 'orders?$select=region,avg_order_value', sql: 'SELECT region, SUM(amount) / COUNT(*) AS avg_order_value FROM acme_orders GROUP BY 1' },
  { url: 'orders?$select=channel,avg_discount', sql: 'SELECT channel, AVG(discount) AS avg_discount FROM acme_orders GROUP BY 1' },
  { url: 'orders?$select=revenue,order_count', sql: 'SELECT SUM(amount) AS revenue, COUNT(*) AS order_count FROM acme_orders' },
  { url: 'orders?$select=region', sql: 'SELECT DISTINCT region FROM acme_orders' },
  { url: 'orders?$select=is_promo,order_count', sql: 'SELECT is_promo, COUNT(*) AS order_count FROM acme_orders GROUP BY 1' },
  { url: 'orders?$select=region,channel,revenue,units', sql: 'SELECT region, channel, SUM(amount) AS revenue, SUM(quantity) AS units FROM acme_orders GROUP BY 1, 2' },
  { url: 'orders?$select=order_date_year,revenue', sql: `SELECT ${YEAR('order_date')} AS order_date_year, SUM(amount) AS revenue FROM acme_orders GROUP BY 1` },
  { url: 'orders?$select=order_date_quarter,order_count', sql: `SELECT CAST(date_trunc('quarter', order_date) AS DATE) AS order_date_quarter, COUNT(*) AS order_count FROM acme_orders GROUP BY 1` },
  { url: 'orders?$select=order_date_month,revenue', sql: `SELECT ${MONTH('order_date')} AS order_date_month, SUM(amount) AS revenue FROM acme_orders GROUP BY 1` },
  { url: 'orders?$select=order_date_week,order_count&$filter=order_date lt 2024-03-01', sql: `SELECT CAST(date_trunc('week', order_date) AS DATE) AS order_date_week, COUNT(*) AS order_count FROM acme_orders WHERE order_date < DATE '2024-03-01' GROUP BY 1` },
  { url: 'orders?$select=order_date_day,units&$filter=order_date_month eq 2024-02-01', sql: `SELECT order_date AS order_date_day, SUM(quantity) AS units FROM acme_orders WHERE ${MONTH('order_date')} = DATE '2024-02-01' GROUP BY 1` },
  { url: 'orders?$select=order_date_month,revenue&$filter=order_date_year eq 2025-01-01', sql: `SELECT ${MONTH('order_date')} AS order_date_month, SUM(amount) AS revenue FROM acme_orders WHERE year(order_date) = 2025 GROUP BY 1` },
  { url: 'orders?$select=ordered_at_hour,order_count&$filter=order_date eq 2024-06-01', sql: `SELECT date_trunc('hour', ordered_at) AS ordered_at_hour, COUNT(*) AS order_count FROM acme_orders WHERE order_date = DATE '2024-06-01' GROUP BY 1` },
  { url: 'orders?$select=ordered_at_day,order_count&$filter=ordered_at_day ge 2025-12-20', sql: `SELECT CAST(ordered_at AS DATE) AS ordered_at_day, COUNT(*) AS order_count FROM acme_orders WHERE CAST(ordered_at AS DATE) >= DATE '2025-12-20' GROUP BY 1` },
  { url: 'orders?$select=ordered_at_month,revenue', sql: `SELECT ${MONTH('ordered_at')} AS ordered_at_month, SUM(amount) AS revenue FROM acme_orders GROUP BY 1` },
  { url: 'customers?$select=segment,customer_count', sql: 'SELECT segment, COUNT(*) AS customer_count FROM acme_customers GROUP BY 1' },
  { url: 'customers?$select=countries_country_name,countries_region,customer_count', sql: 'SELECT countries_country_name, countries_region, COUNT(*) AS customer_count FROM acme_customers GROUP BY 1, 2' },
  { url: 'customers?$select=signup_date_year,customer_count', sql: `SELECT ${YEAR('signup_date')} AS signup_date_year, COUNT(*) AS customer_count FROM acme_customers GROUP BY 1` },
  { url: 'countries?$select=region,population,country_count', sql: 'SELECT region, SUM(population_millions) AS population, COUNT(*) AS country_count FROM countries GROUP BY 1' },
  { url: 'countries?$select=country_code,country_name', sql: 'SELECT DISTINCT country_code, country_name FROM countries' },
  { url: 'orders?$select=region,revenue', sql: "SELECT region, SUM(amount) AS revenue FROM orders WHERE tenant_id = 'globex_inc' GROUP BY 1", key: 'globex' },

  // String comparisons, the literal on either side.
  rr("region eq 'EU'", "region = 'EU'"),
  rr("region ne 'EU'", "region <> 'EU'"),
  rr("region gt 'EU'", "region > 'EU'"),
  rr("region ge 'EU'", "region >= 'EU'"),
  rr("region lt 'LATAM'", "region < 'LATAM'"),
  rr("region le 'LATAM'", "region <= 'LATAM'"),
  rr("'EU' eq region", "region = 'EU'"),
  rr("'EU' lt region", "region > 'EU'"),
  rr("'NA' ge region", "region <= 'NA'"),
  rr("'LATAM' ne region", "region <> 'LATAM'"),
  ch("channel eq 'web'", "channel = 'web'"),
  ch("status eq 'returned'", "status = 'returned'"),
  // Quotes doubled inside literals, literal and percent-encoded.
  rr("region eq 'O''Brien'", "region = 'O''Brien'"),
  rr("not (region eq 'O''Brien')", "region <> 'O''Brien'"),
  rr('region%20eq%20%27EU%27', "region = 'EU'"),
  rr('region eq %27O%27%27Brien%27', "region = 'O''Brien'"),
  cust("customer_name ne 'it''s'", 'true'),
  cust("countries_country_name eq 'United States'", "countries_country_name = 'United States'"),
  cust("countries_country_name eq 'United%20States'", "countries_country_name = 'United States'"),
  { url: 'customers?%24select=countries_country_name,customer_count&%24filter=countries_country_name%20eq%20%27United%20States%27', sql: C_SQL("countries_country_name = 'United States'") },
  { url: 'customers?select=countries_country_name,customer_count&filter=countries_country_name eq \'Japan\'', sql: C_SQL("countries_country_name = 'Japan'") },
  cust("countries_country_name in ('United States','Japan','O''Neil')", "countries_country_name IN ('United States', 'Japan')"),

  // Numbers: ints, decimals, negative, exponent, on either side.
  ids('order_id lt 100', 'order_id < 100'),
  ids('order_id le 100 and order_id ge 90', 'order_id BETWEEN 90 AND 100'),
  ids('order_id eq 1', 'order_id = 1'),
  ids('order_id eq 2', 'order_id = 2'),
  ids('order_id lt 50.5', 'order_id < 50.5'),
  ids('order_id gt 119990', 'order_id > 119990'),
  ids('order_id gt -1 and order_id lt 30', 'order_id > -1 AND order_id < 30'),
  ids('order_id in (1,3,5,7,9,11,13,15)', 'order_id IN (1, 3, 5, 7, 9, 11, 13, 15)'),
  ids('100 gt order_id', 'order_id < 100'),
  ids('order_id lt 1.5e2', 'order_id < 150'),
  ids('order_id ne 1 and order_id le 40', 'order_id <> 1 AND order_id <= 40'),
  ids('order_id ge 119000.25', 'order_id >= 119000.25'),

  // Dates.
  ch('order_date eq 2024-02-29', "order_date = DATE '2024-02-29'"),
  ch('order_date gt 2025-12-30', "order_date > DATE '2025-12-30'"),
  ch('order_date ne 2024-01-01 and order_date lt 2024-01-05', "order_date <> DATE '2024-01-01' AND order_date < DATE '2024-01-05'"),
  ch('order_date in (2024-01-01,2025-01-01)', "order_date IN (DATE '2024-01-01', DATE '2025-01-01')"),
  ch('2024-01-10 ge order_date', "order_date <= DATE '2024-01-10'"),
  { url: 'orders?$select=order_date,order_count&$filter=order_date le 2024-01-03', sql: "SELECT order_date, COUNT(*) AS order_count FROM acme_orders WHERE order_date <= DATE '2024-01-03' GROUP BY 1" },
  { url: 'orders?$select=order_date_month,revenue&$filter=order_date ge 2025-06-01', sql: `SELECT ${MONTH('order_date')} AS order_date_month, SUM(amount) AS revenue FROM acme_orders WHERE order_date >= DATE '2025-06-01' GROUP BY 1` },
  cust('signup_date lt 2022-02-01', "signup_date < DATE '2022-02-01'"),

  // Timestamps (DateTimeOffset): Z, offsets with a literal and an encoded plus (a raw + is a space), fractions, v2 datetime/datetimeoffset.
  { url: 'orders?$select=ordered_at_hour,order_count&$filter=ordered_at ge 2025-06-01T00:00:00Z and ordered_at lt 2025-06-02T00:00:00Z', sql: "SELECT date_trunc('hour', ordered_at) AS ordered_at_hour, COUNT(*) AS order_count FROM acme_orders WHERE ordered_at >= TIMESTAMP '2025-06-01 00:00:00' AND ordered_at < TIMESTAMP '2025-06-02 00:00:00' GROUP BY 1" },
  { url: "orders?$select=order_id,ordered_at&$filter=ordered_at lt datetime'2024-01-01T04:00:00'", sql: "SELECT order_id, ordered_at FROM acme_orders WHERE ordered_at < TIMESTAMP '2024-01-01 04:00:00'" },
  { url: 'orders?$select=order_id,ordered_at&$filter=ordered_at lt 2024-01-01T06:00:00%2B02:00', sql: "SELECT order_id, ordered_at FROM acme_orders WHERE ordered_at < TIMESTAMP '2024-01-01 04:00:00'" },
  { url: 'orders?$select=order_id,ordered_at&$filter=ordered_at gt 2025-12-31T10:00:00-05:00', sql: "SELECT order_id, ordered_at FROM acme_orders WHERE ordered_at > TIMESTAMP '2025-12-31 15:00:00'" },
  { url: 'orders?$select=order_id,ordered_at&$filter=ordered_at le 2024-01-01T01:00:00.500Z', sql: "SELECT order_id, ordered_at FROM acme_orders WHERE ordered_at <= TIMESTAMP '2024-01-01 01:00:00.5'" },
  { url: 'orders?$select=order_id,ordered_at&$filter=2024-01-01T02:30:00Z gt ordered_at', sql: "SELECT order_id, ordered_at FROM acme_orders WHERE ordered_at < TIMESTAMP '2024-01-01 02:30:00'" },
  ch('ordered_at eq 2024-01-01T00:00:00Z', "ordered_at = TIMESTAMP '2024-01-01 00:00:00'"),
  ch("ordered_at ne 2024-01-01T00:00:00Z and ordered_at lt datetimeoffset'2024-01-02T00:00:00%2B00:00'", "ordered_at < TIMESTAMP '2024-01-02 00:00:00'"),

  // Booleans and null.
  ch('is_promo', 'is_promo'),
  ch('is_promo eq true', 'is_promo'),
  ch('is_promo eq false', 'NOT is_promo'),
  ch('not is_promo', 'NOT is_promo'),
  ch('is_promo ne true', 'NOT is_promo'),
  ch('true eq is_promo', 'is_promo'),
  ch('true', 'true'),
  ch('false', 'false'),
  ch("is_promo and channel eq 'web'", "is_promo AND channel = 'web'"),
  rr('region eq null', 'region IS NULL'),
  rr('region ne null', 'region IS NOT NULL'),
  rr('null eq region', 'region IS NULL'),
  ch('order_date eq null', 'order_date IS NULL'),
  ch('ordered_at ne null and order_date lt 2024-01-03', "order_date < DATE '2024-01-03'"),

  // in().
  rr("region in ('EU','NA')", "region IN ('EU', 'NA')"),
  rr("region in ('EU')", "region = 'EU'"),
  ch("not (channel in ('web','store'))", "channel NOT IN ('web', 'store')"),
  rr("tolower(region) in ('eu','apac')", "lower(region) IN ('eu', 'apac')"),
  ch('year(order_date) in (2024)', 'year(order_date) = 2024'),
  ch('month(order_date) in (1,12) and day(order_date) eq 1', 'month(order_date) IN (1, 12) AND day(order_date) = 1'),
  ch("status in ('returned','cancelled') and region in ('NA')", "status IN ('returned', 'cancelled') AND region = 'NA'"),

  // contains / startswith / endswith: case-sensitive, and over tolower/toupper.
  cust("contains(countries_country_name,'United')", "countries_country_name LIKE '%United%'"),
  cust("contains(countries_country_name,'united')", 'false'),
  cust("contains(tolower(countries_country_name),'united')", "lower(countries_country_name) LIKE '%united%'"),
  cust("contains(toupper(countries_country_name),'AN')", "upper(countries_country_name) LIKE '%AN%'"),
  cust("contains(countries_country_name,'an')", "countries_country_name LIKE '%an%'"),
  ch("startswith(channel,'we')", "channel LIKE 'we%'"),
  ch("startswith(channel,'We')", 'false'),
  ch("startswith(toupper(channel),'WE')", "upper(channel) LIKE 'WE%'"),
  ch("endswith(status,'ed')", "status LIKE '%ed'"),
  { url: "orders?$select=category,revenue&$filter=endswith(category,'ware')", sql: "SELECT category, SUM(amount) AS revenue FROM acme_orders WHERE category LIKE '%ware' GROUP BY 1" },
  { url: "orders?$select=category,revenue&$filter=endswith(category,'WARE')", sql: 'SELECT category, SUM(amount) AS revenue FROM acme_orders WHERE false GROUP BY 1' },
  { url: "orders?$select=category,revenue&$filter=endswith(toupper(category),'WARE')", sql: "SELECT category, SUM(amount) AS revenue FROM acme_orders WHERE upper(category) LIKE '%WARE' GROUP BY 1" },
  cust("contains(customer_name,'_')", "position('_' IN customer_name) > 0"),
  cust("contains(customer_name,'%25')", "position('%' IN customer_name) > 0"),
  cust("contains(countries_country_name,'''')", 'false'),
  cust("startswith(customer_name,'Customer 00')", "customer_name LIKE 'Customer 00%'"),
  cust("endswith(customer_name,'7') and startswith(countries_country_name,'S')", "customer_name LIKE '%7' AND countries_country_name LIKE 'S%'"),
  rr("not contains(region,'A')", "region NOT LIKE '%A%'"),
  rr("contains(region,'A') and not endswith(region,'C')", "region LIKE '%A%' AND region NOT LIKE '%C'"),
  rr("tolower(region) eq 'eu'", "lower(region) = 'eu'"),
  ch("toupper(channel) eq 'WEB'", "upper(channel) = 'WEB'"),
  ch("tolower(channel) ne 'web'", "lower(channel) <> 'web'"),
  ch("tolower(channel) eq 'WEB'", 'false'),

  // year / month / day / date().
  { url: 'orders?$select=order_date_month,revenue&$filter=year(order_date) eq 2025', sql: `SELECT ${MONTH('order_date')} AS order_date_month, SUM(amount) AS revenue FROM acme_orders WHERE year(order_date) = 2025 GROUP BY 1` },
  { url: 'orders?$select=order_date_year,order_count&$filter=month(order_date) eq 2', sql: `SELECT ${YEAR('order_date')} AS order_date_year, COUNT(*) AS order_count FROM acme_orders WHERE month(order_date) = 2 GROUP BY 1` },
  { url: 'orders?$select=order_date_month,order_count&$filter=day(order_date) eq 31', sql: `SELECT ${MONTH('order_date')} AS order_date_month, COUNT(*) AS order_count FROM acme_orders WHERE day(order_date) = 31 GROUP BY 1` },
  ch('year(ordered_at) eq 2024 and month(ordered_at) ge 11', "ordered_at >= TIMESTAMP '2024-11-01' AND ordered_at < TIMESTAMP '2025-01-01'"),
  ch('date(ordered_at) eq 2025-03-15', "CAST(ordered_at AS DATE) = DATE '2025-03-15'"),
  ch('date(ordered_at) ge 2025-12-25', "CAST(ordered_at AS DATE) >= DATE '2025-12-25'"),
  ch('day(ordered_at) lt 3 and month(ordered_at) eq 1', 'day(ordered_at) < 3 AND month(ordered_at) = 1'),
  ch('2025 eq year(order_date)', 'year(order_date) = 2025'),
  ch('month(order_date) gt 6 and month(order_date) le 9', 'month(order_date) BETWEEN 7 AND 9'),
  ch('day(order_date) eq 29 and month(order_date) eq 2', "order_date = DATE '2024-02-29'"),
  ch('date(ordered_at) ne 2024-01-01 and year(ordered_at) lt 2024.5', "year(ordered_at) < 2024.5 AND CAST(ordered_at AS DATE) <> DATE '2024-01-01'"),
  cust('year(signup_date) eq 2023', 'year(signup_date) = 2023'),

  // not / and / or, with and without parentheses (and binds tighter than or).
  rr("region eq 'EU' or region eq 'NA'", "region IN ('EU', 'NA')"),
  { url: "orders?$select=region,channel,order_count&$filter=(region eq 'EU' or region eq 'NA') and channel eq 'web'", sql: "SELECT region, channel, COUNT(*) AS order_count FROM acme_orders WHERE region IN ('EU', 'NA') AND channel = 'web' GROUP BY 1, 2" },
  { url: "orders?$select=region,channel,order_count&$filter=region eq 'EU' or region eq 'NA' and channel eq 'web'", sql: "SELECT region, channel, COUNT(*) AS order_count FROM acme_orders WHERE region = 'EU' OR (region = 'NA' AND channel = 'web') GROUP BY 1, 2" },
  { url: "orders?$select=region,channel,order_count&$filter=not (region eq 'EU' or channel eq 'web')", sql: "SELECT region, channel, COUNT(*) AS order_count FROM acme_orders WHERE region <> 'EU' AND channel <> 'web' GROUP BY 1, 2" },
  { url: "orders?$select=region,channel,order_count&$filter=not (region eq 'EU') and not (channel ne 'web')", sql: "SELECT region, channel, COUNT(*) AS order_count FROM acme_orders WHERE region <> 'EU' AND channel = 'web' GROUP BY 1, 2" },
  rr("((region eq 'EU'))", "region = 'EU'"),
  rr("region  eq%09'EU'", "region = 'EU'"), // RWS: any run of spaces and tabs
  rr("not (not (region eq 'EU'))", "region = 'EU'"),
  ch("region eq 'EU' and (channel eq 'web' or channel eq 'store') and not is_promo", "region = 'EU' AND channel IN ('web', 'store') AND NOT is_promo"),
  { url: "orders?$select=status,revenue&$filter=(status eq 'returned' or status eq 'cancelled') and order_date ge 2025-07-01", sql: "SELECT status, SUM(amount) AS revenue FROM acme_orders WHERE status IN ('returned', 'cancelled') AND order_date >= DATE '2025-07-01' GROUP BY 1" },
  ch("(region eq 'EU' and is_promo) or (region eq 'NA' and not is_promo)", "(region = 'EU' AND is_promo) OR (region = 'NA' AND NOT is_promo)"),
  ch("not (year(order_date) eq 2024 or contains(region,'A'))", "NOT (year(order_date) = 2024 OR region LIKE '%A%')"),
  ch("true and region eq 'EU'", "region = 'EU'"),
  ch("false or region eq 'EU'", "region = 'EU'"),

  // Metric conditions: HAVING, alone, with WHERE, over metrics not selected, or-ed together.
  rrh('revenue gt 10000000', 'SUM(amount) > 10000000'),
  rrh('10000000 lt revenue', 'SUM(amount) > 10000000'),
  rrh('not (revenue gt 10000000)', 'SUM(amount) <= 10000000'),
  rrh('revenue gt 1 and order_count gt 15000', 'COUNT(*) > 15000'),
  rrh("revenue lt 10000000 and region ne 'NA'", 'SUM(amount) < 10000000', "region <> 'NA'"),
  { url: 'orders?$select=country_code,order_count&$filter=order_count ge 5000', sql: 'SELECT country_code, COUNT(*) AS order_count FROM acme_orders GROUP BY 1 HAVING COUNT(*) >= 5000' },
  { url: "orders?$select=channel,category,revenue&$filter=revenue lt 3500000 and channel eq 'web'", sql: "SELECT channel, category, SUM(amount) AS revenue FROM acme_orders WHERE channel = 'web' GROUP BY 1, 2 HAVING SUM(amount) < 3500000" },
  { url: 'orders?$select=region,avg_order_value&$filter=avg_order_value gt 755.0', sql: 'SELECT region, SUM(amount) / COUNT(*) AS avg_order_value FROM acme_orders GROUP BY 1 HAVING SUM(amount) / COUNT(*) > 755' },
  { url: 'orders?$select=region,customers&$filter=customers le 300 or customers ge 500', sql: 'SELECT region, COUNT(DISTINCT customer_id) AS customers FROM acme_orders GROUP BY 1 HAVING COUNT(DISTINCT customer_id) <= 300 OR COUNT(DISTINCT customer_id) >= 500' },
  { url: 'orders?$select=status,avg_discount&$filter=avg_discount ne null', sql: 'SELECT status, AVG(discount) AS avg_discount FROM acme_orders GROUP BY 1 HAVING AVG(discount) IS NOT NULL' },
  { url: 'orders?$select=order_date_month,revenue&$filter=year(order_date) eq 2024 and revenue gt 1300000', sql: `SELECT ${MONTH('order_date')} AS order_date_month, SUM(amount) AS revenue FROM acme_orders WHERE year(order_date) = 2024 GROUP BY 1 HAVING SUM(amount) > 1300000` },
  // A metric condition with only dimensions selected: grouped, not DISTINCT (was a 500).
  { url: 'orders?$select=region&$filter=revenue gt 10000000', sql: 'SELECT region FROM acme_orders GROUP BY 1 HAVING SUM(amount) > 10000000' },
  { url: 'orders?$select=units&$filter=units gt 0', sql: 'SELECT SUM(quantity) AS units FROM acme_orders HAVING SUM(quantity) > 0' },

  // $apply: groupby/aggregate variants, filter() steps, and $filter after $apply.
  { url: 'orders?$apply=groupby((region),aggregate(revenue with sum as total))', sql: 'SELECT region, SUM(amount) AS total FROM acme_orders GROUP BY 1' },
  { url: 'orders?$apply=groupby((region,channel),aggregate(order_count with sum as n))', sql: 'SELECT region, channel, COUNT(*) AS n FROM acme_orders GROUP BY 1, 2' },
  { url: 'orders?$apply=groupby((category),aggregate($count as n))', sql: 'SELECT category, COUNT(*) AS n FROM acme_orders GROUP BY 1' },
  { url: 'orders?$apply=aggregate(revenue with sum as total)', sql: 'SELECT SUM(amount) AS total FROM acme_orders' },
  { url: 'orders?$apply=aggregate($count as n,revenue with sum as total)', sql: 'SELECT COUNT(*) AS n, SUM(amount) AS total FROM acme_orders' },
  { url: 'orders?$apply=groupby((region),aggregate(customers with countdistinct as c))', sql: 'SELECT region, COUNT(DISTINCT customer_id) AS c FROM acme_orders GROUP BY 1' },
  { url: 'orders?$apply=groupby((channel),aggregate(avg_discount with average as d))', sql: 'SELECT channel, AVG(discount) AS d FROM acme_orders GROUP BY 1' },
  { url: 'orders?$apply=groupby((region),aggregate(order_id with max as last,order_id with min as first))', sql: 'SELECT region, MAX(order_id) AS last, MIN(order_id) AS first FROM acme_orders GROUP BY 1' },
  { url: 'orders?$apply=groupby((region),aggregate(order_date with min as d0,order_date with max as d1))', sql: 'SELECT region, MIN(order_date) AS d0, MAX(order_date) AS d1 FROM acme_orders GROUP BY 1' },
  { url: 'orders?$apply=groupby((channel),aggregate(country_code with countdistinct as countries))', sql: 'SELECT channel, COUNT(DISTINCT country_code) AS countries FROM acme_orders GROUP BY 1' },
  { url: 'orders?$apply=groupby((region),aggregate(order_id with sum as s,order_id with average as a))', sql: 'SELECT region, SUM(order_id) AS s, AVG(order_id) AS a FROM acme_orders GROUP BY 1' },
  { url: 'orders?$apply=groupby((region),aggregate(revenue))', sql: `${REG_REV} GROUP BY 1` },
  { url: 'orders?$apply=groupby((region),aggregate(revenue with sum as revenue))', sql: `${REG_REV} GROUP BY 1` },
  { url: 'orders?$apply=groupby((region))', sql: 'SELECT DISTINCT region FROM acme_orders' },
  { url: 'orders?$apply=groupby((order_date_year,region),aggregate(units with sum as u))', sql: `SELECT ${YEAR('order_date')} AS order_date_year, region, SUM(quantity) AS u FROM acme_orders GROUP BY 1, 2` },
  { url: "orders?$apply=filter(channel eq 'web')/groupby((region),aggregate(revenue with sum as total))", sql: "SELECT region, SUM(amount) AS total FROM acme_orders WHERE channel = 'web' GROUP BY 1" },
  { url: 'orders?$apply=filter(year(order_date) eq 2025)/filter(is_promo)/aggregate($count as n)', sql: 'SELECT COUNT(*) AS n FROM acme_orders WHERE year(order_date) = 2025 AND is_promo' },
  { url: "orders?$apply=filter(contains(tolower(category),'ware'))/groupby((category),aggregate(order_count with sum as n))", sql: "SELECT category, COUNT(*) AS n FROM acme_orders WHERE lower(category) LIKE '%ware%' GROUP BY 1" },
  { url: "orders?$apply=filter(region eq 'EU' or channel eq 'store')/groupby((region,channel),aggregate($count as n))", sql: "SELECT region, channel, COUNT(*) AS n FROM acme_orders WHERE region = 'EU' OR channel = 'store' GROUP BY 1, 2" },
  { url: 'orders?$apply=groupby((region),aggregate($count as n))&$filter=n gt 15000', sql: 'SELECT region, COUNT(*) AS n FROM acme_orders GROUP BY 1 HAVING COUNT(*) > 15000' },
  { url: "orders?$apply=groupby((region),aggregate(revenue with sum as total))&$filter=region ne 'EU'", sql: "SELECT region, SUM(amount) AS total FROM acme_orders WHERE region <> 'EU' GROUP BY 1" },
  { url: "orders?$apply=groupby((region),aggregate(revenue with sum as total))&$filter=total gt 10000000 and region ne 'EU'", sql: "SELECT region, SUM(amount) AS total FROM acme_orders WHERE region <> 'EU' GROUP BY 1 HAVING SUM(amount) > 10000000" },
  { url: 'orders?$apply=groupby((region),aggregate(revenue with sum as total))&$orderby=total desc', sql: 'SELECT region, SUM(amount) AS total FROM acme_orders GROUP BY 1 ORDER BY 2 DESC', ordered: true },
  { url: 'orders?$apply=groupby((channel),aggregate($count as n))&$orderby=channel desc&$top=2', sql: 'SELECT channel, COUNT(*) AS n FROM acme_orders GROUP BY 1 ORDER BY 1 DESC LIMIT 2', ordered: true },
  { url: 'orders?$apply=groupby((region),aggregate(revenue with sum as total))&$count=true', sql: 'SELECT region, SUM(amount) AS total FROM acme_orders GROUP BY 1', count: 'rows' },
  { url: 'customers?$apply=groupby((segment),aggregate(customer_count with sum as n))', sql: 'SELECT segment, COUNT(*) AS n FROM acme_customers GROUP BY 1' },
  { url: 'countries?$apply=groupby((region),aggregate(population with sum as p))', sql: 'SELECT region, SUM(population_millions) AS p FROM countries GROUP BY 1' },
  { url: 'orders?%24apply=groupby((region)%2Caggregate(revenue%20with%20sum%20as%20total))', sql: 'SELECT region, SUM(amount) AS total FROM acme_orders GROUP BY 1' },

  // $orderby, $top, $skip (the default order is every dimension ascending).
  { url: 'orders?$select=region,revenue&$orderby=revenue desc', sql: `${REG_REV} GROUP BY 1 ORDER BY 2 DESC`, ordered: true },
  { url: 'orders?$select=region,revenue&$orderby=region asc', sql: `${REG_REV} GROUP BY 1 ORDER BY 1`, ordered: true },
  { url: 'orders?$select=region,channel,order_count&$orderby=region desc,channel asc', sql: 'SELECT region, channel, COUNT(*) AS order_count FROM acme_orders GROUP BY 1, 2 ORDER BY 1 DESC, 2', ordered: true },
  { url: 'orders?$select=order_id,revenue&$orderby=order_id&$top=10', sql: `${ID('true')} ORDER BY 1 LIMIT 10`, ordered: true },
  { url: 'orders?$select=order_id,revenue&$orderby=order_id desc&$top=5&$skip=5', sql: `${ID('true')} ORDER BY 1 DESC LIMIT 5 OFFSET 5`, ordered: true },
  { url: 'orders?$select=country_code,order_count&$orderby=order_count desc,country_code&$top=3', sql: 'SELECT country_code, COUNT(*) AS order_count FROM acme_orders GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3', ordered: true },
  { url: 'orders?$select=category,revenue&$orderby=category&$skip=2', sql: 'SELECT category, SUM(amount) AS revenue FROM acme_orders GROUP BY 1 ORDER BY 1 OFFSET 2', ordered: true },
  { url: 'orders?$select=region&$top=0', sql: 'SELECT region FROM acme_orders LIMIT 0' },
  { url: 'orders?$select=order_date_month,revenue&$orderby=order_date_month desc&$top=3', sql: `SELECT ${MONTH('order_date')} AS order_date_month, SUM(amount) AS revenue FROM acme_orders GROUP BY 1 ORDER BY 1 DESC LIMIT 3`, ordered: true },
  { url: 'orders?$select=region,channel,revenue&$orderby=revenue desc&$top=1', sql: 'SELECT region, channel, SUM(amount) AS revenue FROM acme_orders GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1', ordered: true },
  { url: 'orders?$select=region,revenue&$top=2', sql: `${REG_REV} GROUP BY 1 ORDER BY 1 LIMIT 2`, ordered: true },
  { url: 'orders?$select=region,channel,units&$skip=10', sql: 'SELECT region, channel, SUM(quantity) AS units FROM acme_orders GROUP BY 1, 2 ORDER BY 1, 2 OFFSET 10', ordered: true },
  { url: "customers?$select=customer_name,segment&$filter=startswith(customer_name,'Customer 01')&$orderby=customer_name desc&$top=4", sql: "SELECT customer_name, segment FROM acme_customers WHERE customer_name LIKE 'Customer 01%' ORDER BY 1 DESC LIMIT 4", ordered: true },
  { url: 'countries?$select=country_name,population&$orderby=population desc,country_name&$skip=1&$top=3', sql: 'SELECT country_name, SUM(population_millions) AS population FROM countries GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3 OFFSET 1', ordered: true },

  // $count=true and /$count.
  { url: 'orders?$select=region,revenue&$count=true', sql: `${REG_REV} GROUP BY 1`, count: 'rows' },
  { url: 'orders?$select=order_id&$filter=order_id lt 1000&$count=true&$top=5&$orderby=order_id', sql: 'SELECT order_id FROM acme_orders WHERE order_id < 1000 ORDER BY 1 LIMIT 5', ordered: true, count: 'SELECT COUNT(*) FROM acme_orders WHERE order_id < 1000' },
  { url: "orders?$select=channel,revenue&$filter=revenue gt 15000000&$count=true", sql: 'SELECT channel, SUM(amount) AS revenue FROM acme_orders GROUP BY 1 HAVING SUM(amount) > 15000000', count: 'rows' },
  { url: "orders/$count?$filter=region eq 'EU'", sql: "SELECT COUNT(*) FROM acme_orders WHERE region = 'EU'", plain: true },
  { url: 'orders/$count', sql: 'SELECT COUNT(*) FROM acme_orders', plain: true },
  { url: 'orders/$count', sql: "SELECT COUNT(*) FROM orders WHERE tenant_id = 'globex_inc'", plain: true, key: 'globex' },
  { url: 'customers/$count', sql: 'SELECT COUNT(*) FROM acme_customers', plain: true },
  { url: 'countries/$count', sql: 'SELECT COUNT(*) FROM countries', plain: true },
  { url: "orders/$count?$filter=year(order_date) eq 2025 and channel eq 'web'", sql: "SELECT COUNT(*) FROM acme_orders WHERE year(order_date) = 2025 AND channel = 'web'", plain: true },
  { url: 'orders/$count?$select=region,channel', sql: 'SELECT COUNT(DISTINCT (region, channel)) FROM acme_orders', plain: true },
  { url: 'orders/$count?$apply=groupby((region))', sql: 'SELECT COUNT(DISTINCT region) FROM acme_orders', plain: true },
  { url: 'orders/$count?$select=region,revenue&$filter=revenue gt 10000000', sql: 'SELECT COUNT(*) FROM (SELECT region FROM acme_orders GROUP BY 1 HAVING SUM(amount) > 10000000)', plain: true },
];
