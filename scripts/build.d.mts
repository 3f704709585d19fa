/** Types for scripts/build.mjs (the tests import its targets). */
export interface SizeRow {
  /** Path relative to the repository root. */
  file: string;
  raw: number;
  gzip: number;
}

export interface BuildOptions {
  /** The folder that stands for dist/ (default: the repository's dist/). */
  out?: string;
  /** Print nothing (the sizes are still returned). */
  quiet?: boolean;
}

export const root: string;
export function buildNode(opts?: BuildOptions): Promise<SizeRow[]>;
export function buildBrowser(opts?: BuildOptions): Promise<SizeRow[]>;
export function buildTypes(opts?: BuildOptions): SizeRow[];
export function buildDemo(opts?: { quiet?: boolean }): Promise<SizeRow[]>;
