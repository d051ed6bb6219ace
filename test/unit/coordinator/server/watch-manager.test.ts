import { describe, expect, it } from 'vitest';
import { WatchManager, WatcherType, type Watcher } from '../../../../coordinator/server/watch-manager.js';
import type { EventTypeValue } from '../../../../coordinator/server/protocol-constants.js';

class Recorder implements Watcher {
  readonly seen: string[] = [];
  notify(type: EventTypeValue, path: string): void {
    this.seen.push(`${type}:${path}`);
  }
}

describe('watch manager', () => {
  it('fires one-shot watches once and NodeDeleted once per watcher', () => {
    const watches = new WatchManager();
    const a = new Recorder();
    watches.addDataWatch('/n', a);
    watches.addChildWatch('/n', a);
    watches.trigger([{ type: 2, path: '/n' }], 1);
    watches.trigger([{ type: 3, path: '/n' }], 2);
    expect(a.seen).toEqual(['2:/n']);
    expect(watches.watchCount).toBe(0);
  });

  it('keeps persistent watches; recursive ones see descendants but no NodeChildrenChanged', () => {
    const watches = new WatchManager();
    const persistent = new Recorder();
    const recursive = new Recorder();
    watches.addPersistentWatch('/p', persistent, false);
    watches.addPersistentWatch('/p', recursive, true);
    const events = [
      { type: 1 as const, path: '/p/c' },
      { type: 4 as const, path: '/p' },
      { type: 3 as const, path: '/p' },
      { type: 3 as const, path: '/p/c' },
    ];
    watches.trigger(events, 1);
    watches.trigger(events, 2);
    expect(persistent.seen).toEqual(['4:/p', '3:/p', '4:/p', '3:/p']);
    expect(recursive.seen).toEqual(['1:/p/c', '3:/p', '3:/p/c', '1:/p/c', '3:/p', '3:/p/c']);
  });

  it('gives one notification per event to a watcher holding several matching watches', () => {
    const watches = new WatchManager();
    const a = new Recorder();
    watches.addDataWatch('/x', a);
    watches.addPersistentWatch('/x', a, false);
    watches.addPersistentWatch('/', a, true);
    watches.trigger([{ type: 3, path: '/x' }], 1);
    expect(a.seen).toEqual(['3:/x']);
  });

  it('checks and removes watches by type, and forgets a closed connection', () => {
    const watches = new WatchManager();
    const a = new Recorder();
    watches.addDataWatch('/x', a);
    watches.addChildWatch('/y', a);
    expect(watches.has('/x', WatcherType.data, a)).toBe(true);
    expect(watches.has('/x', WatcherType.children, a)).toBe(false);
    expect(watches.remove('/x', WatcherType.children, a)).toBe(false);
    expect(watches.remove('/x', WatcherType.any, a)).toBe(true);
    watches.trigger([{ type: 3, path: '/x' }], 1);
    watches.removeWatcher(a);
    watches.trigger([{ type: 4, path: '/y' }], 2);
    expect(a.seen).toEqual([]);
    expect(watches.watchCount).toBe(0);
  });
});
