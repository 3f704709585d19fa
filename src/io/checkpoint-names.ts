/**
 * The language-model checkpoint format ('dsmoe-lm', docs/checkpoint-format.md)
 * and its tensor names, by format version.
 *
 *   version 1  files with no `format_version` in their metadata: each tensor
 *              is named by the module's state-dict key, so the attention
 *              projections were named by how each kind holds them — bare
 *              `blocks.i.attn.wq` in DS-MoE (matrices of MoEAttention),
 *              `blocks.i.attn.wq.weight` in Dense and SMoE (Linear layers).
 *   version 2  one name per tensor whatever the kind: `blocks.i.attn.w{q,k,v,o}`,
 *              like the FFN's `blocks.i.ffn.w1`. Nothing else changed.
 *   version 3  the config may use the routing options beyond the paper
 *              (sharedExperts, zeroExperts, dts), with their tensors
 *              (`blocks.i.ffn.shared.*`, `blocks.i.ffn.constants`). Names
 *              as in version 2. A writer marks a file 3 only when its
 *              config uses one, so a model without them stays readable by
 *              a version-2 reader, and a reader that would ignore them
 *              (and compute another function) refuses the file instead.
 *
 * The modules keep their own keys; the names are translated where a state
 * dict meets a file, so a model never sees a file's version. A reader takes
 * every version listed here and refuses any other by name: a file from a
 * newer writer must not load under rules that may mean something else.
 */

export const LM_FORMAT = 'dsmoe-lm';
/** The newest version this writer knows; a file gets the oldest that holds its model (formatVersionFor). */
export const LM_FORMAT_VERSION = 3;
/** The metadata key holding the version, a decimal string. */
export const FORMAT_VERSION_KEY = 'format_version';
export const KNOWN_FORMAT_VERSIONS: readonly number[] = [1, 2, 3];

/** The config fields version 3 added (LMConfig's, src/moe/lm-config.ts). */
export interface Version3Fields {
  sharedExperts: number;
  zeroExperts: readonly unknown[];
  dts: unknown;
}

/** True when the config uses an option only version 3 holds: shared or zero-computation experts, or the DTS gate. */
export function usesRoutingExtensions(c: Version3Fields): boolean {
  return c.sharedExperts > 0 || c.zeroExperts.length > 0 || c.dts !== null;
}

/** The version a model of this config is written as: 3 when it uses a routing extension, else 2. */
export function formatVersionFor(config: Version3Fields): number {
  return usesRoutingExtensions(config) ? 3 : 2;
}

/** Version 1's attention projections under their Linear-layer keys (Dense, SMoE). */
const LINEAR_ATTENTION = /^(blocks\.\d+\.attn\.w[qkvo])\.weight$/;

/** The version a file's metadata declares: 1 when it names none (files written before the key existed). */
export function formatVersionOf(metadata: Record<string, string>, where: string): number {
  const raw = metadata[FORMAT_VERSION_KEY];
  if (raw === undefined) return 1;
  const v = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!KNOWN_FORMAT_VERSIONS.includes(v)) {
    throw new Error(`${where}: unknown checkpoint format version ${JSON.stringify(raw)} (this reader knows ${KNOWN_FORMAT_VERSIONS.join(' and ')}; a newer dsmoe wrote it?)`);
  }
  return v;
}

/** The name the module key `key` has in a file of format `version` (versions 2 and 3 name alike). */
export function fileTensorName(key: string, version: number = LM_FORMAT_VERSION): string {
  return version === 1 ? key : key.replace(LINEAR_ATTENTION, '$1');
}

/** A module's state dict under the current version's names, for writing. */
export function toFileNames<T>(state: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(state).map(([k, t]) => [fileTensorName(k), t]));
}

/**
 * A file's tensors of format `version` under the module's keys (`moduleKeys`,
 * its state dict's). Names that are no module key's (an optimizer's moments)
 * are kept as they are; two names that would give one key are an error.
 */
export function toModuleNames<T>(tensors: Record<string, T>, version: number, moduleKeys: Iterable<string>, where: string): Record<string, T> {
  const keyOf = new Map<string, string>();
  for (const k of moduleKeys) keyOf.set(fileTensorName(k, version), k);
  const out: Record<string, T> = {};
  const from = new Map<string, string>();
  for (const [name, t] of Object.entries(tensors)) {
    const key = keyOf.get(name) ?? name;
    // A version-2 file holding both 'attn.wq' and version 1's 'attn.wq.weight' would give one key two values.
    if (from.has(key)) throw new Error(`${where}: checkpoint tensors '${from.get(key)}' and '${name}' are both '${key}' under format version ${version}`);
    from.set(key, name);
    out[key] = t;
  }
  return out;
}

/** The metadata entries that say which format and version a file of this config is. */
export function formatMetadata(config: Version3Fields): Record<string, string> {
  return { format: LM_FORMAT, [FORMAT_VERSION_KEY]: String(formatVersionFor(config)) };
}

/** Refuses a config that uses what its file's version cannot hold: a version-1 or 2 file claiming a routing extension. */
export function checkConfigFitsVersion(config: Version3Fields, version: number, where: string): void {
  if (version < 3 && usesRoutingExtensions(config)) {
    throw new Error(`${where}: format version ${version} has no sharedExperts, zeroExperts or dts, but the config sets them (a version-3 file mislabelled?)`);
  }
}
