// A saved conversation as Markdown: what `/save <file>` in chat writes.
import type { Session, StoredMessage } from './session.js';

export function transcriptMarkdown(s: Session): string {
  const lines = [`# Conversation ${s.id}`, '', `Model: ${s.model} · started ${s.created_at} · updated ${s.updated_at}`, ''];
  for (const m of s.messages) lines.push(...messageLines(m), '');
  return `${lines.join('\n').trimEnd()}\n`;
}

function messageLines(m: StoredMessage): string[] {
  const who = m.role === 'user' ? '**You**' : m.role === 'assistant' ? '**Kimi**' : m.role === 'system' ? '**System**' : '**Tool result**';
  if (typeof m.content === 'string') return [`${who}: ${m.content}`];
  const parts = m.content.map((p) => {
    if (p.type === 'text') return p.text;
    if (p.type === 'media') return `[${p.kind}: ${p.path}]`;
    return `[${p.type}]`;
  });
  return [`${who}: ${parts.join(' ')}`];
}
