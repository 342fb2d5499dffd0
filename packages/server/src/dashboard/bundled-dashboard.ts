import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the built dashboard is: `dist/dashboard` inside the installed `@spool/server`
 * package (its prepack step puts it there), or, in the Spool repository, the dashboard's
 * own build (`apps/dashboard/dist`). Found from this package's root, so it works from the
 * sources, from the build and from node_modules alike (docs/architecture.md "Packages on npm").
 * When neither holds a build, the first place is returned and `dashboardAssets` serves a
 * page saying how to build it.
 *
 * @example
 * const assets = dashboardAssets(bundledDashboardDir());
 */
export function bundledDashboardDir(): string {
  let root = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
  const places = [join(root, 'dist', 'dashboard'), join(root, '..', '..', 'apps', 'dashboard', 'dist')];
  return places.find((dir) => existsSync(join(dir, 'index.html'))) ?? places[0]!;
}
