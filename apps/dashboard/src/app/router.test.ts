import { describe, expect, it } from 'vitest';
import { parseHash, routeHref } from './router';

describe('hash routes', () => {
  it('parses each view and its parameter, falling back to the overview', () => {
    expect(parseHash('#/groups')).toEqual({ view: 'groups', param: null });
    expect(parseHash('#/streams/1843563473929170944')).toEqual({
      view: 'streams',
      param: '1843563473929170944',
    });
    expect(parseHash('')).toEqual({ view: 'overview', param: null });
    expect(parseHash('#/nope')).toEqual({ view: 'overview', param: null });
  });

  it('round-trips a parameter through routeHref', () => {
    expect(parseHash(routeHref('streams', 'a/b c'))).toEqual({ view: 'streams', param: 'a/b c' });
  });
});
