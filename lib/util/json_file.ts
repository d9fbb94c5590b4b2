import { readFileSync } from 'node:fs';

/**
 * A JSON file's parsed contents; errors name the file and say whether it could not be read (`what` it is)
 * or is not JSON (`hint` goes before the parser's message, e.g. 'truncated or edited? ').
 */
export function readJsonFile(path: string, what: string, hint = ''): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read ${what} (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${hint}${(e as Error).message})`);
  }
}
