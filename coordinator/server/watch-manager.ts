/**
 * One-shot watches, owned by connections (as in ZooKeeper: a watch dies with the connection that set it;
 * the client re-arms it with setWatches after reconnecting).
 */
import { EventType, type EventTypeValue } from './protocol-constants.js';
import type { TreeEvent } from './data-tree.js';

/** Whoever receives notifications (a client connection). */
export interface Watcher {
  notify(type: EventTypeValue, path: string, zxid: number): void;
}

export class WatchManager {
  /** getData/exists watches (exists on a missing node waits here for NodeCreated). */
  private readonly dataWatches = new Map<string, Set<Watcher>>();
  private readonly childWatches = new Map<string, Set<Watcher>>();
  private readonly byWatcher = new Map<Watcher, { data: Set<string>; child: Set<string> }>();

  addDataWatch(path: string, watcher: Watcher): void {
    this.add(this.dataWatches, path, watcher, 'data');
  }

  addChildWatch(path: string, watcher: Watcher): void {
    this.add(this.childWatches, path, watcher, 'child');
  }

  private add(
    table: Map<string, Set<Watcher>>,
    path: string,
    watcher: Watcher,
    kind: 'data' | 'child',
  ): void {
    let set = table.get(path);
    if (set === undefined) {
      set = new Set();
      table.set(path, set);
    }
    set.add(watcher);
    let index = this.byWatcher.get(watcher);
    if (index === undefined) {
      index = { data: new Set(), child: new Set() };
      this.byWatcher.set(watcher, index);
    }
    index[kind].add(path);
  }

  private take(
    table: Map<string, Set<Watcher>>,
    path: string,
    kind: 'data' | 'child',
  ): Set<Watcher> | undefined {
    const set = table.get(path);
    if (set === undefined) return undefined;
    table.delete(path);
    for (const watcher of set) this.byWatcher.get(watcher)?.[kind].delete(path);
    return set;
  }

  /** Fires and removes the watches the events trigger; one NodeDeleted per watcher per node. */
  trigger(events: readonly TreeEvent[], zxid: number): void {
    if (this.byWatcher.size === 0) return;
    for (const { type, path } of events) {
      switch (type) {
        case EventType.nodeCreated:
        case EventType.nodeDataChanged:
          for (const watcher of this.take(this.dataWatches, path, 'data') ?? [])
            watcher.notify(type, path, zxid);
          break;
        case EventType.nodeChildrenChanged:
          for (const watcher of this.take(this.childWatches, path, 'child') ?? [])
            watcher.notify(type, path, zxid);
          break;
        case EventType.nodeDeleted: {
          const notified = new Set<Watcher>();
          for (const watcher of this.take(this.dataWatches, path, 'data') ?? []) notified.add(watcher);
          for (const watcher of this.take(this.childWatches, path, 'child') ?? []) notified.add(watcher);
          for (const watcher of notified) watcher.notify(type, path, zxid);
          break;
        }
      }
    }
  }

  removeWatcher(watcher: Watcher): void {
    const index = this.byWatcher.get(watcher);
    if (index === undefined) return;
    for (const path of index.data) this.dropFrom(this.dataWatches, path, watcher);
    for (const path of index.child) this.dropFrom(this.childWatches, path, watcher);
    this.byWatcher.delete(watcher);
  }

  private dropFrom(table: Map<string, Set<Watcher>>, path: string, watcher: Watcher): void {
    const set = table.get(path);
    set?.delete(watcher);
    if (set?.size === 0) table.delete(path);
  }

  get watchCount(): number {
    let count = 0;
    for (const set of this.dataWatches.values()) count += set.size;
    for (const set of this.childWatches.values()) count += set.size;
    return count;
  }
}
