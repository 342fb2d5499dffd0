import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every code block of a recipe is an excerpt of a file under code/ that the recipe links,
// and every such file is run by its own test: a recipe shows only code that runs. A
// TypeScript file is imported by its test; a config file (nginx) is read by its test by name.
const dir = fileURLToPath(new URL('.', import.meta.url));
const recipes = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');

describe('docs/recipes', () => {
  it('has the recipes the index lists', () => {
    const index = readFileSync(`${dir}README.md`, 'utf8');
    for (const recipe of recipes) expect(index).toContain(`(${recipe})`);
    expect(recipes.length).toBe(5);
  });

  for (const recipe of recipes) {
    it(`${recipe}: every code block is in a file it links, and that file has a test`, () => {
      const text = readFileSync(`${dir}${recipe}`, 'utf8');
      const linked = [...text.matchAll(/\]\((code\/[\w-]+\.(?:tsx?|conf))\)/g)].map((m) => m[1]!);
      expect(linked.length).toBeGreaterThan(0);
      const tests = readdirSync(`${dir}code`)
        .filter((f) => /\.test\.tsx?$/.test(f))
        .map((f) => readFileSync(`${dir}code/${f}`, 'utf8'));
      for (const file of linked) {
        expect(existsSync(`${dir}${file}`), file).toBe(true);
        const name = file.slice('code/'.length);
        const use = name.endsWith('.conf') ? `'./${name}'` : `from './${name.replace(/\.tsx?$/, '')}'`;
        expect(
          tests.some((t) => t.includes(use)),
          `${file} is used by a test (${use})`,
        ).toBe(true);
      }
      const sources = linked.map((f) => readFileSync(`${dir}${f}`, 'utf8'));
      const blocks = [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)];
      expect(blocks.length).toBeGreaterThan(0);
      for (const [, lang, body] of blocks) {
        expect(['ts', 'tsx', 'nginx'], `a ${lang || 'plain'} block in ${recipe}`).toContain(lang);
        expect(
          sources.some((s) => s.includes(body!.trimEnd())),
          `this block of ${recipe} is not verbatim in ${linked.join(', ')}:\n${body}`,
        ).toBe(true);
      }
    });
  }
});
