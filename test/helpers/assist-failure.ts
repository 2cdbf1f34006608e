import { expect } from 'vitest';
import { AssistError } from '../../src/errors.js';

/** The AssistError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function failure(promise: Promise<unknown>): Promise<AssistError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AssistError);
    return error as AssistError;
  }
  throw new Error('expected a failure');
}
