// The naive baseline, written the way Moonshot's own guide does it: the official openai SDK, each
// file read whole (readFileSync), base64-encoded into a data URL, and the request sent as one JSON
// string by client.chat.completions.create. Streams the answer to stdout like kimi-vision does.
//   MOONSHOT_API_KEY=… MOONSHOT_BASE_URL=… node bench/naive.mjs image…
import { readFileSync } from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';

const MIME = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.gif': 'image/gif' };
const files = process.argv.slice(2);

const client = new OpenAI({ apiKey: process.env.MOONSHOT_API_KEY, baseURL: process.env.MOONSHOT_BASE_URL });

const content = files.map((file) => {
  const data = readFileSync(file);
  const mime = MIME[path.extname(file).toLowerCase()] ?? 'image/png';
  return { type: 'image_url', image_url: { url: `data:${mime};base64,${data.toString('base64')}` } };
});
content.push({ type: 'text', text: files.length > 1 ? 'Describe the images.' : 'Describe the image.' });

// The same parameters kimi-vision sends by default, so the emulator does the same work for both.
const stream = await client.chat.completions.create({
  model: 'kimi-k2.6',
  messages: [{ role: 'user', content }],
  thinking: { type: 'disabled' },
  stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of stream) {
  const text = chunk.choices[0]?.delta?.content;
  if (text) process.stdout.write(text);
}
process.stdout.write('\n');
