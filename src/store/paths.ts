// Every folder and file kimi-vision keeps, in one place: the config file, the state folder (sessions,
// blobs, batch manifests, the uploads index) and the cache folder (answers of --each --cache).
//
// Where, first rule that applies:
//   config  $KIMI_VISION_HOME/config.json · $XDG_CONFIG_HOME/kimi-vision/config.json · ~/.config/kimi-vision/config.json
//   state   $KIMI_VISION_HOME/state       · $XDG_STATE_HOME/kimi-vision              · ~/.local/state/kimi-vision
//   cache   $KIMI_VISION_CACHE_DIR · $KIMI_VISION_HOME/cache · $XDG_CACHE_HOME/kimi-vision · ~/.cache/kimi-vision
// - KIMI_VISION_HOME is one folder for everything the tool keeps (a portable install, a CI job, a
//   test), so the cache goes below it too; KIMI_VISION_CACHE_DIR still moves the cache alone.
// - The XDG variables count only when absolute: the XDG spec says to treat a relative path in them as
//   invalid and ignore it (an empty one is unset).
// - KIMI_VISION_HOME and KIMI_VISION_CACHE_DIR are the user's own choice, said explicitly: a relative
//   one is taken relative to the current folder (resolved once, so the answer is an absolute path),
//   and a leading `~/` is the home folder (a quoted `"~/kv"` is never a folder named `~`).
// - ~ is $HOME when it is absolute, else the home folder of the password database (os.userInfo),
//   looked up only when a path needs it, so node:os stays off the start-up path.
// - Every value is trimmed; one that is empty (or all blanks) is unset.
// Pure: the environment, the current folder (default: the process's) and the password-database
// lookup are arguments.
import path from 'node:path';
import { UsageError } from '../errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** The home folder the password database gives for this user; undefined (or throwing) when none. */
export type HomeLookup = () => string | undefined;

export interface StorePaths {
  configFile: string;
  stateDir: string;
  /** <id>.json per conversation */
  sessionsDir: string;
  /** images of sessions, by sha256 */
  blobsDir: string;
  /** the id of the last session, for --continue */
  lastSessionFile: string;
  /** one manifest per `batch submit` */
  batchesDir: string;
  /** sha256 -> ms:// file id of uploaded images */
  uploadsFile: string;
  /** answers of --each --cache */
  cacheDir: string;
}

const APP = 'kimi-vision';

export function configFile(env: Env, cwd: string = process.cwd(), home: HomeLookup = passwordHome): string {
  const own = ownFolder(env, 'KIMI_VISION_HOME', cwd, home);
  if (own) return path.join(own, 'config.json');
  return path.join(xdgBase(env, 'XDG_CONFIG_HOME', home, '.config'), APP, 'config.json');
}

export function stateDir(env: Env, cwd: string = process.cwd(), home: HomeLookup = passwordHome): string {
  const own = ownFolder(env, 'KIMI_VISION_HOME', cwd, home);
  if (own) return path.join(own, 'state');
  return path.join(xdgBase(env, 'XDG_STATE_HOME', home, '.local', 'state'), APP);
}

export function cacheDir(env: Env, cwd: string = process.cwd(), home: HomeLookup = passwordHome): string {
  const cache = ownFolder(env, 'KIMI_VISION_CACHE_DIR', cwd, home);
  if (cache) return cache;
  const own = ownFolder(env, 'KIMI_VISION_HOME', cwd, home);
  if (own) return path.join(own, 'cache');
  return path.join(xdgBase(env, 'XDG_CACHE_HOME', home, '.cache'), APP);
}

/** Every path at once (the home folder is looked up at most once). */
export function storePaths(env: Env, cwd: string = process.cwd(), home: HomeLookup = passwordHome): StorePaths {
  const once = memo(home);
  const state = stateDir(env, cwd, once);
  return {
    configFile: configFile(env, cwd, once),
    stateDir: state,
    sessionsDir: path.join(state, 'sessions'),
    blobsDir: path.join(state, 'blobs'),
    lastSessionFile: path.join(state, 'last-session'),
    batchesDir: path.join(state, 'batches'),
    uploadsFile: path.join(state, 'uploads.json'),
    cacheDir: cacheDir(env, cwd, once),
  };
}

/** The user's home folder: $HOME when absolute, else the password database's. */
export function homeFolder(env: Env, home: HomeLookup = passwordHome): string {
  const fromEnv = value(env, 'HOME');
  if (fromEnv && path.isAbsolute(fromEnv)) return fromEnv;
  let found: string | undefined;
  try {
    found = home()?.trim();
  } catch {
    found = undefined;
  }
  if (found && path.isAbsolute(found)) return found;
  throw new UsageError(
    'cannot tell where your home folder is: HOME is not set (or not an absolute path) and the user database has none for this user.',
    `Set HOME, or KIMI_VISION_HOME to a folder for kimi-vision's config, state and cache.`,
  );
}

/** The password database's home folder for this user (node:os loaded on first use only). */
function passwordHome(): string | undefined {
  return process.getBuiltinModule('node:os').userInfo().homedir;
}

function value(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

/** KIMI_VISION_HOME / KIMI_VISION_CACHE_DIR: absolute, relative to `cwd`, or below ~. */
function ownFolder(env: Env, name: string, cwd: string, home: HomeLookup): string | undefined {
  const v = value(env, name);
  if (v === undefined) return undefined;
  if (v === '~' || v.startsWith('~/')) return path.join(homeFolder(env, home), v.slice(1));
  return path.resolve(cwd, v);
}

function xdgBase(env: Env, name: string, home: HomeLookup, ...fallback: string[]): string {
  const v = value(env, name);
  if (v && path.isAbsolute(v)) return v;
  return path.join(homeFolder(env, home), ...fallback);
}

function memo(f: HomeLookup): HomeLookup {
  let done = false;
  let v: string | undefined;
  return () => {
    if (!done) {
      done = true;
      v = f();
    }
    return v;
  };
}
