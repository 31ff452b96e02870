/**
 * Requests the OData endpoint must refuse with a 400 in OData's error JSON: constructs that
 * cannot be translated exactly, unknown or hidden properties, and bad syntax. `message`
 * is matched against error.message; where the brief asks for a position, `pos` is the
 * 0-based offset in the option's text the message must name.
 */
export interface ErrorCase {
  readonly url: string;
  readonly message: RegExp;
  readonly pos?: number;
  readonly target?: string;
  readonly status?: number;
}

const F = 'orders?$select=region,revenue&$filter=';

export const ERROR_CASES: readonly ErrorCase[] = [
  // Functions semgate does not translate.
  { url: `${F}length(region) eq 2`, message: /length\(\)/, pos: 0, target: '$filter' },
  { url: `${F}region eq 'EU' and substring(region,1) eq 'U'`, message: /substring\(\)/, pos: 19 },
  { url: `${F}concat(region,'x') eq 'EUx'`, message: /concat\(\)/, pos: 0 },
  { url: `${F}indexof(region,'E') eq 0`, message: /indexof\(\)/ },
  { url: `${F}trim(region) eq 'EU'`, message: /trim\(\)/ },
  { url: `${F}round(order_id) eq 1`, message: /round\(\)/ },
  { url: `${F}hour(order_date) eq 1`, message: /hour\(\)/ },
  { url: `${F}matchesPattern(region,'^E')`, message: /matchesPattern\(\)/i, pos: 0 },
  { url: `${F}year(region) eq 2025`, message: /year\(\) of a string/, pos: 0 },
  { url: `${F}tolower(order_id) eq '1'`, message: /tolower\(\) of a number/ },
  // Arithmetic and comparisons that are not property-vs-literal.
  { url: `${F}order_id add 1 gt 5`, message: /position \d+/ },
  { url: `${F}order_id mul 2 eq 4`, message: /position \d+/ },
  { url: `${F}-order_id lt 0`, message: /position \d+/ },
  { url: `${F}region eq channel`, message: /not between a property and a literal/, pos: 0 },
  { url: `${F}'EU' eq 'EU'`, message: /not between a property and a literal/ },
  { url: `${F}region in (channel,'EU')`, message: /may only contain literal values.*position 18/ },
  // Lambdas and paths.
  { url: `${F}region/any(x: x eq 'EU')`, message: /position \d+/ },
  { url: `${F}region/all(x: x eq 'EU')`, message: /position \d+/ },
  // Names the entity set does not have, or may not be filtered.
  { url: `${F}nosuch eq 1`, message: /no property 'nosuch'/, pos: 0 },
  { url: `${F}region eq 'EU' and Region eq 'EU'`, message: /no property 'Region'.*position 19/ },
  { url: `${F}_key eq '["EU"]'`, message: /no property '_key'/, pos: 0 },
  { url: 'orders?$select=region,nosuch', message: /no property 'nosuch'/, target: '$select' },
  { url: 'orders?$select=channel&$orderby=region', message: /selected/, target: '$orderby' },
  { url: 'orders?$select=region&$filter=n gt 3', message: /no property 'n'/ },
  // Metric and dimension in one 'or'; metrics in $apply where they cannot go.
  { url: `${F}revenue gt 1 or region eq 'EU'`, message: /'or' between a metric and a dimension/, target: '$filter' },
  { url: `${F}not (revenue gt 1 or region eq 'EU')`, message: /'or' between a metric and a dimension/ },
  { url: 'orders?$apply=groupby((revenue))', message: /groupby of the metric 'revenue'/ },
  { url: 'orders?$apply=aggregate(revenue with max as m)', message: /revenue with max/ },
  { url: 'orders?$apply=aggregate(order_count with average as m)', message: /order_count with avg.*position 10/ },
  { url: 'orders?$apply=groupby((channel),aggregate(region with sum as s))', message: /sum of the string property 'region'/ },
  { url: 'orders?$apply=groupby((region),aggregate(revenue with sum as channel))', message: /alias 'channel'/ },
  { url: 'orders?$apply=groupby((channel),aggregate(revenue with sum as channel))', message: /alias 'channel'/ },
  { url: 'orders?$apply=groupby((region),aggregate(order_count with sum as revenue))', message: /alias 'revenue'/, pos: 27 },
  { url: 'orders?$apply=aggregate($count as n,revenue with sum as n)', message: /alias 'n'/ },
  { url: 'orders?$apply=aggregate($count as _key)', message: /alias '_key'/ },
  { url: "orders?$apply=groupby((region))/filter(region eq 'EU')", message: /after groupby/ },
  { url: "orders?$apply=filter(region eq 'EU')", message: /needs groupby/ },
  { url: 'orders?$apply=groupby((region),aggregate($count as n))&$select=channel', message: /does not produce/ },
  { url: 'orders?$apply=groupby((region),aggregate($count as n))&$filter=channel eq \'web\'', message: /only name properties the \$apply produces/ },
  // Type mismatches of literals.
  { url: `${F}region gt 5`, message: /expects a string, got number/ },
  { url: `${F}order_date eq 'yesterday'`, message: /./ },
  { url: `${F}order_date eq 2025-13-45`, message: /./ },
  { url: `${F}is_promo eq 1`, message: /./ },
  { url: `${F}revenue gt null`, message: /gt null/ },
  { url: `${F}region`, message: /used as a condition/, pos: 0 },
  { url: `${F}42`, message: /used as a condition/ },
  // Options semgate does not support, and bad syntax with its position.
  { url: 'orders?$expand=customers', message: /\$expand is not supported/, target: '$expand' },
  { url: 'orders?$search=EU', message: /\$search is not supported/ },
  { url: 'orders?$compute=order_id add 1 as x', message: /\$compute is not supported/ },
  { url: 'orders?$format=xml', message: /only returns JSON/ },
  { url: 'orders?$frobnicate=1', message: /unknown system query option/ },
  { url: 'orders?$top=-1', message: /non-negative/, target: '$top' },
  { url: 'orders?$top=ten', message: /non-negative/ },
  { url: 'orders?$skip=1.5', message: /position/, target: '$skip' },
  { url: 'orders?$count=yes', message: /true or false/ },
  { url: 'orders?$top=1&$top=2', message: /twice/ },
  { url: `${F}region eq`, message: /position 9/ },
  { url: `${F}region eq 'EU' and`, message: /position 18/ },
  { url: `${F}(region eq 'EU'`, message: /position 15/ },
  { url: `${F}region eq 'EU`, message: /position 10/ },
  { url: `${F}region eq 'EU' region`, message: /position 15/ },
  { url: `${F}region eq%2B'EU'`, message: /position 9/ },
  { url: 'orders?$select=region,,revenue', message: /position 7/, target: '$select' },
  { url: 'orders?$orderby=region sideways&$select=region', message: /position 7/ },
  { url: 'orders?$apply=groupby(region)', message: /position 8/ },
  { url: `${F}region eq %ZZ`, message: /percent-encoding/ },
  // Not 400: an unknown entity set is 404, still in OData's error JSON.
  { url: 'nosuchset', message: /no entity set 'nosuchset'/, status: 404 },
];
