/**
 * DualAuthError's `hint` and its brand (issue 10 items 13 and 17). The built
 * package is checked across its entry points and module systems by
 * `npm run test:package`; here a second copy of src/errors.ts stands for
 * another copy of the package.
 */
import { inspect } from 'node:util';

import { describe, expect, it } from 'vitest';

import { ConfigurationError, DualAuthError, KeyLoadError, TokenRequestError } from '../../src/errors.js';

describe('hint', () => {
  it('is taken from the options, else from a DualAuthError cause; never from a foreign cause', () => {
    const inner = new DualAuthError('inner', 'ERR_NETWORK', { hint: 'Trust the CA.' });
    expect(new TokenRequestError('Network error connecting to Keycloak: SSLError', undefined, { cause: inner }).hint).toBe('Trust the CA.');
    expect(new DualAuthError('outer', 'ERR_NETWORK', { cause: inner, hint: 'Own hint.' }).hint).toBe('Own hint.');
    const foreign = Object.assign(new Error('x'), { hint: 'from elsewhere' });
    expect(new DualAuthError('outer', 'ERR_NETWORK', { cause: foreign }).hint).toBeUndefined();
  });

  it('is an own property only when set, so an error without one prints as before', () => {
    const plain = new DualAuthError('Plain', 'ERR_CONFIGURATION');
    expect(Object.hasOwn(plain, 'hint')).toBe(false);
    expect(inspect(plain)).not.toContain('hint');
    expect(Object.keys(new DualAuthError('x', 'ERR_NETWORK', { hint: 'h' }))).toContain('hint');
  });
});

describe('brand: instanceof across copies of the package', () => {
  it('an error from another copy of the module is instanceof this copy’s classes, and only of its own kind', async () => {
    // A query string makes the module loader evaluate the file once more: a second set of classes.
    const specifier = '../../src/errors.js?another-copy';
    const other = (await import(specifier)) as typeof import('../../src/errors.js');
    expect(other.DualAuthError).not.toBe(DualAuthError); // truly a second copy
    const error = new other.KeyLoadError('Cannot load private key: FileNotFoundError', { path: '/keys/app.pem' });
    expect(error instanceof DualAuthError).toBe(true);
    expect(error instanceof KeyLoadError).toBe(true);
    expect(error instanceof ConfigurationError).toBe(false);
    expect(new ConfigurationError('x') instanceof other.ConfigurationError).toBe(true);
    expect(new ConfigurationError('x') instanceof other.TokenRequestError).toBe(false);
    expect(({ code: 'ERR_X' } as unknown) instanceof DualAuthError).toBe(false);
    expect((null as unknown) instanceof DualAuthError).toBe(false);
  });

  it('an application subclass without a brand keeps the ordinary check', () => {
    class ApplicationError extends DualAuthError {}
    expect(new ApplicationError('x') instanceof ApplicationError).toBe(true);
    expect(new ApplicationError('x') instanceof DualAuthError).toBe(true);
    expect(new DualAuthError('x') instanceof ApplicationError).toBe(false);
  });
});
