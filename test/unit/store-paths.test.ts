// One module for the folders the tool keeps: every rule of src/store/paths.ts, as tables, and the
// cross product of every state of every variable checked against the rules in plain words.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { cacheDir, configFile, homeFolder, stateDir, storePaths, type HomeLookup } from '../../src/store/paths.js';

const CWD = '/work/here';
const db: HomeLookup = () => '/home/db';
const noDb: HomeLookup = () => undefined;
const throwingDb: HomeLookup = () => {
  throw new Error('uv_os_get_passwd returned ENOENT');
};
const paths = (env: Record<string, string | undefined>, home: HomeLookup = db) => {
  const p = storePaths(env, CWD, home);
  return [p.configFile, p.stateDir, p.cacheDir];
};

describe('storePaths', () => {
  it.each([
    ['nothing but HOME', { HOME: '/h' }, ['/h/.config/kimi-vision/config.json', '/h/.local/state/kimi-vision', '/h/.cache/kimi-vision']],
    ['the XDG folders', { HOME: '/h', XDG_CONFIG_HOME: '/c', XDG_STATE_HOME: '/s', XDG_CACHE_HOME: '/k' }, ['/c/kimi-vision/config.json', '/s/kimi-vision', '/k/kimi-vision']],
    [
      'XDG with a trailing slash',
      { HOME: '/h', XDG_CONFIG_HOME: '/c/', XDG_STATE_HOME: '/s//', XDG_CACHE_HOME: '/k/' },
      ['/c/kimi-vision/config.json', '/s/kimi-vision', '/k/kimi-vision'],
    ],
    [
      'relative XDG folders: ignored (XDG spec)',
      { HOME: '/h', XDG_CONFIG_HOME: 'c', XDG_STATE_HOME: './s', XDG_CACHE_HOME: '../k' },
      ['/h/.config/kimi-vision/config.json', '/h/.local/state/kimi-vision', '/h/.cache/kimi-vision'],
    ],
    [
      'empty and blank XDG folders: unset',
      { HOME: '/h', XDG_CONFIG_HOME: '', XDG_STATE_HOME: '  ', XDG_CACHE_HOME: '\t' },
      ['/h/.config/kimi-vision/config.json', '/h/.local/state/kimi-vision', '/h/.cache/kimi-vision'],
    ],
    [
      'KIMI_VISION_HOME: one folder for all, over XDG',
      { HOME: '/h', KIMI_VISION_HOME: '/kv', XDG_CONFIG_HOME: '/c', XDG_STATE_HOME: '/s', XDG_CACHE_HOME: '/k' },
      ['/kv/config.json', '/kv/state', '/kv/cache'],
    ],
    ['KIMI_VISION_CACHE_DIR moves the cache alone', { HOME: '/h', KIMI_VISION_HOME: '/kv', KIMI_VISION_CACHE_DIR: '/answers' }, ['/kv/config.json', '/kv/state', '/answers']],
    [
      'KIMI_VISION_CACHE_DIR over XDG_CACHE_HOME',
      { HOME: '/h', XDG_CACHE_HOME: '/k', KIMI_VISION_CACHE_DIR: '/answers' },
      ['/h/.config/kimi-vision/config.json', '/h/.local/state/kimi-vision', '/answers'],
    ],
    ['a relative KIMI_VISION_HOME: below the current folder', { HOME: '/h', KIMI_VISION_HOME: 'kv' }, ['/work/here/kv/config.json', '/work/here/kv/state', '/work/here/kv/cache']],
    [
      'a relative KIMI_VISION_CACHE_DIR: below the current folder',
      { HOME: '/h', KIMI_VISION_CACHE_DIR: '../answers' },
      ['/h/.config/kimi-vision/config.json', '/h/.local/state/kimi-vision', '/work/answers'],
    ],
    ['a quoted ~/ in KIMI_VISION_HOME is the home folder', { HOME: '/h', KIMI_VISION_HOME: '~/kv', KIMI_VISION_CACHE_DIR: '~' }, ['/h/kv/config.json', '/h/kv/state', '/h']],
    [
      '~name is not expanded (only ~ and ~/)',
      { HOME: '/h', KIMI_VISION_HOME: '~bob/kv' },
      ['/work/here/~bob/kv/config.json', '/work/here/~bob/kv/state', '/work/here/~bob/kv/cache'],
    ],
    ['blanks around values are dropped', { HOME: ' /h ', KIMI_VISION_HOME: ' /kv\n' }, ['/kv/config.json', '/kv/state', '/kv/cache']],
    [
      'a blank KIMI_VISION_HOME is unset',
      { HOME: '/h', KIMI_VISION_HOME: '  ', KIMI_VISION_CACHE_DIR: '' },
      ['/h/.config/kimi-vision/config.json', '/h/.local/state/kimi-vision', '/h/.cache/kimi-vision'],
    ],
    ['HOME unset: the password database', {}, ['/home/db/.config/kimi-vision/config.json', '/home/db/.local/state/kimi-vision', '/home/db/.cache/kimi-vision']],
    ['HOME empty: the password database', { HOME: '' }, ['/home/db/.config/kimi-vision/config.json', '/home/db/.local/state/kimi-vision', '/home/db/.cache/kimi-vision']],
    ['HOME relative: the password database', { HOME: 'h' }, ['/home/db/.config/kimi-vision/config.json', '/home/db/.local/state/kimi-vision', '/home/db/.cache/kimi-vision']],
  ])('%s', (_name, env, expected) => {
    expect(paths(env)).toEqual(expected);
  });

  it('names the state files below the state folder', () => {
    expect(storePaths({ HOME: '/h' }, CWD, db)).toEqual({
      configFile: '/h/.config/kimi-vision/config.json',
      stateDir: '/h/.local/state/kimi-vision',
      sessionsDir: '/h/.local/state/kimi-vision/sessions',
      blobsDir: '/h/.local/state/kimi-vision/blobs',
      lastSessionFile: '/h/.local/state/kimi-vision/last-session',
      batchesDir: '/h/.local/state/kimi-vision/batches',
      uploadsFile: '/h/.local/state/kimi-vision/uploads.json',
      cacheDir: '/h/.cache/kimi-vision',
    });
  });

  it('asks the password database only when a path needs it, and once', () => {
    let calls = 0;
    const counting: HomeLookup = () => (calls++, '/home/db');
    storePaths({ HOME: '/h' }, CWD, counting);
    storePaths({ KIMI_VISION_HOME: '/kv' }, CWD, counting);
    storePaths({ XDG_CONFIG_HOME: '/c', XDG_STATE_HOME: '/s', XDG_CACHE_HOME: '/k' }, CWD, counting);
    expect(calls).toBe(0);
    storePaths({}, CWD, counting);
    expect(calls).toBe(1);
  });

  it.each([
    ['no entry', noDb],
    ['an empty entry', () => ''],
    ['a relative entry', () => 'home'],
    ['a failing lookup', throwingDb],
  ])('no usable home folder at all (%s): exit 2 saying to set HOME or KIMI_VISION_HOME', (_name, home) => {
    const err = (() => {
      try {
        configFile({ HOME: '' }, CWD, home);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toMatch(/cannot tell where your home folder is/);
    expect((err as UsageError).hint).toMatch(/Set HOME, or KIMI_VISION_HOME/);
    // ...but a path that needs no home folder still works
    expect(stateDir({ XDG_STATE_HOME: '/s' }, CWD, home)).toBe('/s/kimi-vision');
    expect(cacheDir({ KIMI_VISION_HOME: '/kv' }, CWD, home)).toBe('/kv/cache');
  });

  it('homeFolder: HOME when absolute, else the database', () => {
    expect(homeFolder({ HOME: '/h' }, db)).toBe('/h');
    expect(homeFolder({ HOME: 'rel' }, db)).toBe('/home/db');
    expect(homeFolder({}, () => ' /home/db ')).toBe('/home/db');
  });
});

describe('every combination of every variable', () => {
  // Each variable in each of the states a user's environment can give it.
  const OWN = [undefined, '', '  ', '/kv', 'rel/kv', '~/kv'];
  const CACHE = [undefined, '', '/answers', 'rel/answers'];
  const XDG = [undefined, '', 'relative', '/xdg'];
  const HOME = [undefined, '', 'relative', '/h'];
  const DB: [string, HomeLookup][] = [
    ['db', db],
    ['none', noDb],
    ['throws', throwingDb],
  ];
  const set = (v: string | undefined) => v !== undefined && v.trim() !== '';
  const usableHome = (home: string | undefined, dbName: string) => (home?.startsWith('/') ? home : dbName === 'db' ? '/home/db' : undefined);

  /** The rule of each path in words, independent of the code's structure. */
  function expected(env: Record<string, string | undefined>, dbName: string, kind: 'config' | 'state' | 'cache'): string | 'no home' {
    const home = usableHome(env.HOME, dbName);
    const own = (v: string) => (v.startsWith('~/') ? (home ? path.join(home, v.slice(2)) : 'no home') : path.resolve(CWD, v));
    if (kind === 'cache' && set(env.KIMI_VISION_CACHE_DIR)) return own(env.KIMI_VISION_CACHE_DIR!);
    if (set(env.KIMI_VISION_HOME)) {
      const base = own(env.KIMI_VISION_HOME!);
      return base === 'no home' ? base : path.join(base, { config: 'config.json', state: 'state', cache: 'cache' }[kind]);
    }
    const xdg = env[{ config: 'XDG_CONFIG_HOME', state: 'XDG_STATE_HOME', cache: 'XDG_CACHE_HOME' }[kind]];
    const base = xdg?.startsWith('/') ? xdg : home ? path.join(home, { config: '.config', state: '.local/state', cache: '.cache' }[kind]) : undefined;
    if (!base) return 'no home';
    return path.join(base, 'kimi-vision', kind === 'config' ? 'config.json' : '');
  }

  const actual = (f: () => string) => {
    try {
      return f();
    } catch (err) {
      if (err instanceof UsageError) return 'no home';
      throw err;
    }
  };

  it('config, state and cache each follow their rule, and are always absolute', () => {
    let checked = 0;
    for (const own of OWN)
      for (const cache of CACHE)
        for (const xdg of XDG)
          for (const home of HOME)
            for (const [dbName, lookup] of DB) {
              const env = { KIMI_VISION_HOME: own, KIMI_VISION_CACHE_DIR: cache, XDG_CONFIG_HOME: xdg, XDG_STATE_HOME: xdg, XDG_CACHE_HOME: xdg, HOME: home };
              const got = {
                config: actual(() => configFile(env, CWD, lookup)),
                state: actual(() => stateDir(env, CWD, lookup)),
                cache: actual(() => cacheDir(env, CWD, lookup)),
              };
              const want = { config: expected(env, dbName, 'config'), state: expected(env, dbName, 'state'), cache: expected(env, dbName, 'cache') };
              expect(got, JSON.stringify({ env, db: dbName })).toEqual({
                config: path.normalize(want.config),
                state: path.normalize(want.state).replace(/\/$/, ''),
                cache: path.normalize(want.cache).replace(/\/$/, ''),
              });
              for (const p of Object.values(got)) if (p !== 'no home') expect(path.isAbsolute(p)).toBe(true);
              checked++;
            }
    expect(checked).toBe(OWN.length * CACHE.length * XDG.length * HOME.length * DB.length);
  });
});
