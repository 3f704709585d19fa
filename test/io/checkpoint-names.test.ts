/**
 * The checkpoint format's versions: version 2 names every kind's attention
 * projections alike, files written before (version 1: the modules' own keys,
 * no format_version) still load in dsmoe and in the demo page's reader, and
 * a version this reader does not know is refused by name.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/index.js';
import {
  fileTensorName, formatVersionFor, formatVersionOf, LM_FORMAT_VERSION, toFileNames, toModuleNames,
} from '../../src/io/checkpoint-names.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsFile } from '../../src/io/safetensors.js';
import { stateDictToSafetensors } from '../../src/io/state-dict.js';
import { lmConfig } from '../../src/moe/lm-config.js';
import { stateDictShapes } from '../../src/moe/lm-shapes.js';
import { loadModel } from '../../src/cli/run-folder.js';
import { trainCommand } from '../../src/cli/train.js';
import { readModel } from '../../src/train/checkpoint.js';
import { capture, tempDir, tinyCorpus, tinyFlags } from '../cli/helpers.js';

describe('tensor names by format version', () => {
  it('version 2 names every kind\'s attention projections alike; version 1 kept the modules\' keys', () => {
    expect(fileTensorName('blocks.3.attn.wq.weight')).toBe('blocks.3.attn.wq');
    expect(fileTensorName('blocks.3.attn.wo.weight', 2)).toBe('blocks.3.attn.wo');
    expect(fileTensorName('blocks.3.attn.wq.weight', 1)).toBe('blocks.3.attn.wq.weight');
    expect(fileTensorName('blocks.3.attn.router.proj.weight')).toBe('blocks.3.attn.router.proj.weight');
    expect(fileTensorName('blocks.0.ffn.w1')).toBe('blocks.0.ffn.w1');
    const names = (kind: 'dsmoe' | 'dense' | 'smoe'): string[] => Object.keys(toFileNames(stateDictShapes(lmConfig('tiny', { kind })))).filter((k) => !k.includes('router')).sort();
    expect(names('dense')).toEqual(names('dsmoe'));
    expect(names('smoe')).toEqual(names('dsmoe'));
    expect(names('dense')).toContain('blocks.1.attn.wv');
  });

  it('reads the version from the metadata: none is 1; an unknown one is refused by its value', () => {
    expect(formatVersionOf({}, 'f')).toBe(1);
    expect(formatVersionOf({ format_version: '2' }, 'f')).toBe(2);
    expect(formatVersionOf({ format_version: '3' }, 'f')).toBe(3);
    expect(LM_FORMAT_VERSION).toBe(3);
    for (const bad of ['4', '0', 'two', '', '2.0', '-1']) {
      expect(() => formatVersionOf({ format_version: bad }, 'f.safetensors')).toThrow(`f.safetensors: unknown checkpoint format version ${JSON.stringify(bad)}`);
    }
  });

  it('maps a file\'s names to the module\'s keys, keeping the others, and refuses two names for one key', () => {
    const keys = ['blocks.0.attn.wq.weight', 'blocks.0.ffn.w1'];
    expect(toModuleNames({ 'blocks.0.attn.wq': 1, 'blocks.0.ffn.w1': 2, 'optimizer.0.m': 3 }, 2, keys, 'f')).toEqual({ 'blocks.0.attn.wq.weight': 1, 'blocks.0.ffn.w1': 2, 'optimizer.0.m': 3 });
    expect(toModuleNames({ 'blocks.0.attn.wq.weight': 1 }, 1, keys, 'f')).toEqual({ 'blocks.0.attn.wq.weight': 1 });
    expect(() => toModuleNames({ 'blocks.0.attn.wq': 1, 'blocks.0.attn.wq.weight': 2 }, 2, keys, 'f')).toThrow(/f: checkpoint tensors 'blocks\.0\.attn\.wq' and 'blocks\.0\.attn\.wq\.weight' are both 'blocks\.0\.attn\.wq\.weight'/);
  });
});

describe('dsmoe reads both versions', () => {
  let run = '';
  let file: SafetensorsFile;
  beforeAll(async () => {
    run = join(tempDir(), 'dense');
    await capture(() => trainCommand([...tinyFlags(tinyCorpus(), run), '--steps', '1', '--kind', 'dense']));
    file = decodeSafetensors(new Uint8Array(readFileSync(join(run, 'model.safetensors'))));
  });

  it('writes version 2: format_version 2 and the attention under blocks.i.attn.w{q,k,v,o}', () => {
    expect(file.metadata.format).toBe('dsmoe-lm');
    expect(file.metadata.format_version).toBe('2');
    expect(Object.keys(file.tensors)).toContain('blocks.0.attn.wq');
    expect(Object.keys(file.tensors).filter((k) => k.endsWith('.wq.weight'))).toEqual([]);
  });

  it('a file written before version 2 (module keys, no format_version) loads, with the same weights, in dsmoe and in the demo page', async () => {
    const { model } = loadModel(run);
    const { format_version: _v, ...oldMetadata } = file.metadata;
    const old = join(tempDir(), 'model.safetensors');
    writeFileSync(old, await stateDictToSafetensors(model.stateDict(), oldMetadata));
    expect(Object.keys(decodeSafetensors(new Uint8Array(readFileSync(old))).tensors)).toContain('blocks.0.attn.wq.weight');
    const again = loadModel(old).model;
    for (const [k, t] of Object.entries(model.stateDict())) expect(Array.from(await again.stateDict()[k]!.data()), k).toEqual(Array.from(await t.data()));
    const { model: lm } = readModel(new Uint8Array(readFileSync(old)), 'old.safetensors');
    expect(Array.from(await lm.stateDict()['blocks.0.attn.wq.weight']!.data())).toEqual(Array.from(await model.stateDict()['blocks.0.attn.wq.weight']!.data()));
  });

  it('refuses a version it does not know, in dsmoe and in the demo page', () => {
    const bad = join(tempDir(), 'model.safetensors');
    const bytes = encodeSafetensors(file.tensors, { ...file.metadata, format_version: '4' });
    writeFileSync(bad, bytes);
    expect(() => loadModel(bad)).toThrow(`${bad}: unknown checkpoint format version "4"`);
    expect(() => readModel(bytes, 'new.safetensors')).toThrow('new.safetensors: unknown checkpoint format version "4"');
  });

  it('a model without the routing extensions is written as version 2; a version-2 file whose config claims one is refused', () => {
    expect(file.metadata.format_version).toBe('2');
    const config = JSON.parse(file.metadata.config!) as Record<string, unknown>;
    expect(formatVersionFor(lmConfig('tiny'))).toBe(2);
    expect(formatVersionFor(lmConfig('tiny', { sharedExperts: 1 }))).toBe(3);
    expect(formatVersionFor(lmConfig('tiny', { zeroExperts: ['zero'] }))).toBe(3);
    expect(formatVersionFor(lmConfig('tiny', { dts: { tauStart: 2, tauEnd: 0.5, from: 0, to: 10 } }))).toBe(3);
    // A dense model reads no routing option, so its tensors are as before: only the version stands in the way.
    const claims = encodeSafetensors(file.tensors, { ...file.metadata, config: JSON.stringify({ ...config, dts: { tauStart: 2, tauEnd: 0.5, from: 0, to: 10 } }) });
    expect(() => readModel(claims, 'old.safetensors')).toThrow('old.safetensors: format version 2 has no sharedExperts, zeroExperts or dts, but the config sets them');
    expect(readModel(encodeSafetensors(file.tensors, { ...file.metadata, format_version: '3', config: JSON.stringify({ ...config, dts: { tauStart: 2, tauEnd: 0.5, from: 0, to: 10 } }) }), 'new.safetensors').model.config.dts).toEqual({ tauStart: 2, tauEnd: 0.5, from: 0, to: 10 });
  });
});
