import { describe, expect, it } from 'vitest';
import type { WireEndReason } from '../protocol/messages';
import { assertEndReason, EndReason, isEndReason } from './end-reason';

describe('EndReason', () => {
  it('has the lowercase wire strings as values', () => {
    expect(EndReason).toEqual({
      Success: 'success',
      Timeout: 'timeout',
      Error: 'error',
      Cancelled: 'cancelled',
      Force: 'force',
    });
    // Every value is assignable to the wire type, and back.
    const wire: WireEndReason[] = Object.values(EndReason);
    const back: EndReason[] = wire;
    expect(back).toHaveLength(5);
  });

  it('recognises exactly its values', () => {
    for (const value of Object.values(EndReason)) expect(isEndReason(value)).toBe(true);
    for (const value of ['Success', 'SUCCESS', '', 0, 4, null, undefined, {}])
      expect(isEndReason(value)).toBe(false);
  });

  it('rejects anything else with INVALID_OPTION and lists the choices', () => {
    expect(() => assertEndReason('done')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => assertEndReason(1)).toThrow(/'success', 'timeout', 'error', 'cancelled', 'force'/);
    expect(() => assertEndReason('force')).not.toThrow();
  });
});
