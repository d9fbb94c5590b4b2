/**
 * An earlier version of a publication under docs/results, for "Changed since …" sections (scripts/publish-sweep.ts,
 * scripts/publish-mask.ts --compare-to). Those publications are rewritten in place, so their earlier version is a
 * file kept aside, its folder, or the same path at a git revision.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface EarlierPublication {
  /** Markdown naming it: `` `FILE` `` or `` `PATH` at COMMIT ``. */
  label: string;
  /** Where it was read, for error messages. */
  where: string;
  doc: unknown;
}

/**
 * `spec` as a file, a folder holding `fileName`, else a git revision at which `repoRel` (the publication's own file,
 * relative to `repoRoot`) is read. Errors name the option, the spec and what was expected.
 */
export function readEarlierPublication(spec: string, fileName: string, repoRel: string, repoRoot: string, option = '--compare-to'): EarlierPublication {
  const parse = (text: string, where: string) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new Error(`${where}: not JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  };
  if (existsSync(spec)) {
    const file = statSync(spec).isDirectory() ? join(spec, fileName) : spec;
    if (!existsSync(file)) throw new Error(`${option} ${spec}: a folder without ${fileName}`);
    return { label: `\`${file}\``, where: file, doc: parse(readFileSync(file, 'utf8'), file) };
  }
  const git = (args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  let commit: string;
  try {
    commit = git(['rev-parse', '--short', `${spec}^{commit}`]).trim();
  } catch {
    throw new Error(`${option} ${spec}: neither a file nor a folder nor a git revision`);
  }
  let text: string;
  try {
    text = git(['show', `${commit}:${repoRel}`]);
  } catch {
    throw new Error(`${option} ${spec}: ${repoRel} is not in git at ${commit}`);
  }
  const where = `${repoRel} at ${commit}`;
  return { label: `\`${repoRel}\` at ${commit}`, where, doc: parse(text, where) };
}
