import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { IadR1Error, SettingMismatchError, assertSameSettings } from '../src/index';

class FileProblemError extends IadR1Error {
  override readonly name = 'FileProblemError';
  constructor(readonly file: string) {
    super(`${file}: unreadable`);
  }
}
class OtherError extends IadR1Error {
  override readonly name = 'OtherError';
}

describe('IadR1Error', () => {
  it('recognises its subclasses, and a subclass only itself', () => {
    const error = new FileProblemError('a.json');
    expect(IadR1Error.isInstance(error)).toBe(true);
    expect(FileProblemError.isInstance(error)).toBe(true);
    expect(OtherError.isInstance(error)).toBe(false);
    expect(error.message).toBe('a.json: unreadable');
    expect(error.file).toBe('a.json');
  });

  it('does not take a plain Error or a look-alike for one', () => {
    const lookAlike = Object.assign(new Error('x'), { name: 'FileProblemError' });
    expect(IadR1Error.isInstance(lookAlike)).toBe(false);
    expect(FileProblemError.isInstance(lookAlike)).toBe(false);
    expect(IadR1Error.isInstance('FileProblemError')).toBe(false);
    expect(IadR1Error.isInstance(undefined)).toBe(false);
  });

  it('recognises an error made by another copy of the package (same marker, other class object)', () => {
    // The built CommonJS file is a second, independent copy of the class (the dual-package case).
    const copy = createRequire(import.meta.url)('../dist/index.cjs') as typeof import('../src/index');
    expect(copy.IadR1Error).not.toBe(IadR1Error);
    class CopiedFileProblemError extends copy.IadR1Error {
      override readonly name = 'FileProblemError';
    }
    Object.defineProperty(CopiedFileProblemError, 'name', { value: 'FileProblemError' });
    const foreign = new CopiedFileProblemError('b');
    expect(foreign instanceof IadR1Error).toBe(false);
    expect(IadR1Error.isInstance(foreign)).toBe(true);
    expect(FileProblemError.isInstance(foreign)).toBe(true);
    expect(OtherError.isInstance(foreign)).toBe(false);
  });

  it('keeps a cause', () => {
    const cause = new Error('EACCES');
    expect(new IadR1Error('cannot read', { cause }).cause).toBe(cause);
  });
});

describe('assertSameSettings', () => {
  it('names the first changed setting with both values', () => {
    expect(() => assertSameSettings('runs/a/run.json', { shots: 0, seed: 1 }, { shots: 0, seed: 1 })).not.toThrow();
    let caught: unknown;
    try {
      assertSameSettings('runs/a/run.json', { shots: 0, seed: 1, root: '/data/a' }, { shots: 0, seed: 1, root: '/data/b' });
    } catch (error) {
      caught = error;
    }
    expect(SettingMismatchError.isInstance(caught)).toBe(true);
    expect((caught as SettingMismatchError).setting).toBe('root');
    expect((caught as Error).message).toBe('runs/a/run.json: this run was made with root = "/data/a", not "/data/b"; use another output folder, or start it afresh');
  });

  it('compares arrays by content and counts a setting the saved run lacks as changed', () => {
    expect(() => assertSameSettings('f', { names: ['a', 'b'] }, { names: ['a', 'b'] })).not.toThrow();
    expect(() => assertSameSettings('f', {}, { digest: 'abc' })).toThrow('this run was made with digest = nothing, not "abc"');
    expect(() => assertSameSettings('f', { limit: null }, { limit: 5 })).toThrow('limit = null, not 5');
  });
});
