import { useState, type FormEvent } from 'react';

/** Paste the token `npm start` printed (or a project token). */
export function SignIn({ onSignIn, notice }: { onSignIn: (token: string) => void; notice: string | null }) {
  const [value, setValue] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim()) onSignIn(value.trim());
  };
  return (
    <main className="sign-in">
      <form onSubmit={submit} className="card" data-testid="sign-in">
        <h1>VIBN</h1>
        {notice && <p className="error">{notice}</p>}
        <label>
          Your access token
          <input type="password" value={value} onChange={(e) => setValue(e.target.value)} autoFocus placeholder="vibn_…" />
        </label>
        <p className="hint">It was printed when VIBN started, in a link ending with #token=…</p>
        <button type="submit" className="primary">Sign in</button>
      </form>
    </main>
  );
}
