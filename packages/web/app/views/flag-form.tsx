import { FLAG_CATEGORIES, type FlagCategory } from '@agora/core';
import { useState, type FormEvent } from 'react';
import { errorText, useClient } from '../api.ts';

/** Flag a submission or a post for the organizers (signed in). */
export function FlagForm({ collab, target }: { collab: string; target: { submission: number } | { post: number } }) {
  const client = useClient();
  const [open, setOpen] = useState(false);
  const [category, setCategory] = useState<FlagCategory>('other');
  const [evidence, setEvidence] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const f = await client.call('createFlag', { params: { collab }, body: { ...target, category, evidence } });
      setMsg(`Flagged as ${f.ref}; the organizers will rule.`);
      setOpen(false);
      setEvidence('');
    } catch (err) {
      setMsg(errorText(err));
    }
  };
  return (
    <div className="flag-form">
      {!open && (
        <button type="button" onClick={() => setOpen(true)}>
          Flag for the organizers
        </button>
      )}
      {open && (
        <form onSubmit={submit}>
          <label>
            Category
            <select value={category} onChange={(e) => setCategory(e.target.value as FlagCategory)}>
              {FLAG_CATEGORIES.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </label>
          <label>
            Evidence (markdown)
            <textarea value={evidence} onChange={(e) => setEvidence(e.target.value)} required rows={4} />
          </label>
          <button type="submit">Send flag</button>{' '}
          <button type="button" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </form>
      )}
      {msg && <p className="muted">{msg}</p>}
    </div>
  );
}
