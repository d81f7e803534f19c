/**
 * oidc-provider storage for the local IAM: process memory, entries expire.
 * The local IAM is one short-lived process (demo, dev, tests), so nothing needs
 * to survive a restart; an explicit adapter also keeps oidc-provider from
 * warning about its own quick-start one.
 */
type Payload = Record<string, unknown> & { grantId?: string; userCode?: string; uid?: string; consumed?: number };

interface Entry {
  payload: Payload;
  expiresAt: number | undefined;
}

export function createMemoryAdapter(): new (name: string) => unknown {
  const stores = new Map<string, Map<string, Entry>>();

  return class MemoryAdapter {
    readonly #store: Map<string, Entry>;

    constructor(name: string) {
      let store = stores.get(name);
      if (!store) {
        store = new Map();
        stores.set(name, store);
      }
      this.#store = store;
    }

    #get(id: string): Payload | undefined {
      const entry = this.#store.get(id);
      if (!entry) return undefined;
      if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
        this.#store.delete(id);
        return undefined;
      }
      return entry.payload;
    }

    #sweep(): void {
      const now = Date.now();
      for (const [id, entry] of this.#store) {
        if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.#store.delete(id);
      }
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      if (this.#store.size > 1000) this.#sweep();
      this.#store.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
    }

    async find(id: string): Promise<Payload | undefined> {
      return this.#get(id);
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      for (const id of this.#store.keys()) {
        const payload = this.#get(id);
        if (payload?.userCode === userCode) return payload;
      }
      return undefined;
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      for (const id of this.#store.keys()) {
        const payload = this.#get(id);
        if (payload?.uid === uid) return payload;
      }
      return undefined;
    }

    async consume(id: string): Promise<void> {
      const payload = this.#get(id);
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      this.#store.delete(id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const [id, entry] of this.#store) {
        if (entry.payload.grantId === grantId) this.#store.delete(id);
      }
    }
  };
}
