import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AgoraApiError, AgoraClient } from '@agora/sdk';
import { startTestServer, type TestServer } from './testing.ts';

const rejects = async (p: Promise<unknown>, status: number, code: string) => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AgoraApiError, `expected an API error, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, status);
    return true;
  });
};

describe('identities, roles and keys', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  test('register with an invite: key shown once, stored hashed, role from the invite', async () => {
    const ada = await t.join('ada', 'participant', { model: 'claude/opus' });
    const me = await ada.call('me');
    assert.equal(me.participant.handle, 'ada');
    assert.equal(me.participant.model, 'claude/opus');
    assert.deepEqual(me.memberships, [{ collaboration: t.collab, role: 'participant' }]);
    const rows = await t.testDb.db.query<{ secret_hash: string }>('select secret_hash from api_keys');
    for (const r of rows) assert.ok(!ada.apiKey!.includes(r.secret_hash), 'the secret is not stored');
    assert.ok(rows.every((r) => /^[0-9a-f]{64}$/.test(r.secret_hash)));
  });

  test('duplicate handle is refused and the invite is not used up', async () => {
    const invite = await t.admin.call('createInvite', { params: { collab: t.collab }, body: { maxUses: 1 } });
    await rejects(t.anonymous.call('register', { body: { handle: 'ada', owner: 'x', invite: invite.code } }), 409, 'conflict');
    const ok = await t.anonymous.call('register', { body: { handle: 'ada2', owner: 'x', invite: invite.code } });
    assert.equal(ok.participant.handle, 'ada2');
    await rejects(t.anonymous.call('register', { body: { handle: 'ada3', owner: 'x', invite: invite.code } }), 403, 'forbidden');
  });

  test('bad input: malformed JSON, wrong types, bad handles, control characters, oversized bodies', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${t.url}/v1/register`, { method: 'POST', headers: { 'content-type': type }, body });
    let res = await post('{"handle": ');
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'bad_request');
    res = await post('handle=x', 'application/x-www-form-urlencoded');
    assert.equal(res.status, 415);
    res = await post(JSON.stringify({ handle: 42, owner: 'x', invite: 'inv_aaaaaaaa' }));
    const body = (await res.json()) as { error: { code: string; details: { issues: { path: string }[] } } };
    assert.equal(res.status, 400);
    assert.equal(body.error.code, 'validation_failed');
    assert.equal(body.error.details.issues[0]!.path, 'body.handle');
    await rejects(t.anonymous.call('register', { body: { handle: 'Ada Lovelace', owner: 'x', invite: 'inv_aaaaaaaa' } }), 400, 'validation_failed');
    await rejects(t.anonymous.call('register', { body: { handle: 'ünï', owner: 'x', invite: 'inv_aaaaaaaa' } }), 400, 'validation_failed');
    await rejects(t.anonymous.call('register', { body: { handle: 'bob', owner: 'x\u0000y', invite: 'inv_aaaaaaaa' } }), 400, 'validation_failed');
    res = await post(JSON.stringify({ handle: 'big', owner: 'x'.repeat(2 * 1024 * 1024) }));
    assert.equal(res.status, 413);
    const count = await t.testDb.db.query<{ n: number }>(`select count(*) as n from participants where handle in ('bob', 'big')`);
    assert.equal(count[0]!.n, 0, 'nothing half-written');
  });

  test('keys rotate and revoke; revoked and malformed keys get 401 with a reason', async () => {
    const cy = await t.join('cy');
    const fresh = await cy.call('rotateKey', { body: { label: 'laptop', revokeCurrent: true } });
    await rejects(cy.call('me'), 401, 'unauthorized');
    const cy2 = cy.withKey(fresh.apiKey);
    assert.equal((await cy2.call('me')).participant.handle, 'cy');
    const keys = await cy2.call('listKeys');
    assert.equal(keys.items.length, 2);
    assert.equal(keys.items.filter((k) => k.revokedAt).length, 1);
    await cy2.call('revokeKey', { params: { keyId: fresh.keyId } });
    await assert.rejects(cy2.call('me'), /revoked/);
    await rejects(cy.withKey('agora_nothex_x').call('me'), 401, 'unauthorized');
    await rejects(cy.withKey(`agora_${'0'.repeat(16)}_${'A'.repeat(43)}`).call('me'), 401, 'unauthorized');
  });

  test('expired keys are refused', async () => {
    const dee = await t.join('dee');
    const k = await dee.call('rotateKey', { body: { expiresInDays: 1 } });
    await t.testDb.db.query(`update api_keys set expires_at = now() - interval '1 minute' where id = $1`, [k.keyId]);
    await assert.rejects(dee.withKey(k.apiKey).call('me'), /expired/);
  });

  test('roles: only organizers invite or change roles; observers cannot be promoted by themselves', async () => {
    const eve = await t.join('eve', 'observer');
    await rejects(eve.call('createInvite', { params: { collab: t.collab }, body: {} }), 403, 'forbidden');
    await rejects(eve.call('setRole', { params: { collab: t.collab, handle: 'eve' }, body: { role: 'organizer' } }), 403, 'forbidden');
    const m = await t.admin.call('setRole', { params: { collab: t.collab, handle: 'eve' }, body: { role: 'participant' } });
    assert.equal(m.role, 'participant');
    await rejects(eve.call('createCollaboration', { body: { challengeDir: '/tmp' } }), 403, 'forbidden');
  });

  test('anonymous observers only where the organizer allows', async () => {
    assert.equal((await t.anonymous.call('getCollaboration', { params: { collab: t.collab } })).slug, t.collab);
    await t.admin.call('updateCollaboration', { params: { collab: t.collab }, body: { anonymousObservers: false } });
    await rejects(t.anonymous.call('getCollaboration', { params: { collab: t.collab } }), 401, 'unauthorized');
    await t.admin.call('updateCollaboration', { params: { collab: t.collab }, body: { anonymousObservers: true } });
  });

  test('open registration works only when the challenge or organizer opens it', async () => {
    await rejects(t.anonymous.call('register', { body: { handle: 'fay', owner: 'x', collaboration: t.collab } }), 403, 'forbidden');
    await t.admin.call('updateCollaboration', { params: { collab: t.collab }, body: { openRegistration: true } });
    const fay = await t.anonymous.call('register', { body: { handle: 'fay', owner: 'x', collaboration: t.collab } });
    assert.equal(fay.memberships[0]!.role, 'participant');
  });

  test('errors are typed JSON, and /openapi.json describes every route', async () => {
    const res = await fetch(`${t.url}/v1/nope`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_found');
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    assert.equal(doc.paths['/v1/register']!.post!.operationId, 'register');
    assert.ok(doc.paths['/v1/collaborations/{collab}/events']!.get);
  });

  test('a challenge folder with a bad field is refused naming the file and the field', async () => {
    const { writeFixtureChallenge } = await import('./testing.ts');
    const { tempDir } = await import('@agora/store/testing');
    const d = tempDir();
    writeFixtureChallenge(d.path, 'significance: { confidence: 2 }\n');
    await assert.rejects(t.admin.call('createCollaboration', { body: { challengeDir: d.path, slug: 'bad' } }), (e: AgoraApiError) => {
      assert.equal(e.code, 'unprocessable');
      assert.match(e.message, /challenge\.yaml: significance.confidence:/);
      return true;
    });
    d.dispose();
  });
});

void AgoraClient;

describe('member and collaboration lists page with cursors', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  test('every member exactly once across pages, in join order', async () => {
    for (let i = 0; i < 7; i++) await t.join(`m${i}`);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await t.admin.call('listMembers', { params: { collab: t.collab }, query: { limit: 3, ...(cursor ? { cursor } : {}) } });
      assert.ok(page.items.length <= 3);
      seen.push(...page.items.map((m) => m.handle));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, ['organizer', ...Array.from({ length: 7 }, (_, i) => `m${i}`)]);
    await rejects(t.admin.call('listMembers', { params: { collab: t.collab }, query: { cursor: 'bm90LWpzb24' } }), 400, 'validation_failed');
    const collabs = await t.anonymous.call('listCollaborations', { query: { limit: 1 } });
    assert.equal(collabs.items.length, 1);
  });
});
