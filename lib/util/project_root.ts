/**
 * The project's root folder (the one holding semantic-srn's package.json), found by walking up from this
 * module's folder. The same answer whether lib/ runs from source (tsx), from the prebuilt copy the notebooks
 * import (`.cache/lib-dist`, `npm run build:lib`) or through the notebooks' `lib` symlink — where a fixed
 * `join(__dirname, '..', '..')` would point into `.cache/`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const PACKAGE_NAME = 'semantic-srn';
const found = new Map<string, string | null>();

/** The nearest folder at or above `from` whose package.json is named semantic-srn, or null. */
export function findProjectRoot(from: string): string | null {
  const start = resolve(from);
  const hit = found.get(start);
  if (hit !== undefined) return hit;
  let root: string | null = null;
  for (let d = start; ; d = dirname(d)) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) {
          root = d;
          break;
        }
      } catch {
        // unreadable package.json: keep walking
      }
    }
    if (dirname(d) === d) break;
  }
  found.set(start, root);
  return root;
}

/** The project root above this module; the working directory when lib/ sits outside the project (copied elsewhere). */
export function projectRoot(): string {
  return findProjectRoot(__dirname) ?? process.cwd();
}
