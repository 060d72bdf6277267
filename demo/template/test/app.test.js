import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeEmail, signupMessage, validateEmail } from '../src/app.js';

describe('validateEmail', () => {
  it('accepts ordinary addresses, ignoring case and surrounding spaces', () => {
    assert.equal(validateEmail('ada@example.com'), true);
    assert.equal(validateEmail('  Ada.Lovelace+notes@Example.co.uk '), true);
  });

  it('rejects empty, malformed and overlong addresses', () => {
    for (const bad of ['', '   ', 'ada', 'ada@', '@example.com', 'ada@example', 'ada@@example.com', 'a da@example.com', undefined]) {
      assert.equal(validateEmail(bad), false, `expected ${JSON.stringify(bad)} to be rejected`);
    }
    assert.equal(validateEmail(`${'a'.repeat(250)}@example.com`), false);
  });
});

describe('signupMessage', () => {
  it('thanks the visitor using their normalized address', () => {
    assert.equal(normalizeEmail(' Ada@Example.com '), 'ada@example.com');
    assert.equal(signupMessage(' Ada@Example.com '), "Thanks! We'll send your invite to ada@example.com.");
  });

  it('asks again when the address is not valid', () => {
    assert.equal(signupMessage('not-an-email'), 'Please enter a valid email address.');
  });
});
