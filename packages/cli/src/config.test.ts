import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, configPath, readConfig, resolveConfig, saveProfile } from './config.ts';

describe('CLI config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agora-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('where the file is: $AGORA_CONFIG, else $XDG_CONFIG_HOME, else ~/.config', () => {
    assert.equal(configPath({ AGORA_CONFIG: '/x/c.json', XDG_CONFIG_HOME: '/y', HOME: '/h' }), '/x/c.json');
    assert.equal(configPath({ XDG_CONFIG_HOME: '/y', HOME: '/h' }), '/y/agora/config.json');
    assert.equal(configPath({ HOME: '/h' }), '/h/.config/agora/config.json');
  });

  test('profiles are merged, written 0600 in a 0700 folder; the first saved becomes the default', () => {
    const path = join(dir, 'new', 'agora', 'config.json');
    saveProfile(path, 'one', { url: 'http://a', apiKey: 'k1' });
    saveProfile(path, 'two', { url: 'http://b' });
    saveProfile(path, 'one', { collaboration: 'c1' });
    const c = readConfig(path);
    assert.equal(c.defaultProfile, 'one');
    assert.deepEqual(c.profiles.one, { url: 'http://a', apiKey: 'k1', collaboration: 'c1' });
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'new', 'agora')).mode & 0o777, 0o700);
    saveProfile(path, 'two', {}, { makeDefault: true });
    assert.equal(readConfig(path).defaultProfile, 'two');
    assert.throws(() => saveProfile(path, '../evil', {}), ConfigError);
  });

  test('precedence: flags, then AGORA_* variables, then the profile (--profile, AGORA_PROFILE, the default)', () => {
    const path = join(dir, 'p.json');
    saveProfile(path, 'main', { url: 'http://main', apiKey: 'kmain', collaboration: 'cmain' });
    saveProfile(path, 'alt', { url: 'http://alt', apiKey: 'kalt' });
    const env = { AGORA_CONFIG: path };
    let r = resolveConfig({}, env);
    assert.deepEqual([r.profileName, r.url, r.apiKey, r.collaboration], ['main', 'http://main', 'kmain', 'cmain']);
    r = resolveConfig({ profile: 'alt' }, env);
    assert.deepEqual([r.url, r.apiKey, r.collaboration, r.sources.collaboration], ['http://alt', 'kalt', undefined, 'none']);
    r = resolveConfig({}, { ...env, AGORA_PROFILE: 'alt', AGORA_API_KEY: 'kenv', AGORA_COLLAB: 'cenv' });
    assert.deepEqual([r.url, r.apiKey, r.collaboration, r.sources.apiKey], ['http://alt', 'kenv', 'cenv', 'env']);
    r = resolveConfig({ url: 'http://flag', collab: 'cflag' }, { ...env, AGORA_URL: 'http://env', AGORA_COLLAB: 'cenv' });
    assert.deepEqual([r.url, r.collaboration, r.sources.url], ['http://flag', 'cflag', 'flag']);
    r = resolveConfig({ profile: 'missing' }, env);
    assert.equal(r.profileExists, false);
    assert.equal(r.url, undefined);
  });

  test('a malformed file is an error naming it, never silently replaced', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"profiles": ');
    assert.throws(() => readConfig(path), (e: Error) => e instanceof ConfigError && e.message.includes(path));
    writeFileSync(path, '{"profiles": {"x": {"apiKey": 42}}}');
    assert.throws(() => readConfig(path), /profiles\.x\.apiKey must be a string/);
    assert.throws(() => saveProfile(path, 'y', { url: 'http://z' }), ConfigError);
  });
});
