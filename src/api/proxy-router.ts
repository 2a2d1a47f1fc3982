// The dispatcher used when a proxy variable is set: for each request's origin it asks proxy.ts which
// proxy, if any, and hands the request to a direct Agent or to the ProxyAgent of that proxy (one per
// proxy, made on first use). The errors of a proxied request carry the proxy (proxyOf), so that the
// error mapping (http.ts) can report a dead or refusing proxy as the proxy. Per origin, not per
// dispatcher: a download may be redirected to another host, which NO_PROXY may treat otherwise.
import type { Dispatcher } from 'undici';
import { proxyFor, type ProxyChoice } from './proxy.js';

type Undici = typeof import('undici');
type AgentOptions = { connect: { timeout: number }; headersTimeout: number; bodyTimeout: number; maxHeaderSize: number };

const PROXY = Symbol.for('kimi-vision.proxy');

/** The proxy a failed request went through, if any. */
export function proxyOf(err: unknown): ProxyChoice | undefined {
  return err !== null && typeof err === 'object' ? ((err as Record<symbol, ProxyChoice | undefined>)[PROXY] ?? undefined) : undefined;
}

/** Marks `err` as an error of a request that went through `choice` (once; a frozen error stays unmarked). */
export function markProxy<E>(err: E, choice: ProxyChoice): E {
  if (err !== null && typeof err === 'object' && Object.isExtensible(err) && !(PROXY in err)) {
    Object.defineProperty(err, PROXY, { value: choice });
  }
  return err;
}

export function proxyRouter(undici: Undici, opts: AgentOptions, env: Record<string, string | undefined>): Dispatcher {
  const routes = new Map<string, ProxyChoice | undefined>();
  const agents = new Map<string, Dispatcher>();
  const agentFor = (choice: ProxyChoice | undefined): Dispatcher => {
    const key = choice?.url ?? '';
    let agent = agents.get(key);
    if (!agent) {
      // The connect timeout applies to the proxy and to the TLS handshake through its tunnel.
      const tls = { timeout: opts.connect.timeout };
      agent = choice ? new undici.ProxyAgent({ ...opts, uri: choice.url, proxyTls: tls, requestTls: tls }) : new undici.Agent(opts);
      agents.set(key, agent);
    }
    return agent;
  };
  const router = Object.create(undici.Dispatcher.prototype) as Dispatcher;
  Object.assign(router, {
    dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      const origin = String(options.origin ?? '');
      if (!routes.has(origin)) routes.set(origin, proxyFor(origin, env));
      const choice = routes.get(origin);
      return agentFor(choice).dispatch(options, choice ? marking(handler, choice) : handler);
    },
    async close(): Promise<void> {
      await Promise.all([...agents.values()].map((a) => a.close()));
    },
    async destroy(): Promise<void> {
      await Promise.all([...agents.values()].map((a) => a.destroy()));
    },
  });
  return router;
}

/** The handler, with every error it is given marked with the proxy. undici calls handlers in either
 *  its old style (onError) or its new one (onResponseError); the other methods are the handler's own,
 *  bound to it (some keep private fields, which `this` = a Proxy could not reach). */
function marking(handler: Dispatcher.DispatchHandler, choice: ProxyChoice): Dispatcher.DispatchHandler {
  const mark = (err: unknown) => markProxy(err, choice);
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(handler, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      let f = bound.get(key);
      if (!f) {
        const fn = value as (...args: unknown[]) => unknown;
        if (key === 'onError') f = (err: unknown) => fn.call(target, mark(err));
        else if (key === 'onResponseError') f = (controller: unknown, err: unknown) => fn.call(target, controller, mark(err));
        else f = fn.bind(target);
        bound.set(key, f);
      }
      return f;
    },
  });
}
