/**
 * A folder of resumable state whose JSON names the settings it was made under (its fingerprint): the U-Net grid
 * journal and the U-Net training checkpoint. A folder of other settings, or one that fails its checks, is set aside
 * (renamed, never deleted) so that the run starts afresh and nothing is lost.
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export interface OpenedDir<D> {
  /** The folder's document when its fingerprint matches and `check` accepted it; null otherwise. */
  doc: D | null;
  /** Where a folder of other settings (or a damaged one) went; null when none was found. */
  setAside: string | null;
}

/**
 * Reads `<dir>/<file>`: a missing file gives `{ doc: null }`; a matching fingerprint runs `check` (which reads and
 * verifies whatever else the document names, throwing when it fails); any other outcome renames `dir` to
 * `<dir>.other-config-<time>` or `<dir>.unreadable-<time>`.
 */
export function openFingerprintedDir<D extends { fingerprint: unknown }>(dir: string, file: string, fingerprint: unknown, check: (doc: D) => void): OpenedDir<D> {
  if (!existsSync(join(dir, file))) return { doc: null, setAside: null };
  let why = 'other-config';
  try {
    const doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as D;
    if (doc && typeof doc === 'object' && JSON.stringify(doc.fingerprint) === JSON.stringify(fingerprint)) {
      why = 'unreadable';
      check(doc);
      return { doc, setAside: null };
    }
  } catch {
    why = 'unreadable';
  }
  const setAside = `${dir}.${why}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  renameSync(dir, setAside);
  return { doc: null, setAside };
}
