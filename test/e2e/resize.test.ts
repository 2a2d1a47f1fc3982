// --max-edge / --max-bytes against the emulator: what is estimated, what is sent (decoded back from
// the bytes the emulator received), EXIF orientation, the byte budget, converted formats, and the CLI
// without sharp.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { FIXTURES, isolatedHome, runBin, type SpawnOptions } from '../helpers/cli.js';

const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ reply: () => 'A desktop.' });
});

const KEY = 'sk-test-resize-0123456789';
const dir = mkdtempSync(path.join(tmpdir(), 'kv-resize-'));
const SHOT = path.join(dir, 'shot-4k.png');
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A 4K (3840x2160) screenshot: the 1080p desktop fixture drawn at 2x, a dialog and a photo on it. */
beforeAll(async () => {
  const desktop = await sharp(path.join(FIXTURES, 'large.png')).resize(3840, 2160).png().toBuffer();
  const dialog = await sharp(path.join(FIXTURES, 'screenshot.png')).resize(1280, 800).png().toBuffer();
  const photo = await sharp(path.join(FIXTURES, 'photo.jpg')).rotate().resize(1600, 1200).png().toBuffer();
  await sharp(desktop)
    .composite([
      { input: photo, left: 2000, top: 700 },
      { input: dialog, left: 300, top: 400 },
    ])
    .png()
    .toFile(SHOT);
});

function kv(args: string[], o: SpawnOptions = {}) {
  return runBin(['describe', ...args], { cwd: dir, ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, ...o.env } });
}

interface DryRun {
  images: { path: string; mime: string; bytes: number; sha256: string; original_bytes?: number }[];
  estimate: { image_tokens: number; input_tokens: number };
  request_bytes: number;
}

/**
 * The image the emulator received, as bytes: the session keeps each in-memory image under its
 * sha256, and the test checks that hash against the one the emulator logged for the request.
 */
function received(home: Record<string, string>, index = 0): Buffer {
  const logged = emu.chatRequests()[0]!.images[index]!;
  const state = home.XDG_STATE_HOME!;
  const file = (readdirSync(state, { recursive: true }) as string[]).find((f) => path.basename(f) === logged.sha256);
  expect(file, 'a blob named by the sha256 the emulator logged').toBeDefined();
  const data = readFileSync(path.join(state, file!));
  expect(sha(data)).toBe(logged.sha256);
  expect(data.length).toBe(logged.bytes);
  return data;
}

describe('--max-edge on a 4K screenshot', () => {
  it('cuts the estimate from 4,214 to 2,691 image tokens (K2.6) and the bytes, nothing sent on --dry-run', async () => {
    const before = await kv(['shot-4k.png', '--dry-run', '--format', 'json']);
    const after = await kv(['shot-4k.png', '--max-edge', '1920', '--dry-run', '--format', 'json']);
    expect(before.code).toBe(0);
    expect(after.code).toBe(0);
    const b = JSON.parse(before.stdout) as DryRun;
    const a = JSON.parse(after.stdout) as DryRun;
    expect(b.estimate.image_tokens).toBe(4214);
    expect(a.estimate.image_tokens).toBe(2691);
    const original = statSync(SHOT).size;
    expect(b.images[0]).toEqual({ path: 'shot-4k.png', mime: 'image/png', bytes: original, sha256: sha(readFileSync(SHOT)) });
    expect(a.images[0]).toMatchObject({ path: 'shot-4k.png', mime: 'image/png', original_bytes: original });
    expect(a.images[0]!.bytes).toBeLessThan(original / 2);
    expect(a.request_bytes).toBeLessThan(b.request_bytes / 2);
    expect(after.stderr).toMatch(/^shot-4k\.png: 3840x2160 PNG, [\d.]+ MB → 1920x1080 PNG, [\d.]+ KB$/m);
    expect(emu.requests).toHaveLength(0);
  });

  it('sends a 1920x1080 PNG, and the answer uses its tokens', async () => {
    const home = isolatedHome();
    const r = await kv(['shot-4k.png', '--max-edge', '1920', '--format', 'json'], { env: home });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { usage: { prompt_tokens: number }; images: DryRun['images'] };
    const logged = emu.chatRequests()[0]!.images[0]!;
    expect(logged).toMatchObject({ mime: 'image/png', bytes: out.images[0]!.bytes, sha256: out.images[0]!.sha256 });
    const meta = await sharp(received(home)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 1920, 1080]);
    expect(out.usage.prompt_tokens).toBeGreaterThan(2691);
    expect(out.usage.prompt_tokens).toBeLessThan(2691 + 50); // not 4,214 + text
  });

  it('never upscales: an image within the edge is sent as it is (same bytes)', async () => {
    const r = await kv([path.join(FIXTURES, 'screenshot.png'), '--max-edge', '1920', '--dry-run', '--format', 'json']);
    const img = (JSON.parse(r.stdout) as DryRun).images[0]!;
    expect(img.sha256).toBe(sha(readFileSync(path.join(FIXTURES, 'screenshot.png'))));
    expect(img.original_bytes).toBeUndefined();
    expect(r.stderr).not.toContain('→');
  });
});

describe('EXIF orientation', () => {
  it('photo.jpg (Orientation 6, stored 600x800) is sent upright: 400x300, sky on top, no orientation tag', async () => {
    const home = isolatedHome();
    const r = await kv([path.join(FIXTURES, 'photo.jpg'), '--max-edge', '400'], { env: home });
    expect(r.code).toBe(0);
    expect(emu.chatRequests()[0]!.images[0]!.mime).toBe('image/jpeg');
    const data = received(home);
    const meta = await sharp(data).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([400, 300, undefined]);
    const { data: px, info } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => Array.from(px.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    const [tr, tg, tb] = at(200, 10) as [number, number, number];
    const [br, bg, bb] = at(200, 290) as [number, number, number];
    expect(tb).toBeGreaterThan(Math.max(tr, tg)); // sky
    expect(bg).toBeGreaterThan(Math.max(br, bb)); // grass
  });

  it('turns an upright-sized photo upright even when it needs no downscaling', async () => {
    const r = await kv([path.join(FIXTURES, 'photo.jpg'), '--max-edge', '4000', '--dry-run', '--format', 'json']);
    const img = (JSON.parse(r.stdout) as DryRun).images[0]!;
    expect(img.original_bytes).toBe(statSync(path.join(FIXTURES, 'photo.jpg')).size);
    expect(r.stderr).toMatch(/photo\.jpg: 800x600 JPEG, [\d.]+ KB → 800x600 JPEG/);
  });
});

describe('--max-bytes', () => {
  it('a PNG over the budget becomes a JPEG under it; the size stays when that is enough', async () => {
    const home = isolatedHome();
    const r = await kv(['shot-4k.png', '--max-bytes', '200k', '--format', 'json'], { env: home });
    expect(r.code).toBe(0);
    const logged = emu.chatRequests()[0]!.images[0]!;
    expect(logged.mime).toBe('image/jpeg');
    expect(logged.bytes).toBeLessThanOrEqual(200 * 1024);
    const meta = await sharp(received(home)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 3840, 2160]);
  });

  it('with --max-edge: lower JPEG quality until it fits', async () => {
    const r = await kv(['shot-4k.png', '--max-edge', '1920', '--max-bytes', '60k', '--dry-run', '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as DryRun;
    expect(out.images[0]!.mime).toBe('image/jpeg');
    expect(out.images[0]!.bytes).toBeLessThanOrEqual(60 * 1024);
    expect(out.estimate.image_tokens).toBe(2691);
  });

  it('an image already under the budget is sent as it is', async () => {
    const r = await kv([path.join(FIXTURES, 'screenshot.png'), '--max-bytes', '1m', '--dry-run', '--format', 'json']);
    expect((JSON.parse(r.stdout) as DryRun).images[0]!.sha256).toBe(sha(readFileSync(path.join(FIXTURES, 'screenshot.png'))));
  });

  it('a budget no encoding can meet: exit 3, nothing sent', async () => {
    const r = await kv([path.join(FIXTURES, 'screenshot.png'), '--max-bytes', '300']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/screenshot\.png: cannot be made as small as --max-bytes 300 B \(still \d+ B at \d+x\d+, JPEG quality 45\)/);
    expect(r.stdout).toBe('');
    expect(emu.requests).toHaveLength(0);
  });

  it('refuses a size it cannot read (exit 2)', async () => {
    const r = await kv(['shot-4k.png', '--max-bytes', '2x', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-bytes takes a size in bytes: a number, or with k or m \(500k, 2m/);
  });
});

describe('formats', () => {
  it('TIFF, refused as it is, is converted to PNG with a resize option', async () => {
    const tiff = path.join(FIXTURES, 'bad', 'scan.tiff');
    const refused = await kv([tiff, '--dry-run']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/converts it with --max-edge or --max-bytes/);
    const r = await kv([tiff, '--max-edge', '1000']);
    expect(r.code).toBe(0);
    expect(emu.chatRequests()[0]!.images[0]!.mime).toBe('image/png');
    expect(r.stderr).toMatch(/scan\.tiff: 48x32 TIFF, 408 B → 48x32 PNG/);
  });

  it('AVIF is converted to JPEG', async () => {
    await sharp(path.join(FIXTURES, 'screenshot.png')).avif().toFile(path.join(dir, 'shot.avif'));
    const r = await kv(['shot.avif', '--max-edge', '320', '--dry-run', '--format', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as DryRun).images[0]!.mime).toBe('image/jpeg');
    expect(r.stderr).toMatch(/shot\.avif: 640x400 AVIF, [\d.]+ KB → 320x200 JPEG/);
  });

  it('HEIC (HEVC), which prebuilt sharp cannot decode: sent as it is when it fits, a clear error when it must shrink', async () => {
    const heic = path.join(FIXTURES, 'image.heic');
    const fits = await kv([heic, '--max-edge', '1000']);
    expect(fits.code).toBe(0);
    expect(fits.stderr).toMatch(/image\.heic: sent as it is \(HEIC\), not converted: this sharp cannot decode HEIC compressed with HEVC/);
    expect(emu.chatRequests()[0]!.images[0]).toMatchObject({ mime: 'image/heic', sha256: sha(readFileSync(heic)) });
    emu.reset();
    const big = await kv([heic, '--max-edge', '48']);
    expect(big.code).toBe(3);
    expect(big.stderr).toMatch(/image\.heic: cannot be resized and converted: this sharp cannot decode HEIC compressed with HEVC[^\n]*\nConvert it to JPEG first/);
    expect(emu.requests).toHaveLength(0);
  });

  it('videos are left alone', async () => {
    const r = await kv([path.join(FIXTURES, 'video.mp4'), '--max-edge', '16', '--dry-run', '--format', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as DryRun).images[0]).toEqual({
      path: expect.stringMatching(/video\.mp4$/),
      mime: 'video/mp4',
      bytes: 1445,
      sha256: sha(readFileSync(path.join(FIXTURES, 'video.mp4'))),
    });
  });
});

describe('--each and batch submit', () => {
  it('--each resizes each image and writes the sidecar next to the original file', async () => {
    const each = mkdtempSync(path.join(tmpdir(), 'kv-resize-each-'));
    copyFileSync(SHOT, path.join(each, 'a.png'));
    copyFileSync(path.join(FIXTURES, 'photo.jpg'), path.join(each, 'b.jpg'));
    const r = await runBin(['describe', '--each', '.', '--max-edge', '1920', '--write', 'txt'], { cwd: each, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/re-encoded 2 of 2 images: [\d.]+ MB → [\d.]+ KB/);
    const sent = emu
      .chatRequests()
      .flatMap((q) => q.images.map((i) => i.mime))
      .sort();
    expect(sent).toEqual(['image/jpeg', 'image/png']);
    expect(readFileSync(path.join(each, 'a.png.txt'), 'utf8')).toBe('A desktop.\n');
    expect(existsSync(path.join(each, 'b.jpg.txt'))).toBe(true);
  });

  it('batch submit --dry-run estimates the resized images', async () => {
    const r = await runBin(['batch', 'submit', 'shot-4k.png', '--max-edge', '1920', '--dry-run', '--format', 'json'], { cwd: dir, env: { MOONSHOT_BASE_URL: emu.baseUrl } });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { images: { estimate: { image_tokens: number }; original_bytes: number }[] };
    expect(out.images[0]!.estimate.image_tokens).toBe(2691);
    expect(out.images[0]!.original_bytes).toBe(statSync(SHOT).size);
  });
});

describe('without sharp', () => {
  const hook = path.join(dir, 'report-sharp.cjs');
  const marker = path.join(dir, 'sharp-loaded.txt');
  beforeAll(() => {
    // Preloaded into the CLI: at exit, records whether any file of sharp was loaded.
    writeFileSync(
      hook,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(marker)}, String(Object.keys(require.cache).some((f) => f.includes('/node_modules/sharp/')))));\n`,
    );
  });
  const loadsSharp = async (args: string[]) => {
    const r = await kv(args, { env: { NODE_OPTIONS: `--require ${hook}` } });
    expect(r.code, r.stderr).toBe(0);
    return readFileSync(marker, 'utf8');
  };

  it('describe --dry-run without resize options never loads sharp (with them, it does)', async () => {
    expect(await loadsSharp([path.join(FIXTURES, 'small.png'), '--dry-run'])).toBe('false');
    expect(await loadsSharp([path.join(FIXTURES, 'small.png'), '--dry-run', '--max-edge', '16'])).toBe('true');
  });

  it('KIMI_VISION_NO_SHARP=1 (as if sharp were missing): a resize option exits 2 saying how to install it, nothing sent', async () => {
    for (const args of [
      ['shot-4k.png', '--max-edge', '1920'],
      ['--each', 'shot-4k.png', '--max-bytes', '500k'],
      ['shot-4k.png', '--max-edge', '1920', '--max-bytes', '1m', '--dry-run'],
    ]) {
      const r = await kv(args, { env: { KIMI_VISION_NO_SHARP: '1' } });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /--max-(edge|bytes)( and --max-bytes)? needs? sharp, an optional dependency of kimi-vision that cannot be loaded \(KIMI_VISION_NO_SHARP=1 is set\); nothing was sent\./,
      );
      expect(r.stderr).toMatch(/npm install -g sharp.*npm install sharp/);
    }
    expect(emu.requests).toHaveLength(0);
    const plain = await kv(['shot-4k.png'], { env: { KIMI_VISION_NO_SHARP: '1' } });
    expect(plain.code).toBe(0);
    expect(emu.chatRequests()[0]!.images[0]!.sha256).toBe(sha(readFileSync(SHOT)));
  });
});
