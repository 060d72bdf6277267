import { useCallback, useState } from 'react';
import { forgetToken, saveToken, takeToken } from '../lib/token';
import { ConsoleShell } from './console-shell';
import { SignIn } from './sign-in';

/** Signed in with a token (from the link's fragment or kept from last time), or asking for one. */
export function App() {
  const [token, setToken] = useState<string | null>(() => takeToken());
  const [notice, setNotice] = useState<string | null>(null);

  const signIn = (value: string) => {
    saveToken(value);
    setNotice(null);
    setToken(value);
  };
  const signOut = useCallback((why: string | null) => {
    forgetToken();
    setNotice(why);
    setToken(null);
  }, []);

  if (!token) return <SignIn onSignIn={signIn} notice={notice} />;
  return <ConsoleShell key={token} token={token} onSignOut={signOut} />;
}
