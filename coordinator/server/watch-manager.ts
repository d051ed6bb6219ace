/**
 * Watches, owned by connections (as in ZooKeeper: a watch dies with the connection that set it; the
 * client re-arms it with setWatches after reconnecting).
 *
 * - one-shot data watches (getData, exists — on a missing node it waits for NodeCreated) and child
 *   watches (getChildren), removed when they fire;
 * - persistent watches (addWatch mode 0): every event on the node, never removed;
 * - persistent recursive watches (addWatch mode 1): created/deleted/dataChanged on the node and all
 *   its descendants, but no NodeChildrenChanged (ZooKeeper suppresses those for recursive watches).
 * A connection gets at most one notification per event however many of its watches match.
 */
import { EventType, type EventTypeValue } from './protocol-constants.js';
import type { TreeEvent } from './data-tree.js';
import { parentOf } from './paths.js';

/** Whoever receives notifications (a client connection). */
export interface Watcher {
  notify(type: EventTypeValue, path: string, zxid: number): void;
}

type WatchKind = 'data' | 'child' | 'persistent' | 'recursive';

/** Which watches removeWatches/checkWatches address (WatcherType: 1 children, 2 data, 3 any). */
export const WatcherType = { children: 1, data: 2, any: 3 } as const;

export class WatchManager {
  private readonly tables: Record<WatchKind, Map<string, Set<Watcher>>> = {
    data: new Map(),
    child: new Map(),
    persistent: new Map(),
    recursive: new Map(),
  };
  private readonly byWatcher = new Map<Watcher, Record<WatchKind, Set<string>>>();

  addDataWatch(path: string, watcher: Watcher): void {
    this.add('data', path, watcher);
  }

  addChildWatch(path: string, watcher: Watcher): void {
    this.add('child', path, watcher);
  }

  addPersistentWatch(path: string, watcher: Watcher, recursive: boolean): void {
    this.add(recursive ? 'recursive' : 'persistent', path, watcher);
  }

  private add(kind: WatchKind, path: string, watcher: Watcher): void {
    const table = this.tables[kind];
    let set = table.get(path);
    if (set === undefined) {
      set = new Set();
      table.set(path, set);
    }
    set.add(watcher);
    let index = this.byWatcher.get(watcher);
    if (index === undefined) {
      index = { data: new Set(), child: new Set(), persistent: new Set(), recursive: new Set() };
      this.byWatcher.set(watcher, index);
    }
    index[kind].add(path);
  }

  private take(kind: 'data' | 'child', path: string, into: Set<Watcher>): void {
    const table = this.tables[kind];
    const set = table.get(path);
    if (set === undefined) return;
    table.delete(path);
    for (const watcher of set) {
      this.byWatcher.get(watcher)?.[kind].delete(path);
      into.add(watcher);
    }
  }

  /** Fires the watches the events trigger (removing the one-shot ones). */
  trigger(events: readonly TreeEvent[], zxid: number): void {
    if (this.byWatcher.size === 0) return;
    const { persistent, recursive } = this.tables;
    for (const { type, path } of events) {
      const targets = new Set<Watcher>();
      if (type === EventType.nodeCreated || type === EventType.nodeDataChanged)
        this.take('data', path, targets);
      else if (type === EventType.nodeChildrenChanged) this.take('child', path, targets);
      else {
        this.take('data', path, targets);
        this.take('child', path, targets);
      }
      for (const watcher of persistent.get(path) ?? []) targets.add(watcher);
      if (recursive.size > 0 && type !== EventType.nodeChildrenChanged) {
        for (let at = path; ; at = parentOf(at)) {
          for (const watcher of recursive.get(at) ?? []) targets.add(watcher);
          if (at === '/') break;
        }
      }
      for (const watcher of targets) watcher.notify(type, path, zxid);
    }
  }

  private kindsFor(watcherType: number): WatchKind[] {
    if (watcherType === WatcherType.children) return ['child', 'persistent'];
    if (watcherType === WatcherType.data) return ['data', 'persistent', 'recursive'];
    return ['data', 'child', 'persistent', 'recursive'];
  }

  /** checkWatches: does `watcher` hold a watch of that type on `path`? */
  has(path: string, watcherType: number, watcher: Watcher): boolean {
    const index = this.byWatcher.get(watcher);
    return index !== undefined && this.kindsFor(watcherType).some((kind) => index[kind].has(path));
  }

  /** removeWatches: drops `watcher`'s watches of that type on `path`; false if there were none. */
  remove(path: string, watcherType: number, watcher: Watcher): boolean {
    const index = this.byWatcher.get(watcher);
    if (index === undefined) return false;
    let removed = false;
    for (const kind of this.kindsFor(watcherType)) {
      if (!index[kind].delete(path)) continue;
      removed = true;
      this.dropFrom(kind, path, watcher);
    }
    return removed;
  }

  removeWatcher(watcher: Watcher): void {
    const index = this.byWatcher.get(watcher);
    if (index === undefined) return;
    for (const kind of Object.keys(index) as WatchKind[]) {
      for (const path of index[kind]) this.dropFrom(kind, path, watcher);
    }
    this.byWatcher.delete(watcher);
  }

  private dropFrom(kind: WatchKind, path: string, watcher: Watcher): void {
    const set = this.tables[kind].get(path);
    set?.delete(watcher);
    if (set?.size === 0) this.tables[kind].delete(path);
  }

  get watchCount(): number {
    let count = 0;
    for (const table of Object.values(this.tables)) for (const set of table.values()) count += set.size;
    return count;
  }
}
