// The language of the text around an image, as a BCP 47 code for the prompt ("write the alt text
// in …"). The writing system decides where it can (Han, kana, Hangul, Cyrillic, …); Latin-script
// text is decided by a vote of common short words. English when nothing says otherwise. Pure.

const SCRIPTS: { code: string; re: RegExp; weight: number }[] = [
  // A CJK character carries about as much as a short word: weigh it against Latin letters.
  { code: 'ja', re: /[\p{Script=Hiragana}\p{Script=Katakana}]/gu, weight: 2 },
  { code: 'zh', re: /\p{Script=Han}/gu, weight: 2 },
  { code: 'ko', re: /\p{Script=Hangul}/gu, weight: 2 },
  { code: 'ru', re: /\p{Script=Cyrillic}/gu, weight: 1 },
  { code: 'ar', re: /\p{Script=Arabic}/gu, weight: 1 },
  { code: 'el', re: /\p{Script=Greek}/gu, weight: 1 },
  { code: 'he', re: /\p{Script=Hebrew}/gu, weight: 1 },
  { code: 'hi', re: /\p{Script=Devanagari}/gu, weight: 1 },
  { code: 'th', re: /\p{Script=Thai}/gu, weight: 1 },
];

const STOPWORDS: Record<string, string> = {
  en: 'the and of to is in that it for with this you are on as be by or from can your when click',
  de: 'der die und das ist nicht mit ein eine den zu von sich auf für dem auch wird sie werden sind oder wenn',
  fr: 'le la les et des est une un du pour dans que qui pas sur avec ce vous sont au cette ou peut',
  es: 'el la los las y es que de en un una por con para del se no lo como más este puede',
  it: 'il la di che è per un una non con del della sono gli le si come alla anche questo può',
  pt: 'o os as de que não um uma para com do da em é se por mais dos você pode',
  nl: 'de het een en van is dat niet op te zijn met voor die ook er aan naar wordt je kunt',
};

const WORDS = new Map<string, Set<string>>(Object.entries(STOPWORDS).map(([lang, list]) => [lang, new Set(list.split(' '))]));

export function detectLanguage(text: string): string {
  const latin = (text.match(/\p{Script=Latin}/gu) ?? []).length;
  const counts = SCRIPTS.map((s) => ({ code: s.code, n: (text.match(s.re) ?? []).length * s.weight }));
  const total = latin + counts.reduce((sum, c) => sum + c.n, 0);
  if (total === 0) return 'en';
  const kana = counts[0]?.n ?? 0;
  const han = counts[1]?.n ?? 0;
  // Japanese is written in Han and kana together; Chinese has no kana.
  if (kana + han >= total * 0.3 && kana + han >= Math.max(...counts.slice(2).map((c) => c.n))) {
    return kana > 0 && kana >= (kana + han) * 0.05 ? 'ja' : 'zh';
  }
  const top = counts.slice(2).reduce((a, b) => (b.n > a.n ? b : a));
  if (top.n > 0 && top.n >= total * 0.3) {
    // Ukrainian's і ї є ґ are not Russian letters.
    if (top.code === 'ru' && /[\u0456\u0457\u0454\u0491\u0406\u0407\u0404\u0490]/.test(text)) return 'uk';
    return top.code;
  }
  return latinLanguage(text);
}

function latinLanguage(text: string): string {
  const score = new Map<string, number>();
  for (const w of text.toLowerCase().match(/\p{L}+/gu) ?? []) {
    for (const [lang, set] of WORDS) if (set.has(w)) score.set(lang, (score.get(lang) ?? 0) + 1);
  }
  let best = 'en';
  let bestScore = score.get('en') ?? 0;
  for (const [lang, n] of score) {
    // Another language must beat English and show at least two of its words: one shared word is noise.
    if (n > bestScore && n >= 2) {
      best = lang;
      bestScore = n;
    }
  }
  return best;
}
