// Preloaded with `node --import` when GNU time is missing: writes this process's peak RSS (KB) to
// $KV_BENCH_MAXRSS_FILE as it exits (process.exit() included).
import { writeFileSync } from 'node:fs';

const file = process.env.KV_BENCH_MAXRSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
