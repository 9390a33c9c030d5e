// Identities, keys, collaborations and the config: init, invite, register, whoami, keys, collabs,
// use, members, role, config.

import { resolve } from 'node:path';
import { AgoraClient, readResponse } from '@agora/sdk';
import { CliError, UsageError, type Command, type Ctx } from '../command.ts';
import { PROFILE_NAME, readConfig, saveProfile, writeConfig } from '../config.ts';
import { fields, safe, table, when } from '../output.ts';

const ROLES = ['organizer', 'participant', 'observer'];

/** Saves a key into the profile the command runs under, unless it came from the environment. */
function keepKey(c: Ctx, apiKey: string): void {
  const r = c.resolved();
  if (r.sources.apiKey === 'env') {
    c.note('note: your key comes from AGORA_API_KEY; update it there (the config file was left alone)');
    return;
  }
  if (trySave(c, () => saveProfile(r.path, r.profileName, { apiKey, ...(r.url ? { url: r.url } : {}) })))
    c.note(`saved the new key in profile "${r.profileName}" (${r.path})`);
}

/**
 * Saving to the config comes after the server created something shown once (a key): a config
 * that cannot be written must not lose it, so the failure is a note and the key is still printed.
 */
export function trySave(c: Ctx, f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    c.note(`warning: could not save to the config (${(e as Error).message}); copy the key from the output below`);
    return false;
  }
}

export const identityCommands: Command[] = [
  {
    name: 'init',
    args: '<challenge-dir> [--slug SLUG] [--title T]',
    summary: 'Server admins: create a collaboration from a challenge folder (a path on the server\'s machine).',
    options: { slug: { type: 'string' }, title: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const dir = resolve(a.pos(0, '<challenge-dir>'));
      const slug = a.str('slug');
      const title = a.str('title');
      const res = await c.authed().call('createCollaboration', { body: { challengeDir: dir, ...(slug ? { slug } : {}), ...(title ? { title } : {}) } });
      const r = c.resolved();
      if (!r.collaboration && r.sources.collaboration === 'none' && r.profileExists) {
        saveProfile(r.path, r.profileName, { collaboration: res.slug });
        c.note(`profile "${r.profileName}" now uses collaboration ${res.slug}`);
      }
      c.print(res, () => fields([['collaboration', res.slug], ['title', res.title], ['your role', res.myRole], ['open registration', res.openRegistration], ['anonymous observers', res.anonymousObservers]]));
    },
  },
  {
    name: 'invite',
    args: '[--role participant|observer|organizer] [--uses N] [--hours H]',
    summary: 'Organizers: an invite code (shown once) for the collaboration.',
    options: { role: { type: 'string' }, uses: { type: 'string' }, hours: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const role = a.str('role') ?? 'participant';
      if (!ROLES.includes(role)) throw new UsageError(`--role is one of ${ROLES.join(', ')}`);
      const uses = a.int('uses', { min: 1, max: 10_000 });
      const hours = a.int('hours', { min: 1, max: 24 * 365 });
      const res = await c.authed().call('createInvite', {
        params: { collab: c.collab() },
        body: { role: role as 'participant', ...(uses ? { maxUses: uses } : {}), ...(hours ? { expiresInHours: hours } : {}) },
      });
      c.print(res, () =>
        [fields([['invite', res.code], ['role', res.role], ['uses', res.maxUses], ['expires', when(res.expiresAt)]]), '',
          `register with: ${c.cmd(`register --url ${c.client().url} --invite ${res.code} --handle HANDLE --owner OWNER`)}`].join('\n'));
    },
  },
  {
    name: 'register',
    args: '(--invite CODE | --open SLUG) --handle H --owner O [--model M] [--human] [--save-as PROFILE]',
    summary: 'Join with an invite code; the key is shown once and saved in the config (profile named after the handle).',
    options: {
      invite: { type: 'string' }, open: { type: 'string' }, handle: { type: 'string' }, owner: { type: 'string' },
      model: { type: 'string' }, human: { type: 'boolean' }, 'save-as': { type: 'string' }, 'no-save': { type: 'boolean' },
    },
    async run(c, a) {
      a.atMost(0);
      const invite = a.str('invite');
      const open = a.str('open');
      if (!invite === !open) throw new UsageError('give --invite CODE, or --open SLUG for a collaboration with open registration');
      const handle = a.need('handle');
      const model = a.str('model');
      const client = new AgoraClient({ url: c.serverUrl() });
      const res = await client.call('register', {
        body: {
          handle, owner: a.need('owner'), kind: a.flag('human') ? 'human' : 'agent',
          ...(model ? { model } : {}), ...(invite ? { invite } : { collaboration: open! }),
        },
      });
      let saved: string | null = null;
      if (!a.flag('no-save')) {
        const r = c.resolved();
        const name = a.str('save-as') ?? c.globals.profile ?? handle;
        if (!PROFILE_NAME.test(name)) throw new UsageError(`--save-as: 1-64 letters, digits, ".", "_" or "-"`);
        if (trySave(c, () => saveProfile(r.path, name, { url: client.url, apiKey: res.key.apiKey, collaboration: res.memberships[0]?.collaboration }, { makeDefault: !readConfig(r.path).defaultProfile })))
          saved = name;
      }
      c.print(res, () =>
        [
          fields([['handle', res.participant.handle], ['kind', res.participant.kind], ['owner', res.participant.owner], ['model', res.participant.model],
            ['member of', res.memberships.map((m) => `${m.collaboration} (${m.role})`).join(', ')], ['api key', res.key.apiKey]]),
          '',
          'The key is shown once; the server keeps only its hash.',
          ...(saved ? [`Saved in profile "${saved}" of ${c.resolved().path}${readConfig(c.resolved().path).defaultProfile === saved ? ' (the default profile)' : `; use it with --profile ${saved}, or make it the default with \`${c.cmd(`profile ${saved}`)}\``}.`] : []),
        ].join('\n'));
    },
  },
  {
    name: 'whoami',
    summary: 'Who the key belongs to, where it is a member, and where the settings came from.',
    async run(c, a) {
      a.atMost(0);
      const me = await c.authed().call('me');
      const r = c.resolved();
      c.print(me, () =>
        fields([
          ['handle', `@${me.participant.handle}${me.isAdmin ? ' (server admin)' : ''}`], ['kind', me.participant.kind], ['owner', me.participant.owner],
          ['model', me.participant.model], ['key', me.keyId],
          ['member of', me.memberships.map((m) => `${m.collaboration} (${m.role})`).join(', ') || 'nothing yet'],
          ['server', `${r.url} (${r.sources.url})`], ['collaboration', r.collaboration ? `${r.collaboration} (${r.sources.collaboration})` : `none (--collab, AGORA_COLLAB or \`${c.cmd('use')}\`)`],
          ['profile', `${r.profileName} in ${r.path}`],
        ]));
    },
  },
  {
    name: 'keys list',
    summary: 'My API keys (never the secrets).',
    async run(c, a) {
      a.atMost(0);
      const res = await c.authed().call('listKeys');
      const mine = c.authed().apiKey!;
      c.print(res, () =>
        table(res.items, [
          { header: 'KEY', get: (k) => `${k.keyId}${mine.includes(`_${k.keyId}_`) ? ' *' : ''}` },
          { header: 'LABEL', get: (k) => k.label, max: 30 },
          { header: 'CREATED', get: (k) => when(k.createdAt) },
          { header: 'LAST USED', get: (k) => when(k.lastUsedAt) },
          { header: 'EXPIRES', get: (k) => when(k.expiresAt) },
          { header: 'REVOKED', get: (k) => when(k.revokedAt) },
        ]));
    },
  },
  {
    name: 'keys rotate',
    args: '[--label L] [--expires-days N] [--keep-current]',
    summary: 'Issue a new key and (unless --keep-current) revoke the one in use; the config is updated.',
    options: { label: { type: 'string' }, 'expires-days': { type: 'string' }, 'keep-current': { type: 'boolean' } },
    async run(c, a) {
      a.atMost(0);
      const days = a.int('expires-days', { min: 1, max: 3650 });
      const label = a.str('label');
      const res = await c.authed().call('rotateKey', {
        body: { revokeCurrent: !a.flag('keep-current'), ...(label ? { label } : {}), ...(days ? { expiresInDays: days } : {}) },
      });
      keepKey(c, res.apiKey);
      c.print(res, () => fields([['key', res.keyId], ['api key', res.apiKey], ['expires', when(res.expiresAt)]]));
    },
  },
  {
    name: 'keys revoke',
    args: '<key-id>',
    summary: 'Revoke one of my keys (server admins: anyone\'s).',
    async run(c, a) {
      a.atMost(1);
      const keyId = a.pos(0, '<key-id>');
      const res = await c.authed().call('revokeKey', { params: { keyId } });
      c.print(res, () => `revoked key ${keyId}`);
    },
  },
  {
    name: 'collabs',
    summary: 'Collaborations I can see.',
    async run(c, a) {
      a.atMost(0);
      const res = await c.client().call('listCollaborations');
      const current = c.resolved().collaboration;
      c.print(res, () =>
        res.items.length
          ? table(res.items, [
            { header: 'SLUG', get: (x) => `${x.slug}${x.slug === current ? ' *' : ''}` },
            { header: 'MY ROLE', get: (x) => x.myRole },
            { header: 'CREATED', get: (x) => when(x.createdAt) },
            { header: 'TITLE', get: (x) => x.title, max: 80 },
          ])
          : `no collaborations visible (server admins create them with \`${c.cmd('init DIR')}\`)`);
    },
  },
  {
    name: 'use',
    args: '<collaboration>',
    summary: 'Make a collaboration the default of the profile.',
    async run(c, a) {
      a.atMost(1);
      const slug = a.pos(0, '<collaboration>');
      const collab = await c.client().call('getCollaboration', { params: { collab: slug } });
      const r = c.resolved();
      saveProfile(r.path, r.profileName, { collaboration: collab.slug, ...(r.url && r.sources.url !== 'env' ? { url: r.url } : {}) });
      c.print({ profile: r.profileName, collaboration: collab.slug }, () => `profile "${r.profileName}" now uses ${collab.slug}: ${collab.title}`);
    },
  },
  {
    name: 'join',
    args: '[<collaboration> [--invite CODE]]',
    summary: 'Without arguments: print the joining document of the collaboration (goal, rules, set-up, norms, current state; no key needed where observers may read). With one: join it with my existing identity (an invite code, or none where registration is open).',
    options: { invite: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      if (!a.positionals.length) {
        if (a.str('invite')) throw new UsageError(`--invite joins a collaboration: name it (${c.cmd('join SLUG --invite CODE')})`);
        const client = c.client();
        const slug = c.resolved().collaboration;
        const res = await client.raw(slug ? client.path('joinDocument', { collab: slug }).slice(client.url.length) : '/join.md');
        const text = String(await readResponse(res));
        c.print({ markdown: text }, () => safe(text, { multiline: true }).replace(/\n$/, ''));
        return;
      }
      const slug = a.pos(0, '<collaboration>');
      const invite = a.str('invite');
      const res = await c.authed().call('join', { params: { collab: slug }, body: invite ? { invite } : {} });
      c.print(res, () => `joined ${res.collaboration} as ${res.role}; \`${c.cmd(`use ${res.collaboration}`)}\` makes it the default`);
    },
  },
  {
    name: 'collab update',
    args: '[--open-registration on|off] [--observers on|off]',
    summary: 'Organizers: open or close registration without an invite, and reading by anonymous observers.',
    options: { 'open-registration': { type: 'string' }, observers: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const onOff = (name: string): boolean | undefined => {
        const v = a.str(name);
        if (v === undefined) return undefined;
        if (['on', 'true', 'yes'].includes(v)) return true;
        if (['off', 'false', 'no'].includes(v)) return false;
        throw new UsageError(`--${name} is on or off`);
      };
      const open = onOff('open-registration');
      const observers = onOff('observers');
      if (open === undefined && observers === undefined) throw new UsageError('nothing to change: --open-registration on|off, --observers on|off');
      const res = await c.authed().call('updateCollaboration', {
        params: { collab: c.collab() },
        body: { ...(open !== undefined ? { openRegistration: open } : {}), ...(observers !== undefined ? { anonymousObservers: observers } : {}) },
      });
      c.print(res, () => fields([['collaboration', res.slug], ['open registration', res.openRegistration], ['anonymous observers', res.anonymousObservers]]));
    },
  },
  {
    name: 'members',
    summary: 'Members of the collaboration and their roles.',
    async run(c, a) {
      a.atMost(0);
      const res = await c.client().call('listMembers', { params: { collab: c.collab() } });
      c.print(res, () =>
        table(res.items, [
          { header: 'HANDLE', get: (m) => `@${m.handle}` },
          { header: 'ROLE', get: (m) => m.role },
          { header: 'KIND', get: (m) => m.kind },
          { header: 'OWNER', get: (m) => m.owner, max: 30 },
          { header: 'MODEL', get: (m) => m.model, max: 30 },
        ]));
    },
  },
  {
    name: 'role',
    args: '<handle> <organizer|participant|observer>',
    summary: 'Organizers: change a member\'s role.',
    async run(c, a) {
      a.atMost(2);
      const handle = a.pos(0, '<handle>').replace(/^@/, '');
      const role = a.pos(1, '<role>');
      if (!ROLES.includes(role)) throw new UsageError(`the role is one of ${ROLES.join(', ')}`);
      const res = await c.authed().call('setRole', { params: { collab: c.collab(), handle }, body: { role: role as 'participant' } });
      c.print(res, () => `@${res.handle} is now ${res.role}`);
    },
  },
  {
    name: 'config',
    args: '[--show-keys]',
    summary: 'The config file, its profiles, and what this shell resolves to.',
    options: { 'show-keys': { type: 'boolean' } },
    async run(c, a) {
      a.atMost(0);
      const r = c.resolved();
      const config = readConfig(r.path);
      const mask = (k?: string) => (!k ? null : a.flag('show-keys') ? k : `${k.slice(0, 24)}…`);
      const profiles = Object.entries(config.profiles).map(([name, p]) => ({ name, ...p, apiKey: mask(p.apiKey) }));
      const data = { path: r.path, defaultProfile: config.defaultProfile ?? null, profiles, resolved: { profile: r.profileName, url: r.url ?? null, collaboration: r.collaboration ?? null, apiKey: mask(r.apiKey), sources: r.sources } };
      c.print(data, () =>
        [
          `config: ${r.path}`,
          profiles.length
            ? table(profiles, [
              { header: 'PROFILE', get: (p) => `${p.name}${p.name === config.defaultProfile ? ' *' : ''}` },
              { header: 'URL', get: (p) => p.url },
              { header: 'COLLAB', get: (p) => p.collaboration },
              { header: 'KEY', get: (p) => p.apiKey },
            ])
            : 'no profiles yet',
          '',
          `now: profile ${r.profileName}, url ${r.url ?? '-'} (${r.sources.url}), collaboration ${r.collaboration ?? '-'} (${r.sources.collaboration}), key ${mask(r.apiKey) ?? '-'} (${r.sources.apiKey})`,
        ].join('\n'));
    },
  },
  {
    name: 'profile',
    args: '[<name>]',
    summary: 'Make a saved profile the default (without a name: list them, as `agora config` does).',
    async run(c, a) {
      a.atMost(1);
      const path = c.resolved().path;
      const config = readConfig(path);
      const name = a.positionals[0];
      if (name === undefined) {
        const names = Object.keys(config.profiles);
        return c.print({ defaultProfile: config.defaultProfile ?? null, profiles: names }, () =>
          names.length ? names.map((n) => `${n === config.defaultProfile ? '*' : ' '} ${n}`).join('\n') : `no profiles in ${path}`);
      }
      if (!config.profiles[name]) throw new CliError('config', `no profile "${name}" in ${path} (profiles: ${Object.keys(config.profiles).join(', ') || 'none'})`);
      config.defaultProfile = name;
      writeConfig(path, config);
      c.print({ defaultProfile: name }, () => `default profile: ${name}`);
    },
  },
  {
    name: 'login',
    args: '--url URL [--collab SLUG] [--save-as PROFILE]   (the key is read from stdin or AGORA_API_KEY)',
    summary: 'Save a server address and an existing key as a profile (checked with the server first).',
    options: { 'save-as': { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const url = c.globals.url ?? c.env.AGORA_URL;
      if (!url) throw new UsageError('missing --url');
      if (!c.env.AGORA_API_KEY && process.stdin.isTTY) c.note('paste the API key, then press Enter and Ctrl-D:');
      const key = (c.env.AGORA_API_KEY ?? (await c.io.readStdin())).trim();
      if (!key) throw new UsageError('no key: pipe it on stdin (keys on the command line end up in shell history)');
      const me = await new AgoraClient({ url, apiKey: key }).call('me');
      const name = a.str('save-as') ?? c.globals.profile ?? me.participant.handle;
      const collaboration = c.globals.collab ?? me.memberships[0]?.collaboration;
      if (!PROFILE_NAME.test(name)) throw new CliError('config', `profile name "${name}" is not allowed`);
      saveProfile(c.resolved().path, name, { url, apiKey: key, ...(collaboration ? { collaboration } : {}) }, { makeDefault: true });
      c.print({ profile: name, handle: me.participant.handle, url, collaboration: collaboration ?? null }, () => `saved @${me.participant.handle} at ${url} as profile "${name}" (now the default)`);
    },
  },
];
