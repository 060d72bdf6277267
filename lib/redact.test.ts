import { describe, expect, it } from 'vitest';
import { redactDeep, redactText, registerSecrets } from './redact.js';

describe('redaction', () => {
  it('removes registered secret values wherever they appear', () => {
    registerSecrets(['project-token-0123456789', undefined, 'short']);
    expect(redactText('push with project-token-0123456789 now')).toBe('push with [redacted] now');
    expect(redactText('short words stay')).toBe('short words stay');
  });

  it('removes well-known credential formats it was never told about', () => {
    expect(redactText('key sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123')).toBe('key [redacted]');
    expect(redactText('AIzaSyA1234567890abcdefghijklmnopqrstu')).toBe('[redacted]');
    expect(redactText('Authorization: Bearer abcdefghijklmnopqrstuvwxyz')).toBe('Authorization: Bearer [redacted]');
    expect(redactText('https://vibn:hunter2secret@git.example/repo.git')).toBe('https://vibn:[redacted]@git.example/repo.git');
    expect(redactText('-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----')).toBe('[redacted]');
  });

  it('walks nested payloads', () => {
    registerSecrets(['nested-secret-value-42']);
    expect(redactDeep({ a: ['x nested-secret-value-42 y', { b: 'nested-secret-value-42' }], n: 3 })).toEqual({ a: ['x [redacted] y', { b: '[redacted]' }], n: 3 });
  });
});
