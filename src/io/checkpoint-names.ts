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
 *
 * The modules keep their own keys; the names are translated where a state
 * dict meets a file, so a model never sees a file's version. A reader takes
 * every version listed here and refuses any other by name: a file from a
 * newer writer must not load under rules that may mean something else.
 */

export const LM_FORMAT = 'dsmoe-lm';
export const LM_FORMAT_VERSION = 2;
/** The metadata key holding the version, a decimal string. */
export const FORMAT_VERSION_KEY = 'format_version';
export const KNOWN_FORMAT_VERSIONS: readonly number[] = [1, 2];

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

/** The name the module key `key` has in a file of format `version`. */
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

/** The metadata entries that say which format and version a file is. */
export function formatMetadata(): Record<string, string> {
  return { format: LM_FORMAT, [FORMAT_VERSION_KEY]: String(LM_FORMAT_VERSION) };
}
