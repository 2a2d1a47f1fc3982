// The rest of the vision API from the command line: conversations, JSON Mode, schemas, Partial Mode,
// tools, thinking and video, each against the emulator.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { isolatedHome, runBin, type SpawnOptions } from '../helpers/cli.js';

let home: Record<string, string>;
const emu = useEmulator();
beforeEach(() => {
  emu.reset();
  emu.set({ reply: undefined, toolArguments: undefined });
  home = isolatedHome();
});

const KEY = 'sk-conversation-test-key-42';
const fx = (name: string) => path.join('fixtures', name);
const kv = (args: string[], o: SpawnOptions = {}) => runBin(args, { ...o, env: { MOONSHOT_BASE_URL: emu.baseUrl, MOONSHOT_API_KEY: KEY, ...home, ...o.env } });
type Body = { model: string; messages: { role: string; content: unknown; partial?: boolean; name?: string; tool_call_id?: string; tool_calls?: unknown }[] } & Record<
  string,
  unknown
>;
const lastBody = () => emu.chatRequests().at(-1)!.body as Body;

describe('conversations', () => {
  it('saves every describe; --continue resends the whole history and adds the new turn', async () => {
    emu.set({ reply: (ctx) => `turn ${ctx.body.messages.filter((m: { role: string }) => m.role === 'user').length}` });
    const first = await kv(['describe', fx('screenshot.png'), '-p', 'What is this?']);
    expect(first).toMatchObject({ code: 0, stdout: 'turn 1\n' });
    const second = await kv(['describe', '--continue', '-p', 'And the colours?']);
    expect(second).toMatchObject({ code: 0, stdout: 'turn 2\n' });
    const body = lastBody();
    expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(body.messages[1]!.content).toBe('turn 1');
    expect(body.messages[2]!.content).toEqual([{ type: 'text', text: 'And the colours?' }]);
    // the image of turn 1 is resent, same bytes
    expect(emu.chatRequests()[1]!.images.map((i) => i.sha256)).toEqual(emu.chatRequests()[0]!.images.map((i) => i.sha256));

    const list = await kv(['sessions', '--format', 'json']);
    const sessions = JSON.parse(list.stdout) as { id: string; turns: number; images: number; first_prompt: string }[];
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ turns: 2, images: 1, first_prompt: 'What is this?' });
    const byId = await kv(['describe', '--session', sessions[0]!.id, '-p', 'Third?']);
    expect(byId.stdout).toBe('turn 3\n');
    // sessions hold no key and no base64
    const dir = path.join(home.XDG_STATE_HOME!, 'kimi-vision', 'sessions');
    const file = readFileSync(path.join(dir, readdirSync(dir)[0]!), 'utf8');
    expect(file).not.toContain(KEY);
    expect(file).not.toContain('base64');
    expect(statSync(path.join(dir, readdirSync(dir)[0]!)).mode & 0o077).toBe(0);
  });

  it('a large image, hashed as it is sent: the JSON output and the saved session carry its sha256', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-conv-'));
    const img = path.join(dir, 'big.png');
    const data = Buffer.alloc(2 * 1024 * 1024 + 5); // small.png and padding: a valid PNG header, 2 MB
    readFileSync(fx('small.png')).copy(data);
    writeFileSync(img, data);
    const sha = createHash('sha256').update(data).digest('hex');
    const r = await kv(['describe', img, '--format', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { images: { sha256: string; bytes: number }[] }).images).toEqual([expect.objectContaining({ sha256: sha, bytes: data.length })]);
    expect(emu.chatRequests()[0]!.images.map((i) => i.sha256)).toEqual([sha]);
    const sessions = path.join(home.XDG_STATE_HOME!, 'kimi-vision', 'sessions');
    expect(readFileSync(path.join(sessions, readdirSync(sessions)[0]!), 'utf8')).toContain(`"sha256": "${sha}"`);
    // the stored hash is right: the unchanged file is taken again on --continue
    expect((await kv(['describe', '--continue', '-p', 'again'])).code).toBe(0);
    expect(emu.chatRequests()[1]!.images.map((i) => i.sha256)).toEqual([sha]);
  });

  it('a file removed once it was sent: the answer is kept, with the sha256 of what was sent', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-conv-'));
    const img = path.join(dir, 'gone.png');
    const data = Buffer.alloc(512 * 1024); // small.png and padding: sent in pieces, not as one string
    readFileSync(fx('small.png')).copy(data);
    writeFileSync(img, data);
    // The server has the whole body when it answers: the file goes before the answer comes.
    emu.set({ reply: () => (rmSync(img), 'A picture that is gone now.') });
    try {
      const r = await kv(['describe', img, '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { text: string; images: { sha256: string }[] };
      expect(out.text).toBe('A picture that is gone now.');
      expect(out.images.map((i) => i.sha256)).toEqual(emu.chatRequests()[0]!.images.map((i) => i.sha256));
      expect(out.images[0]!.sha256).toBe(createHash('sha256').update(data).digest('hex'));
      // The conversation was saved; going on with it names the file that is gone.
      const again = await kv(['describe', '--continue', '-p', 'And now?']);
      expect(again.code).toBe(3);
      expect(again.stderr).toContain('gone.png is gone since it was added to this conversation.');
    } finally {
      emu.set({ reply: undefined });
    }
  });

  it('a file rewritten at the same size once it was sent: --continue sees the change', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-conv-'));
    const img = path.join(dir, 'shot.png');
    const data = readFileSync(fx('small.png'));
    writeFileSync(img, data);
    const other = Buffer.from(data);
    other[other.length - 1] = (data[data.length - 1] ?? 0) ^ 0xff; // the same size, another last byte
    emu.set({ reply: () => (writeFileSync(img, other), 'Described.') });
    try {
      expect((await kv(['describe', img, '-q'])).code).toBe(0);
    } finally {
      emu.set({ reply: undefined });
    }
    const again = await kv(['describe', '--continue', '-p', 'And now?']);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('shot.png changed since it was added to this conversation.');
    expect(emu.chatRequests()).toHaveLength(1);
  });

  it('keeps stdin images of a conversation, and refuses a file that changed since', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-conv-'));
    const img = path.join(dir, 'shot.png');
    writeFileSync(img, readFileSync(fx('small.png')));
    expect((await kv(['describe', img])).code).toBe(0);
    writeFileSync(img, readFileSync(fx('screenshot.png')));
    const r = await kv(['describe', '--continue', '-p', 'again']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/shot\.png changed since it was added to this conversation/);
    expect(emu.chatRequests()).toHaveLength(1);

    expect((await kv(['describe', '-'], { stdin: readFileSync(fx('photo.jpg')) })).code).toBe(0);
    expect((await kv(['describe', '-c', '-p', 'more'])).code).toBe(0);
    expect(emu.chatRequests()[2]!.images.map((i) => i.mime)).toEqual(['image/jpeg']);
  });

  it('says what to do when there is nothing to continue', async () => {
    const r = await kv(['describe', '--continue', '-p', 'hi']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no conversation to continue/);
  });
});

describe('JSON Mode and schemas', () => {
  it('--json-object sends response_format and prints the object compact', async () => {
    emu.set({ reply: () => '{ "objects": ["button", "window"],  "count": 2 }' });
    const r = await kv(['describe', fx('screenshot.png'), '--json-object', '-p', 'List the objects as JSON.']);
    expect(r.code).toBe(0);
    expect(lastBody().response_format).toEqual({ type: 'json_object' });
    expect(r.stdout).toBe('{"objects":["button","window"],"count":2}\n');
  });

  it('--json-object: an answer that is not a JSON object exits 5', async () => {
    emu.set({ reply: () => 'Sure! Here it is: {"a":1' });
    const r = await kv(['describe', fx('small.png'), '--json-object']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/not a JSON object: it is not valid JSON/);
  });

  it('--schema uses json_schema where the model has it (kimi-k3)', async () => {
    const schema = '{"type":"object","properties":{"title":{"type":"string"}},"required":["title"]}';
    const r = await kv(['describe', fx('small.png'), '-m', 'kimi-k3', '--schema', schema]);
    expect(r.code).toBe(0);
    expect(lastBody().response_format).toEqual({ type: 'json_schema', json_schema: { name: 'answer', schema: JSON.parse(schema), strict: true } });
    expect(JSON.parse(r.stdout)).toEqual({ title: 'example' });
  });

  it('--schema elsewhere: json_object plus the schema in the prompt; one retry with the error; exit 5 if still wrong', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kv-schema-'));
    const file = path.join(dir, 'alt.json');
    writeFileSync(file, JSON.stringify({ type: 'object', properties: { alt: { type: 'string', maxLength: 10 } }, required: ['alt'] }));
    let n = 0;
    emu.set({ reply: () => (++n === 1 ? '{"alt":"far too long an alt text"}' : '{"alt":"A button"}') });
    const ok = await kv(['describe', fx('small.png'), '--schema', file]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ alt: 'A button' });
    expect(ok.stderr).toMatch(/does not satisfy the schema .*\/alt must NOT have more than 10 characters.*asking once more/);
    const [a, b] = emu.chatRequests().map((q) => q.body as Body);
    expect(a!.response_format).toEqual({ type: 'json_object' });
    expect(JSON.stringify(a!.messages.at(-1)!.content)).toContain('satisfies this JSON Schema');
    expect(b!.messages.at(-1)!.content).toMatch(/That answer is wrong: .*maxLength|more than 10 characters/);

    emu.reset();
    emu.set({ reply: () => '{"alt":"still far too long"}' });
    const bad = await kv(['describe', fx('small.png'), '--schema', file]);
    expect(bad.code).toBe(5);
    expect(emu.chatRequests()).toHaveLength(2);
  });

  it('refuses a schema that is not JSON, naming it', async () => {
    const r = await kv(['describe', fx('small.png'), '--schema', '{nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--schema \(inline\): not valid JSON/);
    expect(emu.requests).toHaveLength(0);
  });
});

describe('Partial Mode', () => {
  it('ends the messages with the partial assistant prefix and prints prefix + continuation', async () => {
    emu.set({ reply: () => ' a red button.' });
    const r = await kv(['describe', fx('small.png'), '--prefill', 'The image shows', '--prefill-name', 'Kimi']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('The image shows a red button.\n');
    expect(lastBody().messages.at(-1)).toEqual({ role: 'assistant', content: 'The image shows', partial: true, name: 'Kimi' });
  });

  it('is refused together with --json-object, before anything is sent', async () => {
    const r = await kv(['describe', fx('small.png'), '--prefill', '{', '--json-object']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--prefill cannot be combined with --json-object/);
    expect(emu.requests).toHaveLength(0);
  });
});

describe('tools', () => {
  const tools = JSON.stringify([
    {
      type: 'function',
      function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    },
  ]);

  it('prints streamed tool calls as JSON lines, and --tool-result with --continue answers them', async () => {
    emu.set({ toolArguments: { city: 'Paris' } });
    const r = await kv(['describe', fx('photo.jpg'), '--tools', tools, '--tool-choice', 'get_weather', '-p', 'Weather where this was taken?']);
    expect(r.code).toBe(0);
    expect(lastBody().tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    const calls = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(calls).toEqual([{ id: expect.any(String), name: 'get_weather', arguments: { city: 'Paris' } }]);
    const id = calls[0].id as string;

    emu.set({ reply: undefined });
    const next = await kv(['describe', '--continue', '--tool-result', `${id}={"temp_c":21}`]);
    expect(next.code).toBe(0);
    const body = lastBody();
    expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    const sent = body.messages[1]!.tool_calls as { id: string; type: string; function: { name: string; arguments: string } }[];
    expect(sent).toEqual([{ id, type: 'function', function: { name: 'get_weather', arguments: expect.any(String) } }]);
    expect(JSON.parse(sent[0]!.function.arguments)).toEqual({ city: 'Paris' }); // resent exactly as streamed
    expect(body.messages[2]).toMatchObject({ role: 'tool', tool_call_id: id, content: '{"temp_c":21}' });
    expect(body.tools).toEqual(JSON.parse(tools)); // the tools stay for the conversation
    expect(next.stdout).toMatch(/temp_c/);
  });

  it('refuses a tool result for an unknown call id, naming the pending ones', async () => {
    await kv(['describe', fx('photo.jpg'), '--tools', tools]);
    const r = await kv(['describe', '--continue', '--tool-result', 'nope={}']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--tool-result nope: no such pending call/);
  });
});

describe('thinking models', () => {
  it('never mixes reasoning into stdout; --show-thinking puts it on stderr', async () => {
    emu.set({ reply: () => 'Final answer.' });
    const hidden = await kv(['describe', fx('small.png'), '-m', 'kimi-k3']);
    expect(hidden.code).toBe(0);
    expect(hidden.stdout).toBe('Final answer.\n');
    expect(lastBody().reasoning_effort).toBe('low');
    const shown = await kv(['describe', fx('small.png'), '-m', 'kimi-k3', '--effort', 'high', '--show-thinking']);
    expect(shown.stdout).toBe('Final answer.\n');
    expect(lastBody().reasoning_effort).toBe('high');
    expect(shown.stderr.length).toBeGreaterThan(hidden.stderr.length);
  });

  it('--thinking on for kimi-k2.6 sends thinking enabled; off for an always-thinking model is refused locally', async () => {
    expect((await kv(['describe', fx('small.png'), '--thinking', 'on'])).code).toBe(0);
    expect(lastBody().thinking).toEqual({ type: 'enabled' });
    const r = await kv(['describe', fx('small.png'), '-m', 'kimi-k2.7-code', '--thinking', 'off']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/kimi-k2\.7-code always thinks/);
  });
});

describe('reasoning in the conversation (2026-12-01 rules)', () => {
  type Turn = { role: string; content: unknown; reasoning_content?: string; tool_calls?: unknown };
  const sessionMessages = () => {
    const dir = path.join(home.XDG_STATE_HOME!, 'kimi-vision', 'sessions');
    return (JSON.parse(readFileSync(path.join(dir, readdirSync(dir)[0]!), 'utf8')) as { messages: Turn[] }).messages;
  };

  it.each(['kimi-k3', 'kimi-k3.1-pro', 'kimi-k2.7-code'])('%s: --continue resends each earlier turn with its reasoning, unchanged; stdout never has it', async (model) => {
    emu.set({ reply: () => 'An answer.' });
    const first = await kv(['describe', fx('small.png'), '-m', model]);
    expect(first).toMatchObject({ code: 0, stdout: 'An answer.\n' });
    const kept = sessionMessages()[1]!;
    expect(kept.role).toBe('assistant');
    expect(kept.reasoning_content).toMatch(/\S/);
    expect(first.stdout).not.toContain(kept.reasoning_content);
    const second = await kv(['describe', '--continue', '-p', 'And the colours?']);
    expect(second.code).toBe(0);
    const sent = lastBody().messages as Turn[];
    expect(sent.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(sent[1]!.reasoning_content).toBe(kept.reasoning_content);
    // and the third turn resends both earlier ones
    expect((await kv(['describe', '--continue', '-p', 'Third?'])).code).toBe(0);
    const third = lastBody().messages as Turn[];
    expect(third.filter((m) => m.role === 'assistant').every((m) => typeof m.reasoning_content === 'string' && m.reasoning_content !== '')).toBe(true);
  });

  it('kimi-k3 tool loop: the assistant turn with the tool call goes back with its reasoning', async () => {
    const tools = JSON.stringify([{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }]);
    emu.set({ toolArguments: { city: 'Paris' } });
    const r = await kv(['describe', fx('photo.jpg'), '-m', 'kimi-k3', '--tools', tools, '-p', 'Weather there?']);
    expect(r.code).toBe(0);
    const id = (JSON.parse(r.stdout.trim()) as { id: string }).id;
    const next = await kv(['describe', '--continue', '--tool-result', `${id}={"temp_c":21}`]);
    expect(next.code).toBe(0);
    const sent = lastBody().messages as Turn[];
    expect(sent.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(sent[1]!.tool_calls).toBeDefined();
    expect(sent[1]!.reasoning_content).toBe(sessionMessages()[1]!.reasoning_content);
    expect(sent[1]!.reasoning_content).toMatch(/\S/);
  });

  it('kimi-k2.6 with thinking on: the reasoning is kept in the session but not resent', async () => {
    expect((await kv(['describe', fx('small.png'), '--thinking', 'on'])).code).toBe(0);
    expect(sessionMessages()[1]!.reasoning_content).toMatch(/\S/);
    expect((await kv(['describe', '--continue', '-p', 'more?'])).code).toBe(0);
    const sent = lastBody().messages as Turn[];
    expect(sent[1]!.role).toBe('assistant');
    expect('reasoning_content' in sent[1]!).toBe(false);
  });
});

describe('--tool-choice required', () => {
  const tools = JSON.stringify([{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }]);
  it('is sent to kimi-k3, which takes it', async () => {
    const r = await kv(['describe', fx('small.png'), '-m', 'kimi-k3', '--tools', tools, '--tool-choice', 'required']);
    expect(r.code).toBe(0);
    expect(lastBody().tool_choice).toBe('required');
  });

  it.each(['kimi-k2.6', 'kimi-k2.7-code', 'kimi-k3.1-pro'])('is refused locally for %s (exit 2, nothing sent)', async (model) => {
    const r = await kv(['describe', fx('small.png'), '-m', model, '--tools', tools, '--tool-choice', 'required']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${model} does not accept --tool-choice required`);
    expect(emu.requests).toHaveLength(0);
  });
});

describe('video', () => {
  it('sends video files as video_url parts to models that take video, and refuses others locally', async () => {
    const ok = await kv(['describe', fx('video.mp4'), fx('small.png'), '-p', 'What happens?']);
    expect(ok.code).toBe(0);
    const content = lastBody().messages[0]!.content as { type: string }[];
    expect(content.map((p) => p.type)).toEqual(['video_url', 'image_url', 'text']);
    expect(emu.chatRequests()[0]!.images[0]!.mime).toBe('video/mp4');
    const refused = await kv(['describe', fx('clip.webm'), '-m', 'kimi-k3.1-pro']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/clip\.webm is a video \(video\/webm\) and kimi-k3\.1-pro does not take video/);
  });
});

describe('chat', () => {
  it('runs one turn per line from a pipe, /image adds an image to the next turn, all in one saved session', async () => {
    emu.set({ reply: (ctx) => `seen ${ctx.images.length} image(s)` });
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'kv-chat-')), 'talk.md');
    const script = ['What is this?', '/image fixtures/photo.jpg', 'And now?', '/bogus', `/save ${out}`, '/exit', 'never sent'].join('\n');
    const r = await kv(['chat', fx('small.png'), '-q'], { stdin: `${script}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('seen 1 image(s)\nseen 2 image(s)\n');
    expect(r.stderr).toMatch(/added fixtures\/photo\.jpg to your next message/);
    expect(r.stderr).toMatch(/unknown command \/bogus/);
    const md = readFileSync(out, 'utf8');
    expect(md).toMatch(/^# Conversation [\w-]+/);
    expect(md).toContain('**You**: [image: fixtures/small.png] What is this?');
    expect(md).toContain('**Kimi**: seen 2 image(s)');
    expect(emu.chatRequests()).toHaveLength(2);
    const body = lastBody();
    expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect((body.messages[2]!.content as { type: string }[]).map((p) => p.type)).toEqual(['image_url', 'text']);
    const sessions = JSON.parse((await kv(['sessions', '--format', 'json'])).stdout) as unknown[];
    expect(sessions).toHaveLength(1);
  });

  it('keeps going after a failed turn and reports it on stderr', async () => {
    emu.queueFault({ kind: 'error', status: 400, type: 'content_filter', message: 'high risk' });
    emu.set({ reply: () => 'fine now' });
    const r = await kv(['chat', fx('small.png'), '-q'], { stdin: 'first\nsecond\n' });
    expect(r.code).toBe(5); // from a pipe: the exit code of the first failed turn
    expect(r.stderr).toMatch(/content filter/);
    expect(r.stdout).toBe('fine now\n');
  });
});

describe('URLs and uploads', () => {
  it('downloads an http(s) input, sniffs it like a file and inlines it', async () => {
    const { createServer } = await import('node:http');
    const photo = readFileSync(fx('photo.jpg'));
    const server = createServer((req, res) => {
      if (req.url === '/photo') res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(photo);
      else if (req.url === '/moved') res.writeHead(302, { location: '/photo' }).end();
      else res.writeHead(404).end('no');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const ok = await kv(['describe', `${base}/photo`, '--format', 'json']);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout).images[0]).toMatchObject({ path: `${base}/photo`, mime: 'image/jpeg', bytes: photo.length });
      expect(emu.chatRequests()[0]!.images[0]!.source).toBe('data');
      const moved = await kv(['describe', `${base}/moved`, '--format', 'json']); // redirects are followed
      expect(moved.code).toBe(0);
      expect(JSON.parse(moved.stdout).images[0]).toMatchObject({ path: `${base}/moved`, mime: 'image/jpeg', bytes: photo.length });
      const missing = await kv(['describe', `${base}/gone.png`]);
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain(`${base}/gone.png: the server answered HTTP 404`);
    } finally {
      server.close();
    }
  });

  it('--upload sends ms:// references and never uploads the same bytes twice', async () => {
    const first = await kv(['describe', fx('screenshot.png'), fx('small.png'), '--upload']);
    expect(first.code).toBe(0);
    const uploads = () => emu.requests.filter((q) => q.method === 'POST' && q.path === '/v1/files');
    expect(uploads()).toHaveLength(2);
    const urls = (lastBody().messages[0]!.content as { image_url?: { url: string } }[]).slice(0, 2).map((p) => p.image_url!.url);
    expect(urls.every((u) => u.startsWith('ms://'))).toBe(true);
    expect(emu.chatRequests()[0]!.images.map((i) => i.source)).toEqual(['ms', 'ms']);

    const again = await kv(['describe', fx('small.png'), '--upload']);
    expect(again.code).toBe(0);
    expect(uploads()).toHaveLength(2); // remembered by content hash
    expect((lastBody().messages[0]!.content as { image_url?: { url: string } }[])[0]!.image_url!.url).toBe(urls[1]);
    // a continued conversation resends the reference, not the bytes
    const next = await kv(['describe', '-c', '-p', 'more']);
    expect(next.code).toBe(0);
    expect(
      emu
        .chatRequests()
        .at(-1)!
        .images.map((i) => i.source),
    ).toEqual(['ms']);
    expect(emu.chatRequests().at(-1)!.bodyBytes).toBeLessThan(2000);
  });
});
