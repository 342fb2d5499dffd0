import { describe, expect, it } from 'vitest';
import { grantsAllow, type TopicGrants, topicPatternMatches } from './topic-grants';

const grants = (g: Partial<TopicGrants>): TopicGrants => ({
  subscribe: [],
  publish: [],
  produce: [],
  broker: [],
  admin: false,
  ...g,
});

describe('topicPatternMatches', () => {
  it('an exact name matches itself only', () => {
    expect(topicPatternMatches('notes', 'notes')).toBe(true);
    for (const t of ['notes2', 'note', 'Notes', 'notes:1', ''])
      expect(topicPatternMatches('notes', t)).toBe(false);
  });

  it('a trailing * matches any rest, colons included, and the bare prefix', () => {
    for (const t of ['chan:1:', 'chan:1:general', 'chan:1:a:b:c', 'chan:1:*']) {
      expect(topicPatternMatches('chan:1:*', t), t).toBe(true);
    }
    for (const t of ['chan:1', 'chan:10:x', 'chan:2:general'])
      expect(topicPatternMatches('chan:1:*', t), t).toBe(false);
    expect(topicPatternMatches('*', 'anything:at:all')).toBe(true);
  });

  it('a * elsewhere is a literal character', () => {
    expect(topicPatternMatches('a*b', 'a*b')).toBe(true);
    expect(topicPatternMatches('a*b', 'axb')).toBe(false);
  });

  it('no pattern matches a $ topic', () => {
    for (const p of ['*', '$*', '$sys', '$']) expect(topicPatternMatches(p, '$sys'), p).toBe(false);
  });
});

describe('grantsAllow', () => {
  it('each action reads its own list', () => {
    const g = grants({ subscribe: ['s'], publish: ['p'], produce: ['chan:1:*'], broker: ['jobs'] });
    expect(grantsAllow(g, 'subscribe', 's')).toBe(true);
    expect(grantsAllow(g, 'publish', 's')).toBe(false);
    expect(grantsAllow(g, 'publish', 'p')).toBe(true);
    expect(grantsAllow(g, 'produce', 'chan:1:x')).toBe(true);
    expect(grantsAllow(g, 'broker', 'jobs')).toBe(true);
    expect(grantsAllow(g, 'broker', 'p')).toBe(false);
  });

  it('any token connects; admin needs the grant; $sys is read with admin only, written by nobody', () => {
    expect(grantsAllow(grants({}), 'connect', undefined)).toBe(true);
    expect(grantsAllow(grants({}), 'admin', undefined)).toBe(false);
    const admin = grants({ admin: true, subscribe: ['*'], publish: ['*'] });
    expect(grantsAllow(admin, 'admin', undefined)).toBe(true);
    expect(grantsAllow(admin, 'subscribe', '$sys')).toBe(true);
    expect(grantsAllow(admin, 'publish', '$sys')).toBe(false);
    expect(grantsAllow(admin, 'subscribe', '$other')).toBe(false);
    expect(grantsAllow(grants({ subscribe: ['*'] }), 'subscribe', '$sys')).toBe(false);
  });

  it('an action that names no topic is refused unless it is connect or admin', () => {
    expect(grantsAllow(grants({ publish: ['*'] }), 'publish', undefined)).toBe(false);
  });
});
