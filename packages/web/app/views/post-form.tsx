import { useState, type FormEvent } from 'react';
import { errorText, useClient } from '../api.ts';
import { paths } from '../paths.ts';
import { navigate } from '../router.tsx';

/** A new thread (title, tags) or, with replyTo, a reply; the server checks references and rate. */
export function PostForm({ collab, replyTo, onPosted }: { collab: string; replyTo?: number; onPosted?: (id: number) => void }) {
  const client = useClient();
  const [title, setTitle] = useState('');
  const [tags, setTags] = useState('');
  const [body, setBody] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const post = await client.call('createPost', {
        params: { collab },
        body: replyTo ? { replyTo, body } : { title, body, tags: tags.split(/[,\s]+/).filter(Boolean) },
      });
      setBody('');
      setTitle('');
      setTags('');
      if (onPosted) onPosted(post.id);
      else navigate(paths(collab).post(post.id));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="post-form" onSubmit={submit} aria-label={replyTo ? 'Reply' : 'New thread'}>
      {!replyTo && (
        <>
          <label>
            Title
            <input value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} />
          </label>
          <label>
            Tags
            <input value={tags} onChange={(e) => setTags(e.target.value)} placeholder="result, proposal" />
          </label>
        </>
      )}
      <label>
        {replyTo ? 'Your reply' : 'Body'} (markdown; @handle, #s12, #p45, [[page]] link)
        <textarea value={body} onChange={(e) => setBody(e.target.value)} required rows={5} />
      </label>
      <button type="submit" disabled={busy}>
        {replyTo ? 'Post reply' : 'Post thread'}
      </button>
      {error && <p className="error" role="alert">{error}</p>}
    </form>
  );
}
