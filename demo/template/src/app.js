/**
 * Signup logic for the Acme Notes landing page. Pure functions, so they are easy to test and to reuse
 * when the signup form gets a real backend.
 */

/** Longest address we accept; anything longer is almost certainly a mistake. */
export const MAX_EMAIL_LENGTH = 254;

/** Trims and lower-cases an address, so "  Ada@Example.COM " and "ada@example.com" count as one person. */
export function normalizeEmail(email) {
  return String(email ?? '').trim().toLowerCase();
}

/** True when `email` looks like a deliverable address: one @, a name before it, a dotted domain after it. */
export function validateEmail(email) {
  const value = normalizeEmail(email);
  if (value.length === 0 || value.length > MAX_EMAIL_LENGTH) return false;
  return /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(value);
}

/** What the signup form tells a visitor after they submit `email`. */
export function signupMessage(email) {
  if (!validateEmail(email)) return 'Please enter a valid email address.';
  return `Thanks! We'll send your invite to ${normalizeEmail(email)}.`;
}
