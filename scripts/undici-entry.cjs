// The entry of dist/vendor/undici.cjs: the parts of undici the CLI uses (src/api/http.ts,
// proxy-router.ts, client.ts, download.ts), with undici's own code. Its index.js also loads fetch,
// WebSocket, EventSource, the cache stores, the mocks and every other dispatcher: about half of its
// load time, on the path of every request. The exports keep the names and behaviour of undici's index.js.
'use strict';
const Agent = require('undici/lib/dispatcher/agent');
const Dispatcher = require('undici/lib/dispatcher/dispatcher');
const api = require('undici/lib/api');
const util = require('undici/lib/core/util');
const { InvalidArgumentError } = require('undici/lib/core/errors');
const redirect = require('undici/lib/interceptor/redirect');

Object.assign(Dispatcher.prototype, api); // as index.js does: dispatcher.request() and the rest

/** undici's `request(url, opts)`, for a given dispatcher (the CLI always passes one). */
function request(url, opts) {
  if (opts == null || typeof opts !== 'object' || !opts.dispatcher) throw new InvalidArgumentError('opts.dispatcher is required here');
  const u = util.parseURL(url);
  return api.request.call(opts.dispatcher, {
    ...opts,
    origin: u.origin,
    path: u.search ? `${u.pathname}${u.search}` : u.pathname,
    method: opts.method || (opts.body ? 'PUT' : 'GET'),
  });
}

module.exports = {
  Agent,
  Dispatcher,
  request,
  interceptors: { redirect },
  // Only when a proxy variable is set (src/api/proxy-router.ts): loaded then, not on every run.
  get ProxyAgent() {
    return require('undici/lib/dispatcher/proxy-agent');
  },
  // Uploads only (--upload, batch): fetch's FormData comes with much of fetch.
  get FormData() {
    return require('undici/lib/web/fetch/formdata').FormData;
  },
};
