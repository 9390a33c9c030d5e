// The offline flow against a real server: export a job with a long lease, run it with no
// network, upload its result later; it lands exactly like an online one, and only once.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runnerMain } from './cli.ts';
import { exportJob, runOffline, uploadOffline } from './offline.ts';
import { sandboxSkip } from './sandbox/test-gate.ts';
import { Testbed } from './testbed.ts';
import { FIXTURES } from './testing.ts';

describe('offline: export, run, upload', { skip: sandboxSkip() }, () => {
  const b = new Testbed();
  before(() => b.open());
  after(() => b.close());

  test('export → run-offline → upload lands the result like an online one, once', async () => {
    const job = await b.submitJob(0);
    const { token, runnerId } = await b.newRunner('gpu-host');
    const dir = join(b.work, 'carry');
    const exported = await exportJob({ url: b.t.url, token, labels: ['cpu'], outDir: dir });
    assert.equal(exported!.job.jobId, job.id);
    assert.ok(existsSync(join(dir, 'job.json')) && existsSync(join(dir, 'bundle.tar.gz')));
    // A long lease: the challenge's wall limit × repeats + margin, not the online 60 s.
    assert.ok(exported!.job.leaseSeconds > 60, `lease ${exported!.job.leaseSeconds} s`);
    assert.equal((await b.getJob(job.id)).state, 'running');

    // The GPU host: no server involved.
    const body = await runOffline({ dir, challengesDir: FIXTURES, cacheDir: join(b.work, 'gpu-host-cache'), log: () => {} });
    assert.equal(body.outcome, 'succeeded', body.reason);
    assert.equal(body.environment.runnerId, runnerId);
    assert.equal(body.environment.compile_cache, 'cold');
    assert.deepEqual(readdirSync(join(b.work, 'gpu-host-cache', 'echo', 'public')), [exported!.job.bundleSha256.slice(0, 32)]);
    const onDisk = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
    assert.deepEqual(onDisk.result.metric.samples, [40, 41]);
    await assert.rejects(runOffline({ dir, challengesDir: FIXTURES, log: () => {} }), /already run/);

    const up = await uploadOffline({ url: b.t.url, token, dir, log: () => {} });
    assert.equal(up.status, 'written');
    const done = await b.getJob(job.id);
    assert.equal(done.state, 'succeeded');
    assert.deepEqual(done.result!.metric.samples, [40, 41]);
    assert.equal(done.result!.environment.runnerId, runnerId);
    assert.equal((done.result!.environment.libraries as Record<string, string>)['agora.offline'], 'true');
    assert.equal(done.result!.environment.compile_cache, 'cold', 'the server keeps the compile-cache state');
    assert.match(await b.logText(job.id), /stdout: submission: score 40/, 'the offline log was uploaded');
    assert.equal(await b.resultCount(job.id), 1);

    // Uploading twice changes nothing.
    const again = await uploadOffline({ url: b.t.url, token, dir, log: () => {} });
    assert.equal(again.status, 'conflict');
    assert.equal(again.status === 'conflict' && again.code, 'result_exists');
    assert.equal(await b.resultCount(job.id), 1);
  });

  test('the CLI verbs; an empty queue; a tampered result file is refused', async () => {
    const { token } = await b.newRunner('cli-host');
    const dir = join(b.work, 'cli');
    const args = ['--server', b.t.url, '--token', token];
    const quiet = () => {};
    assert.equal(await runnerMain(['export', '--out', join(b.work, 'empty'), ...args, '--labels', 'cpu'], quiet), 3, 'nothing to export');
    const job = await b.submitJob(0, { mode: 'crash' });
    assert.equal(await runnerMain(['export', '--out', dir, ...args, '--labels', 'cpu'], quiet), 0);
    const cache = join(b.work, 'cli-cache');
    assert.equal(await runnerMain(['run-offline', dir, '--challenges', FIXTURES, '--cache', cache, '--cache-max-mb', '64', '--no-python-bytecode'], quiet), 0);
    const body = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
    assert.equal(body.outcome, 'errored');
    assert.equal(body.environment.compile_cache, 'cold');
    assert.deepEqual(readdirSync(join(cache, 'echo', 'public')).length, 1, '--cache DIR holds the entry');
    assert.match(body.reason, /crashing on purpose/);
    writeFileSync(join(dir, 'result.json'), JSON.stringify({ ...body, leaseToken: 'y'.repeat(43) }));
    assert.equal(await runnerMain(['upload', dir, ...args], quiet), 1, 'a result whose lease token is not the exported one');
    writeFileSync(join(dir, 'result.json'), JSON.stringify(body));
    assert.equal(await runnerMain(['upload', dir, ...args], quiet), 0);
    const j = await b.getJob(job.id);
    assert.equal(j.state, 'queued', 'an errored attempt goes back to the queue');
    assert.match(j.attempts[0]!.reason ?? '', /crashing on purpose/);
    assert.equal(await runnerMain(['upload', join(b.work, 'nowhere'), ...args], quiet), 1);
    assert.equal(await runnerMain(['bogus'], quiet), 2);
    assert.equal(await runnerMain(['start', '--labels', 'cpu'], quiet), 2, 'missing --server and --token');
  });
});
