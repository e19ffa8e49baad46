/** The real peers: found where distributions put them; under CI=true an absent one fails the run. */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PEERS, findExecutable, inCi, peer, type PeerName } from './helpers/peers.js';
import { tempDir } from './helpers/tmp.js';

describe('peers', () => {
  const dir = tempDir('asm-prom-peers-');
  writeFileSync(join(dir, 'fake-peer'), '#!/bin/sh\n');
  chmodSync(join(dir, 'fake-peer'), 0o755);
  writeFileSync(join(dir, 'not-executable'), '');

  it('finds an executable on PATH, not a plain file, and nginx in /usr/sbin without it on PATH', () => {
    expect(findExecutable('fake-peer', { PATH: dir })).toBe(join(dir, 'fake-peer'));
    expect(findExecutable('not-executable', { PATH: dir })).toBeUndefined();
    expect(findExecutable('no-such-peer-anywhere', { PATH: dir })).toBeUndefined();
  });

  it('an absent peer skips outside CI and fails the run under CI=true', () => {
    expect(inCi({ CI: 'true' })).toBe(true);
    expect(inCi({ CI: '1' })).toBe(true);
    expect(inCi({ CI: 'false' })).toBe(false);
    expect(inCi({})).toBe(false);
    const absent = 'no-such-peer' as PeerName;
    expect(peer(absent, { PATH: dir, CI: '' })).toBeUndefined();
    expect(() => peer(absent, { PATH: dir, CI: 'true' })).toThrow(/CI=true: no-such-peer is not installed/);
    expect(peer('fake-peer' as PeerName, { PATH: dir, CI: 'true' })).toBe(join(dir, 'fake-peer'));
  });

  it.runIf(inCi())('CI has every real peer: prometheus, promtool, nginx, kubectl, openssl', () => {
    expect(PEERS.filter((name) => !findExecutable(name))).toEqual([]);
  });
});
