#!/usr/bin/env node
// The shim: turn on Node's own compile cache where the runtime has it (Node >= 22.1; a no-op
// elsewhere, and off with NODE_DISABLE_COMPILE_CACHE=1), then load the built CLI. Nothing else.
'use strict';
process.getBuiltinModule?.('node:module')?.enableCompileCache?.();
require('../dist/kimi-vision.cjs');
