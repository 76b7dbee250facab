/**
 * A small request/reply layer used on both doors (host↔worker, host↔webview).
 * Every message is a plain object with a literal `type`; requests carry an `id`
 * and are answered by a `reply` with the same id.
 */

export interface Reply<R = unknown> {
  type: 'reply';
  id: number;
  ok: boolean;
  result?: R;
  error?: string;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isReply(value: unknown): value is Reply {
  return isObject(value) && value.type === 'reply' && typeof value.id === 'number' && typeof value.ok === 'boolean';
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Tracks outstanding requests on one side of a door. */
export class RequestTracker {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** Sends `build(id)` through `post` and resolves with the matching reply's result. */
  request<R>(post: (message: unknown) => void, build: (id: number) => object, timeoutMs = 30_000): Promise<R> {
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = timeoutMs > 0
        ? setTimeout(() => { this.pending.delete(id); reject(new Error(`request ${id} timed out after ${timeoutMs} ms`)); }, timeoutMs)
        : undefined;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        post(build(id));
      } catch (e) {
        this.settle(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** Routes a reply to its waiting request; returns false if nobody waits for it. */
  handleReply(reply: Reply): boolean {
    const p = this.settle(reply.id);
    if (!p) return false;
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new Error(reply.error ?? 'request failed'));
    return true;
  }

  /** Fails every outstanding request, e.g. when the other side died. */
  rejectAll(reason: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new Error(reason));
  }

  get size(): number {
    return this.pending.size;
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    return p;
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
