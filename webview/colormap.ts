/**
 * A perceptually ordered sequential colour map (dark blue → teal → yellow) for heatmaps. It keeps
 * its order on light, dark and high-contrast backgrounds because lightness rises monotonically.
 */
const STOPS: readonly [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

type Rgb = [number, number, number];

/** The colour at t ∈ [0, 1] (clamped; non-finite reads as 0) along evenly spaced stops. */
function interpolate(stops: readonly Rgb[], t: number): Rgb {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [stops[i], stops[i + 1]];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f)) as Rgb;
}

/** RGB for t in [0, 1] (clamped), interpolated linearly between the stops. */
export function sequentialColor(t: number): Rgb {
  return interpolate(STOPS, t);
}

/** Decades below the lag-0 norm that the gradient heatmap spans: 1 (top) down to 1e-8. */
export const GRAD_DECADES = 8;

/** Position on the colour map of a norm relative to lag 0: 1 → 1.0, 1e-8 or less → 0. */
export function gradShade(relative: number): number {
  if (!(relative > 0)) return 0;
  return Math.max(0, 1 + Math.min(0, Math.log10(relative)) / GRAD_DECADES);
}

const DIVERGING: readonly [number, number, number][] = [
  [33, 102, 172],
  [146, 197, 222],
  [247, 247, 247],
  [244, 165, 130],
  [178, 24, 43],
];

/** Blue (−1) through near-white (0) to red (+1), for signed values such as c, h and candidates. */
export function divergingColor(v: number): Rgb {
  return interpolate(DIVERGING, ((Number.isFinite(v) ? v : 0) + 1) / 2);
}

/**
 * 256 colours of a map as packed RGBA words (ImageData byte order on little-endian machines, which
 * every browser that runs VS Code is), for painting hundreds of thousands of cells quickly.
 */
export function packedTable(color: (t: number) => Rgb): Uint32Array {
  const table = new Uint32Array(256);
  const bytes = new Uint8Array(table.buffer);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = color(i / 255);
    bytes.set([r, g, b, 255], i * 4);
  }
  return table;
}

export const SEQUENTIAL_TABLE = packedTable(sequentialColor);
/** Index 0 is −1, 255 is +1. */
export const DIVERGING_TABLE = packedTable((t) => divergingColor(t * 2 - 1));
