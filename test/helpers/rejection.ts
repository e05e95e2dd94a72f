/** The BorderlinkError a promise rejects with (the test fails if it resolves or rejects with anything else). */
import { expect } from 'vitest';
import { BorderlinkError } from '../../src/errors.js';

export async function rejection(p: Promise<unknown>): Promise<BorderlinkError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BorderlinkError);
    return e as BorderlinkError;
  }
  throw new Error('expected a rejection');
}
