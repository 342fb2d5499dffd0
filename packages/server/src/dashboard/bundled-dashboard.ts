import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the built dashboard is: `dist/dashboard` inside the installed `@spool/server`
 * package (its prepack step puts it there), or, in the Spool repository, the dashboard's
 * own build (`apps/dashboard/dist`, then the copy in `dist/dashboard`). Found from this
 * package's root, so it works from the sources, from the build and from node_modules
 * alike (docs/architecture.md "Packages on npm"). When none holds a build, the first place
 * is returned and `dashboardAssets` serves a page saying how to build it.
 *
 * @example
 * const assets = dashboardAssets(bundledDashboardDir());
 */
export function bundledDashboardDir(): string {
  let root = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
  return dashboardDirOf(root);
}

/** {@link bundledDashboardDir} for the package whose root folder is `root`. */
export function dashboardDirOf(root: string): string {
  const shipped = join(root, 'dist', 'dashboard');
  // In the repository (the sources are there), the dashboard's own build comes first: the
  // copy in dist/ is only as fresh as the last `pnpm build`.
  const places = existsSync(join(root, 'src'))
    ? [join(root, '..', '..', 'apps', 'dashboard', 'dist'), shipped]
    : [shipped];
  return places.find((dir) => existsSync(join(dir, 'index.html'))) ?? places[0]!;
}
