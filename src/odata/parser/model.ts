/**
 * What the parser may ask about the service's model where the OData grammar itself is
 * ambiguous: is `Items(1)` a key lookup or a function call, may `Sales/Amount` step
 * through a collection, is `Model.Customer` a type or a function, ...
 *
 * semgate parses without a model (OPEN_MODEL: every name is an ordinary property, every
 * qualified name followed by `(` a function, ...) and lets the translator check names
 * against the catalog. The ABNF conformance test passes a model built from the test
 * files' `Constraints`, so the same code also decides the model-dependent cases exactly.
 */

/** What a path segment (property, function result) yields. */
export type ValueKind = 'prim' | 'primCol' | 'complex' | 'complexCol' | 'entity' | 'entityCol' | 'stream' | 'unknown';

export type TypeKind = 'entity' | 'complex' | 'enum' | 'typedef';

export interface ParserModel {
  /** True for the model-less parser: names are never rejected for being unknown. */
  readonly open: boolean;
  /** A structural or navigation property (or dynamic/custom-aggregate name). */
  property(name: string): ValueKind | undefined;
  /** A function (bound or unbound) by its last name segment; `qualified` = written with a namespace. */
  func(name: string, qualified: boolean): ValueKind | undefined;
  functionImport(name: string): ValueKind | undefined;
  /** An unqualified entity/complex/enum/type-definition type name. */
  typeName(name: string): TypeKind | undefined;
  namespace(parts: readonly string[]): boolean;
  entitySet(name: string): boolean;
  singleton(name: string): boolean;
  lambdaVariable(name: string): boolean;
  parameterName(name: string): boolean;
  term(name: string): boolean;
  customAggregate(name: string): boolean;
  action(name: string): boolean;
}

export const OPEN_MODEL: ParserModel = {
  open: true,
  property: () => 'unknown',
  // An unqualified name followed by '(' that is not a canonical function is most likely a
  // typo ("contans(...)"), so without a model only qualified names count as functions.
  func: (_name, qualified) => (qualified ? 'unknown' : undefined),
  functionImport: () => 'unknown',
  typeName: () => 'typedef',
  namespace: () => true,
  entitySet: () => true,
  singleton: () => true,
  lambdaVariable: () => true,
  parameterName: () => true,
  term: () => true,
  customAggregate: () => true,
  action: () => true,
};

export function isCollection(k: ValueKind): boolean {
  return k === 'primCol' || k === 'complexCol' || k === 'entityCol';
}
