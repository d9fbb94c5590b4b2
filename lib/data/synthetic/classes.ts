/**
 * Class ids and names of the generated data: PartNet's merged level 1, as in spec/reference.md §5.3,
 * so generated and official data share one loader and one set of class ids.
 */
import type { Rgb } from './primitives';

export type SyntheticClass = 'chair' | 'table';
export const SYNTHETIC_CLASSES: readonly SyntheticClass[] = ['chair', 'table'];

/** names[id] (id 0 = background), official spelling. */
export const CLASS_NAMES: Record<SyntheticClass, readonly string[]> = {
  chair: ['background', 'chair_head', 'chair_back', 'chair_arm', 'chair_base', 'chair_seat'],
  table: [
    'background',
    'game_table/ping_pong_table/ping_pong_net',
    'game_table/ping_pong_table/tabletop',
    'game_table/ping_pong_table/table_base',
    'game_table/pool_table/tabletop',
    'game_table/pool_table/table_base',
    'picnic_table/regular_table/tabletop',
    'picnic_table/regular_table/table_base',
    'picnic_table/bench',
    'regular_table/tabletop',
    'regular_table/table_base',
  ],
};

export const CHAIR = { head: 1, back: 2, arm: 3, base: 4, seat: 5 } as const;
export const TABLE = {
  pingPongNet: 1,
  pingPongTop: 2,
  pingPongBase: 3,
  poolTop: 4,
  poolBase: 5,
  picnicTop: 6,
  picnicBase: 7,
  picnicBench: 8,
  regularTop: 9,
  regularBase: 10,
} as const;

/** Folder name of a class: 'chair' → 'Chair'. */
export function classFolder(c: SyntheticClass): string {
  return c[0].toUpperCase() + c.slice(1);
}

/** Accepts 'chair', 'Chair', 'TABLE', …; throws on anything else. */
export function parseSyntheticClass(name: string): SyntheticClass {
  const c = name.toLowerCase();
  if (c === 'chair' || c === 'table') return c;
  throw new Error(`unknown synthetic class '${name}': expected one of ${SYNTHETIC_CLASSES.join(', ')}`);
}

/** `<Class>-level-1.txt`: one `<id> <name>` line per part (background is implicit). */
export function levelOneText(c: SyntheticClass): string {
  return CLASS_NAMES[c]
    .slice(1)
    .map((n, i) => `${i + 1} ${n}\n`)
    .join('');
}

/** Furniture colours (8-bit sRGB): woods, fabrics, plastics, metals. */
export const PALETTE: readonly Rgb[] = [
  [139, 94, 60], // walnut
  [190, 145, 95], // oak
  [96, 62, 38], // dark wood
  [214, 186, 146], // birch
  [178, 44, 44], // red
  [42, 72, 150], // blue
  [58, 118, 72], // green
  [204, 168, 58], // mustard
  [124, 124, 134], // grey
  [48, 48, 54], // black
  [224, 222, 214], // off-white
  [204, 116, 58], // orange
  [108, 62, 124], // purple
  [64, 148, 158], // teal
  [172, 174, 180], // steel
];
