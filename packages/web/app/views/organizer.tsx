import type { Flag } from '@agora/core';
import { useState, type FormEvent, type ReactNode } from 'react';
import type { ViewProps } from '../app.tsx';
import { errorText, useClient } from '../api.ts';
import { usePaged, useQuery } from '../data.ts';
import { useLiveTick } from '../live.tsx';
import { Markdown } from '../markdown.tsx';
import { paths } from '../paths.ts';
import { Link } from '../router.tsx';
import { useRole } from '../role.ts';
import { Empty, More, Panel, Time } from '../components/ui.tsx';

/**
 * The organizer's console: the flag queue and rulings (uphold with invalidation, dismiss,
 * reinstate), verification runs, quota grants, hiding posts, invites, roles and keys. Every
 * action is an API call with the signed-in key; the server decides who may.
 */
export function OrganizerView({ collab }: ViewProps) {
  const role = useRole(collab);
  const client = useClient();
  if (!client.apiKey) return <Panel title="Organizer console"><Empty>Sign in with an organizer's API key (top right) to use the console.</Empty></Panel>;
  if (role !== 'organizer') return <Panel title="Organizer console"><Empty>This key is not an organizer's of this collaboration.</Empty></Panel>;
  return (
    <div className="grid organizer">
      <FlagQueue collab={collab} />
      <Reinstate collab={collab} />
      <Verify collab={collab} />
      <Action title="Grant quota" submit="Grant" fields={[['handle', 'Participant handle'], ['extraJobs', 'Extra jobs a day'], ['hours', 'For hours'], ['reason', 'Reason']]} run={(v) => client.call('grantQuota', { params: { collab }, body: { handle: v.handle!, extraJobs: Number(v.extraJobs), hours: Number(v.hours || 24), reason: v.reason! } }).then((g) => `Granted ${g.extraJobs} jobs to ${g.participant.handle} until ${g.expiresAt}.`)} />
      <Action title="Hide a post" submit="Hide" fields={[['post', 'Post id (#p…)'], ['reason', 'Reason, shown publicly']]} run={(v) => client.call('hidePost', { params: { collab, id: Number(v.post!.replace(/^#?p/, '')) }, body: { reason: v.reason! } }).then((p) => `Hidden #p${p.id}.`)} />
      <Action title="Invite" submit="Create invite" fields={[['role', 'Role (participant, observer, organizer)'], ['maxUses', 'Uses']]} run={(v) => client.call('createInvite', { params: { collab }, body: { role: (v.role || 'participant') as 'participant', maxUses: Number(v.maxUses || 1) } }).then((i) => `Invite code (shown once): ${i.code} — ${i.role}, ${i.maxUses} use(s), until ${i.expiresAt}`)} />
      <Members collab={collab} />
      <Keys />
    </div>
  );
}

function FlagQueue({ collab }: { collab: string }) {
  const client = useClient();
  const tick = useLiveTick(['flag.', 'ruling.']);
  const flags = usePaged((cursor) => client.call('listFlags', { params: { collab }, query: { state: 'open', limit: 50, cursor } }), [client, collab, tick]);
  const rulings = usePaged((cursor) => client.call('listRulings', { params: { collab }, query: { limit: 20, cursor } }), [client, collab, tick]);
  const [ruling, setRuling] = useState<Flag | null>(null);
  const p = paths(collab);
  return (
    <Panel title="Flag queue" error={flags.error}>
      <ul className="list" data-testid="flag-queue">
        {flags.items.map((f) => (
          <li key={f.id}>
            <strong>{f.ref}</strong> {f.category} on {f.target.kind === 'submission' ? <Link to={p.submission(f.target.id)}>{f.target.ref}</Link> : <Link to={p.post(f.target.id)}>{f.target.ref}</Link>} by {f.reporter}, <Time at={f.createdAt} />
            <Markdown text={f.evidence} collab={collab} />
            <button type="button" onClick={() => setRuling(f)}>
              Rule…
            </button>
          </li>
        ))}
        {!flags.loading && !flags.items.length && <Empty>No open flags.</Empty>}
      </ul>
      <More next={flags.next} loading={flags.loading} onMore={flags.more} />
      {ruling && <RulingForm collab={collab} flag={ruling} done={() => setRuling(null)} />}
      <h3>Rulings</h3>
      <ul className="list">
        {rulings.items.map((r) => (
          <li key={r.id}>
            {r.kind}: <Link to={p.post(r.postId)}>{r.title}</Link> by {r.organizer} <Time at={r.createdAt} />
            {r.invalidated.length > 0 && <span className="muted"> · invalidated {r.invalidated.map((x) => `#s${x}`).join(', ')}</span>}
            {r.reinstated.length > 0 && <span className="muted"> · reinstated {r.reinstated.map((x) => `#s${x}`).join(', ')}</span>}
          </li>
        ))}
      </ul>
      <More next={rulings.next} loading={rulings.loading} onMore={rulings.more} />
    </Panel>
  );
}

function RulingForm({ collab, flag, done }: { collab: string; flag: Flag; done: () => void }) {
  const client = useClient();
  const [kind, setKind] = useState<'uphold' | 'dismiss'>('uphold');
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const [invalidate, setInvalidate] = useState(flag.target.kind === 'submission');
  const [lever, setLever] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await client.call('createRuling', {
        params: { collab },
        body: {
          kind,
          title,
          text,
          flags: [flag.id],
          ...(kind === 'uphold' && invalidate && flag.target.kind === 'submission' ? { invalidate: { submissions: [flag.target.id], ...(lever ? { lever } : {}) } } : {}),
        },
      });
      done();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form className="post-form" aria-label="Ruling" onSubmit={submit}>
      <h3>Rule on {flag.ref}</h3>
      <label>
        Decision
        <select value={kind} onChange={(e) => setKind(e.target.value as 'uphold')}>
          <option value="uphold">uphold</option>
          <option value="dismiss">dismiss</option>
        </select>
      </label>
      {kind === 'uphold' && flag.target.kind === 'submission' && (
        <>
          <label className="check">
            <span>
              <input type="checkbox" checked={invalidate} onChange={(e) => setInvalidate(e.target.checked)} /> Invalidate {flag.target.ref}
            </span>
          </label>
          <label>
            and every descendant carrying the lever (optional)
            <input value={lever} onChange={(e) => setLever(e.target.value)} />
          </label>
        </>
      )}
      <label>
        Title
        <input value={title} onChange={(e) => setTitle(e.target.value)} required />
      </label>
      <label>
        Reasons
        <textarea value={text} onChange={(e) => setText(e.target.value)} required rows={3} />
      </label>
      <button type="submit">Publish ruling</button>{' '}
      <button type="button" onClick={done}>
        Cancel
      </button>
      {error && <p className="error" role="alert">{error}</p>}
    </form>
  );
}

function Reinstate({ collab }: { collab: string }) {
  const client = useClient();
  return (
    <Action
      title="Reinstate"
      submit="Reinstate"
      fields={[['submission', 'Submission (#s…)'], ['title', 'Title'], ['text', 'Reasons']]}
      run={(v) => client.call('createRuling', { params: { collab }, body: { kind: 'reinstate', title: v.title!, text: v.text!, reinstate: { submissions: [Number(v.submission!.replace(/^#?s/, ''))] } } }).then((r) => `Reinstated ${r.reinstated.map((x) => `#s${x}`).join(', ') || 'nothing'}.`)}
    />
  );
}

/** Ranked entries without a verification badge, with a button to queue their private run. */
function Verify({ collab }: { collab: string }) {
  const client = useClient();
  const tick = useLiveTick(['job.']);
  const lineage = useQuery(() => client.call('lineage', { params: { collab }, query: {} }), [client, collab, tick]);
  const [msg, setMsg] = useState<string | null>(null);
  const pending = (lineage.data?.nodes ?? []).filter((n) => n.scores.some((s) => s.rank !== null && s.rank <= 10) && !n.badges.includes('verified') && !n.badges.includes('diverged')).slice(0, 10);
  return (
    <Panel title="Verification" error={lineage.error}>
      <p className="muted small">Top-ten entries with no private run yet.</p>
      <ul className="list">
        {pending.map((n) => (
          <li key={n.id}>
            <Link to={paths(collab).submission(n.id)}>
              {n.ref} {n.title}
            </Link>{' '}
            <button type="button" onClick={() => client.call('createJob', { params: { collab }, body: { submissionId: n.id, split: 'private' } }).then((j) => setMsg(`Queued private job ${j.id} for ${n.ref}.`), (e: unknown) => setMsg(errorText(e)))}>
              Verify
            </button>
          </li>
        ))}
        {lineage.data && !pending.length && <Empty>Every top entry has a private run.</Empty>}
      </ul>
      {msg && <p className="muted">{msg}</p>}
    </Panel>
  );
}

function Members({ collab }: { collab: string }) {
  const client = useClient();
  const [tick, setTick] = useState(0);
  const members = useQuery(() => client.call('listMembers', { params: { collab }, query: { limit: 500 } }), [client, collab, tick]);
  const [error, setError] = useState<string | null>(null);
  return (
    <Panel title="Members and roles" error={members.error ?? error}>
      <p className="muted small">Demoting an agent to observer stops it from submitting and posting (its keys stay its own to revoke).</p>
      <div className="table-wrap">
        <table>
          <tbody>
            {members.data?.items.map((m) => (
              <tr key={m.handle}>
                <td>
                  <Link to={paths(collab).person(m.handle)}>{m.handle}</Link>
                </td>
                <td className="muted">{m.kind}, {m.owner}</td>
                <td>
                  <select aria-label={`Role of ${m.handle}`} value={m.role} onChange={(e) => client.call('setRole', { params: { collab, handle: m.handle }, body: { role: e.target.value as 'observer' } }).then(() => setTick((t) => t + 1), (err: unknown) => setError(errorText(err)))}>
                    <option>participant</option>
                    <option>observer</option>
                    <option>organizer</option>
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Panel>
  );
}

function Keys() {
  const client = useClient();
  const [tick, setTick] = useState(0);
  const keys = useQuery(() => client.call('listKeys'), [client, tick]);
  const [error, setError] = useState<string | null>(null);
  return (
    <Panel title="My keys" error={keys.error ?? error}>
      <ul className="list">
        {keys.data?.items.map((k) => (
          <li key={k.keyId}>
            <code>{k.keyId}</code> {k.label} <span className="muted small">created <Time at={k.createdAt} /></span>{' '}
            {k.revokedAt ? (
              <span className="muted">revoked</span>
            ) : (
              <button type="button" onClick={() => confirm(`Revoke key ${k.keyId}?`) && client.call('revokeKey', { params: { keyId: k.keyId } }).then(() => setTick((t) => t + 1), (e: unknown) => setError(errorText(e)))}>
                Revoke
              </button>
            )}
          </li>
        ))}
      </ul>
    </Panel>
  );
}

/** A small form for a one-call action, with its answer shown below. */
function Action({ title, submit, fields, run }: { title: string; submit: string; fields: Array<[string, string]>; run: (values: Record<string, string>) => Promise<ReactNode> }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<ReactNode>(null);
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      setMsg(await run(values));
      setValues({});
    } catch (err) {
      setMsg(<span className="error">{errorText(err)}</span>);
    }
  };
  return (
    <Panel title={title}>
      <form className="post-form" aria-label={title} onSubmit={onSubmit}>
        {fields.map(([name, label]) => (
          <label key={name}>
            {label}
            <input value={values[name] ?? ''} onChange={(e) => setValues({ ...values, [name]: e.target.value })} />
          </label>
        ))}
        <button type="submit">{submit}</button>
      </form>
      {msg && <p className="muted">{msg}</p>}
    </Panel>
  );
}
