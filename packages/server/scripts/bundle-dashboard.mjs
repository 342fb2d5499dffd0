// Copies the built dashboard (apps/dashboard/dist) into this package's dist/dashboard, so
// `spool serve` from an installed package serves it (docs/architecture.md "Packages on npm").
// Runs before `pnpm pack` (prepack) and at the end of the root `pnpm build`.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../../../apps/dashboard/dist/', import.meta.url));
const to = fileURLToPath(new URL('../dist/dashboard/', import.meta.url));

if (!existsSync(`${from}index.html`)) {
  console.error(
    `bundle-dashboard: no built dashboard in ${from}; run \`pnpm --filter @spool/dashboard build\` (or \`pnpm build\`) first.`,
  );
  process.exit(1);
}
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
console.log(`bundle-dashboard: ${from} -> ${to}`);
