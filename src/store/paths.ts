// Where kimi-vision keeps state: KIMI_VISION_HOME if set, else the XDG state dir.
import { homeDir } from '../lazy.js';
import path from 'node:path';

export function stateDir(env: Record<string, string | undefined>): string {
  if (env.KIMI_VISION_HOME) return path.join(env.KIMI_VISION_HOME, 'state');
  const base = env.XDG_STATE_HOME || path.join(env.HOME || homeDir(), '.local', 'state');
  return path.join(base, 'kimi-vision');
}
