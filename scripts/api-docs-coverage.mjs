// The documentation check of `pnpm docs`: every exported symbol of the API reference has a
// doc comment. It reads TypeDoc's JSON model rather than using TypeDoc's own `notDocumented`
// validation, which in 0.28 only works for a single entry point.
// The model's format: https://typedoc.org/api/interfaces/JSONOutput.ProjectReflection.html

/** The reflection kinds that need a comment (TypeDoc's `ReflectionKind` values). */
export const CHECKED_KINDS = new Map([
  [8, 'enum'],
  [16, 'enum member'],
  [32, 'variable'],
  [64, 'function'],
  [128, 'class'],
  [256, 'interface'],
  [1024, 'property'],
  [2048, 'method'],
  [262144, 'accessor'],
  [2097152, 'type alias'],
]);

const PROJECT = 1;
const MODULE = 2;

const hasText = (comment) =>
  !!comment && (comment.summary.some((part) => part.text.trim() !== '') || comment.blockTags?.length > 0);

// A comment on a function's or method's signature, or on an accessor's getter or setter,
// documents the symbol: that is where TypeDoc puts a comment written above the declaration.
const isDocumented = (reflection) =>
  hasText(reflection.comment) ||
  (reflection.signatures ?? []).some(isDocumented) ||
  (!!reflection.getSignature && isDocumented(reflection.getSignature)) ||
  (!!reflection.setSignature && isDocumented(reflection.setSignature));

const VARIABLE = 32;

/**
 * The symbols of a TypeDoc JSON model that have no doc comment, one per entry point that
 * exports them. Members inherited from another class or interface are skipped: they are
 * checked where they are declared.
 *
 * The members of inline object types are symbols too: TypeDoc lists them on the page of the
 * declaration that holds them (`breakers: { store; broker }` in an options interface, the
 * fields of `{ ok: true; value } | { ok: false; error }`, an `options?: { cause }` parameter,
 * `groups: Array<{ name; pending }>`), so each needs its comment like any property. They are
 * found through unions, intersections, arrays, tuples, `readonly` and type arguments
 * (`Readonly<{ … }>`), and named by their path (`SpoolStats.connections.ws`,
 * `XpendingSummary.consumers[].name`, `SpoolError.constructor(options).cause`,
 * `decodeFrame().error`). A variable's type is not walked: a variable declared without a type
 * has the type TypeDoc infers from its value (`backoffDefaults`, `ErrorCode`), whose fields
 * are the values themselves and are documented where they are used (the `@default` of the
 * option each one fills).
 *
 * @param project TypeDoc's JSON output (`--json`).
 * @param entryName names an entry point from its module reflection (for example by its
 *   source file); defaults to the module's name.
 * @returns `{ entry, name, kind, source }` for each undocumented symbol, where `name` is
 *   dotted (`Spool.close`) and `source` is `file:line`.
 */
export function undocumentedSymbols(project, entryName = (module) => module.name) {
  const found = [];
  const walk = (reflection, entry, parent) => {
    const name = parent ? `${parent}.${reflection.name}` : reflection.name;
    const kind = CHECKED_KINDS.get(reflection.kind);
    if (reflection.inheritedFrom) return;
    if (kind && !isDocumented(reflection)) {
      const source = reflection.sources?.[0];
      found.push({ entry, name, kind, source: source ? `${source.fileName}:${source.line}` : '' });
    }
    for (const child of reflection.children ?? []) walk(child, entry, name);
    if (reflection.kind !== VARIABLE) walkTypesOf(reflection, entry, name);
  };
  // The inline object types in a declaration's own type, its signatures' parameters and
  // return types, and its accessors.
  const walkTypesOf = (reflection, entry, name) => {
    walkType(reflection.type, entry, name);
    for (const signature of reflection.signatures ?? []) walkSignature(signature, entry, name);
    for (const signature of reflection.indexSignatures ?? []) walkType(signature.type, entry, `${name}[]`);
    if (reflection.getSignature) walkType(reflection.getSignature.type, entry, name);
    if (reflection.setSignature) walkSignature(reflection.setSignature, entry, name);
  };
  const walkSignature = (signature, entry, name) => {
    for (const parameter of signature.parameters ?? []) {
      walkType(parameter.type, entry, `${name}(${parameter.name})`);
    }
    walkType(signature.type, entry, `${name}()`);
  };
  const walkType = (type, entry, name) => {
    if (!type) return;
    switch (type.type) {
      case 'reflection': {
        const declaration = type.declaration;
        for (const child of declaration.children ?? []) walk(child, entry, name);
        for (const signature of declaration.signatures ?? []) walkSignature(signature, entry, name);
        for (const signature of declaration.indexSignatures ?? []) {
          walkType(signature.type, entry, `${name}[]`);
        }
        break;
      }
      case 'union':
      case 'intersection':
        for (const member of type.types) walkType(member, entry, name);
        break;
      case 'array':
        walkType(type.elementType, entry, `${name}[]`);
        break;
      case 'optional':
      case 'rest':
        walkType(type.elementType, entry, name);
        break;
      case 'tuple':
        for (const element of type.elements ?? []) walkType(element, entry, `${name}[]`);
        break;
      case 'namedTupleMember':
        walkType(type.element, entry, name);
        break;
      case 'typeOperator':
        walkType(type.target, entry, name);
        break;
      case 'reference':
        for (const argument of type.typeArguments ?? []) walkType(argument, entry, name);
        break;
    }
  };
  const modules = (project.children ?? []).filter((child) => child.kind === MODULE);
  if (project.kind === PROJECT && modules.length === 0) {
    // One entry point: TypeDoc puts its symbols straight under the project.
    for (const child of project.children ?? []) walk(child, project.name, '');
  } else {
    for (const module of modules) {
      for (const child of module.children ?? []) walk(child, entryName(module), '');
    }
  }
  return found;
}

/** One line per undocumented symbol: its entry, its name and kind, and where it is declared. */
export function formatUndocumented(symbols) {
  return symbols
    .map(({ entry, name, kind, source }) => `  ${entry}  ${name} (${kind})${source ? `  ${source}` : ''}`)
    .join('\n');
}
