// The abort signals of the requests under way, linked to the caller's one long-lived signal.

/**
 * Each request gets a signal of its own, aborted with the caller's: ONE listener on the caller's
 * signal for every request. A listener per request on that one long-lived signal kept each
 * request's objects alive through young-generation collections (Node's EventTarget leaves a
 * removed listener linked to the next one), so --each's memory grew with its length.
 */
export class RequestSignals {
  private readonly underWay = new Set<AbortController>();
  private linked = false;

  constructor(private readonly outer: AbortSignal | undefined) {}

  /** A signal for one request (undefined when the caller gave none); release() it when the request is over. */
  open(): AbortController | undefined {
    const outer = this.outer;
    if (!outer) return undefined;
    if (!this.linked) {
      this.linked = true;
      outer.addEventListener(
        'abort',
        () => {
          for (const c of this.underWay) c.abort(outer.reason);
        },
        { once: true },
      );
    }
    const own = new AbortController();
    if (outer.aborted) own.abort(outer.reason);
    this.underWay.add(own);
    return own;
  }

  release(own: AbortController): void {
    this.underWay.delete(own);
  }
}
