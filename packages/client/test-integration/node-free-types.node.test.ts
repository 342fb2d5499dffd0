/**
 * The client's own type-check sees no Node types (`"types": []`, and no test in src that
 * pulls them in through `ws` or `@spool/server`): code in packages/client/src that uses
 * `Buffer` or `process` must fail it, so the client stays runnable in browsers and edge
 * runtimes by construction (docs/architecture.md). The file checked here is virtual: it
 * is handed to the compiler as if it were in src, and never written to disk.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const clientDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const probe = join(clientDir, 'src', '__node_types_probe__.ts');

/** Type-checks the client's src with `source` added as a file of it; returns the probe's diagnostics. */
function checkWithProbe(source: string, types?: string[]): readonly ts.Diagnostic[] {
  const configPath = join(clientDir, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, clientDir, undefined, configPath);
  // Core is type-checked from source here rather than through its build output (project
  // references need `tsc -b` first): same types, and core is Node-free itself.
  const options: ts.CompilerOptions = {
    ...parsed.options,
    composite: false,
    declaration: false,
    emitDeclarationOnly: false,
    rootDir: undefined,
    noEmit: true,
    ...(types ? { types } : {}),
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) =>
    name === probe ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest);
  host.fileExists = (name) => name === probe || fileExists(name);
  host.readFile = (name) => (name === probe ? source : readFile(name));
  const program = ts.createProgram({ rootNames: [...parsed.fileNames, probe], options, host });
  return ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === probe);
}

const names = (diagnostics: readonly ts.Diagnostic[]) =>
  diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));

describe("the client's type-check", () => {
  it('rejects Buffer and process in packages/client/src', () => {
    const errors = names(checkWithProbe("export const leak = Buffer.from(process.env.X ?? '');"));
    expect(errors.some((m) => m.includes("Cannot find name 'Buffer'"))).toBe(true);
    expect(errors.some((m) => m.includes("Cannot find name 'process'"))).toBe(true);
  }, 60_000);

  it('accepts the same file once Node types are opted in, so the check above is about types only', () => {
    expect(names(checkWithProbe("export const leak = Buffer.from(process.env.X ?? '');", ['node']))).toEqual(
      [],
    );
  }, 60_000);

  it('accepts Web-standard code in src', () => {
    expect(names(checkWithProbe("export const bytes = new TextEncoder().encode('é');"))).toEqual([]);
  }, 60_000);
});
