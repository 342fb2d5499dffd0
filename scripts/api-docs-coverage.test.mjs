import { describe, expect, it } from 'vitest';
import { undocumentedSymbols } from './api-docs-coverage.mjs';

// TypeDoc JSON model fragments, shaped as TypeDoc 0.28 writes them (kinds: 2 module,
// 32 variable, 256 interface, 1024 property, 64 function, 65536 type literal).
const doc = (text) => ({ summary: [{ kind: 'text', text }] });
const at = (line) => [{ fileName: 'packages/server/src/x.ts', line }];
const prop = (name, type, comment) => ({ name, kind: 1024, type, comment, sources: at(1) });
const literal = (...children) => ({ type: 'reflection', declaration: { kind: 65536, children } });
const number = { type: 'intrinsic', name: 'number' };
const module = (...children) => ({ kind: 1, name: 'p', children: [{ kind: 2, name: 'entry', children }] });
const names = (project) => undocumentedSymbols(project).map((s) => s.name);

describe('undocumentedSymbols', () => {
  it('finds the undocumented members of an inline object type of a property, not the documented ones', () => {
    const options = {
      name: 'Options',
      kind: 256,
      comment: doc('Options.'),
      children: [
        prop(
          'breakers',
          literal(prop('store', number), prop('broker', number, doc('The broker.'))),
          doc('B.'),
        ),
      ],
    };
    expect(names(module(options))).toEqual(['Options.breakers.store']);
  });

  it('follows unions, arrays, optional types and type arguments, and names the path', () => {
    const stats = {
      name: 'Stats',
      kind: 256,
      comment: doc('Stats.'),
      children: [
        prop('groups', { type: 'array', elementType: literal(prop('name', number)) }, doc('G.')),
        prop(
          'either',
          { type: 'union', types: [literal(prop('ok', number)), { type: 'intrinsic', name: 'null' }] },
          doc('E.'),
        ),
        prop(
          'ro',
          { type: 'reference', name: 'Readonly', typeArguments: [literal(prop('x', number))] },
          doc('R.'),
        ),
      ],
    };
    expect(names(module(stats))).toEqual(['Stats.groups[].name', 'Stats.either.ok', 'Stats.ro.x']);
  });

  it("checks a function's parameters and return type", () => {
    const fn = {
      name: 'make',
      kind: 64,
      signatures: [
        {
          name: 'make',
          kind: 4096,
          comment: doc('Makes.'),
          parameters: [{ name: 'options', kind: 32768, type: literal(prop('cause', number)) }],
          type: literal(prop('id', number)),
        },
      ],
    };
    expect(names(module(fn))).toEqual(['make(options).cause', 'make().id']);
  });

  it("skips a variable's inferred type and inherited members", () => {
    const defaults = {
      name: 'defaults',
      kind: 32,
      comment: doc('D.'),
      type: literal(prop('baseMs', number)),
    };
    const child = {
      name: 'Child',
      kind: 256,
      comment: doc('C.'),
      children: [
        { ...prop('inherited', literal(prop('y', number))), inheritedFrom: { name: 'Base.inherited' } },
      ],
    };
    expect(names(module(defaults, child))).toEqual([]);
  });
});
