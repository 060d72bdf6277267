/**
 * The founder's API token. `npm start` prints a link with `#token=<token>`: on load the console takes it from
 * the fragment, keeps it in localStorage and removes it from the address bar (so it is not left on screen or
 * in a screenshot). Otherwise the token kept from last time, if any.
 */
const KEY = 'vibn.token';

export function takeToken(): string | null {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const fromLink = fragment.get('token');
  if (fromLink) {
    saveToken(fromLink);
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
    return fromLink;
  }
  return window.localStorage.getItem(KEY);
}

export function saveToken(token: string) {
  window.localStorage.setItem(KEY, token);
}

export function forgetToken() {
  window.localStorage.removeItem(KEY);
}
