import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dashboardDirOf } from './bundled-dashboard';

let top: string;
const build = (dir: string) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<div id="root"></div>');
};

beforeEach(() => {
  top = mkdtempSync(join(tmpdir(), 'spool-dash-dir-'));
});
afterEach(() => {
  rmSync(top, { recursive: true, force: true });
});

describe('dashboardDirOf', () => {
  it('an installed package (no sources): the build shipped in dist/dashboard', () => {
    const root = join(top, 'node_modules', '@spool', 'server');
    build(join(root, 'dist', 'dashboard'));
    expect(dashboardDirOf(root)).toBe(join(root, 'dist', 'dashboard'));
  });

  it("the repository: the dashboard's own build first, since the copy in dist/ may be stale", () => {
    const root = join(top, 'packages', 'server');
    mkdirSync(join(root, 'src'), { recursive: true });
    build(join(root, 'dist', 'dashboard'));
    expect(dashboardDirOf(root)).toBe(join(root, 'dist', 'dashboard'));
    build(join(top, 'apps', 'dashboard', 'dist'));
    expect(dashboardDirOf(root)).toBe(join(top, 'apps', 'dashboard', 'dist'));
  });

  it('no build anywhere: the first place, where dashboardAssets says how to build it', () => {
    const root = join(top, 'packages', 'server');
    mkdirSync(join(root, 'src'), { recursive: true });
    expect(dashboardDirOf(root)).toBe(join(top, 'apps', 'dashboard', 'dist'));
    const installed = join(top, 'installed');
    mkdirSync(installed);
    expect(dashboardDirOf(installed)).toBe(join(installed, 'dist', 'dashboard'));
  });
});
