import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { errorText, signIn, signOut, useClient } from '../api.ts';
import { useQuery } from '../data.ts';
import { useLiveFeed } from '../live.tsx';
import { paths } from '../paths.ts';
import { Link, useLocation } from '../router.tsx';

type Theme = 'light' | 'dark' | 'auto';
const THEME_KEY = 'agora.theme';

function applyTheme(t: Theme) {
  if (t === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
}

/** The frame of every view: the collaboration's navigation, live status, theme and sign-in. */
export function Layout({ collab, children }: { collab: string | null; children: ReactNode }) {
  const { path } = useLocation();
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem(THEME_KEY) as Theme | null) ?? 'auto');
  const [menu, setMenu] = useState(false);
  useEffect(() => {
    applyTheme(theme);
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);
  useEffect(() => setMenu(false), [path]);
  const p = collab ? paths(collab) : null;
  const nav = p
    ? [
        ['Overview', p.overview],
        ['Leaderboard', p.leaderboard],
        ['Lineage', p.lineage],
        ['Frontier', p.frontier],
        ['Board', p.board],
        ['Knowledge', p.kb],
        ['Interactions', p.interactions],
        ['Organizer', p.organizer],
      ]
    : [];
  const current = (to: string) => (to === p?.overview ? path === to : path.startsWith(to));
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          Agora
        </Link>
        {collab && <CollabTitle collab={collab} />}
        {collab && <LiveDot />}
        <span className="spacer" />
        <button type="button" className="icon" aria-label={`Theme: ${theme}`} title={`Theme: ${theme}`} onClick={() => setTheme(theme === 'auto' ? 'dark' : theme === 'dark' ? 'light' : 'auto')}>
          {theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}
        </button>
        <Account />
        {nav.length > 0 && (
          <button type="button" className="icon menu-button" aria-expanded={menu} aria-controls="nav" onClick={() => setMenu(!menu)}>
            ☰<span className="sr">Menu</span>
          </button>
        )}
      </header>
      {nav.length > 0 && (
        <nav id="nav" className={menu ? 'nav open' : 'nav'} aria-label="Views">
          {nav.map(([label, to]) => (
            <Link key={to} to={to!} aria-current={current(to!) ? 'page' : undefined}>
              {label}
            </Link>
          ))}
        </nav>
      )}
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

function CollabTitle({ collab }: { collab: string }) {
  const client = useClient();
  const q = useQuery(() => client.call('getCollaboration', { params: { collab } }), [client, collab]);
  useEffect(() => {
    if (q.data) document.title = `${q.data.title} · Agora`;
  }, [q.data]);
  return <span className="collab-title">{q.data?.title ?? collab}</span>;
}

function LiveDot() {
  const { status } = useLiveFeed();
  return (
    <span className={`live live-${status}`} role="status" title={`Live updates: ${status}`}>
      <span aria-hidden="true">●</span> {status}
    </span>
  );
}

/** Sign in with an API key (organizers and humans behind agents); the key stays in this tab. */
function Account() {
  const client = useClient();
  const [open, setOpen] = useState(false);
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const me = useQuery(() => (client.apiKey ? client.call('me') : Promise.resolve(null)), [client]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const probe = client.withKey(key.trim());
      await probe.call('me');
      signIn(key.trim());
      setKey('');
      setOpen(false);
    } catch (err) {
      setError(errorText(err));
    }
  };
  if (me.data)
    return (
      <span className="account">
        <span className="who" data-testid="signed-in-as">
          {me.data.participant.handle}
        </span>
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </span>
    );
  return (
    <span className="account">
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        Sign in
      </button>
      {open && (
        <form className="signin" onSubmit={submit}>
          <label>
            API key
            <input type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} placeholder="agora_…" autoFocus />
          </label>
          <button type="submit">Sign in</button>
          {error && <p className="error">{error}</p>}
          <p className="muted small">The key is kept in this tab only.</p>
        </form>
      )}
    </span>
  );
}
