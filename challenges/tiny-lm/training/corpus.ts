/**
 * Generates the tiny-lm text: plain English village stories, composed from a small grammar with a
 * seeded random generator, so the corpus is reproducible and free of anyone's copyright.
 *
 *   node training/corpus.ts            writes corpus/train.txt (the training text)
 *
 * The same generator, with other seeds, makes the held-out text and the prompts (make-data.ts).
 * Only characters of VOCAB (tokenizer.ts) ever appear.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** mulberry32: small, fast, seeded PRNG (same numbers on every machine). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES_F = ['Mira', 'Anna', 'Lena', 'Tess', 'Nora', 'Ruth', 'Clara', 'Ida', 'Maud', 'Elsa', 'June', 'Rose'];
const NAMES_M = ['Tom', 'Ben', 'Hugo', 'Karl', 'Otto', 'Sam', 'Leo', 'Jack', 'Paul', 'Finn', 'Walt', 'Ned'];
const JOBS = ['baker', 'miller', 'smith', 'weaver', 'fisher', 'farmer', 'potter', 'carpenter', 'shepherd', 'teacher', 'doctor', 'sailor'];
const PLACES = ['the river', 'the mill', 'the market', 'the old bridge', 'the forest', 'the harbor', 'the hill', 'the school', 'the church', 'the square', 'the orchard', 'the well', 'the field', 'the inn'];
const TIMES = ['In the morning', 'At noon', 'In the evening', 'Late at night', 'Before dawn', 'After the rain', 'On Sunday', 'In the spring', 'In the winter', 'When the bells rang', 'At the end of the day', 'Early the next day'];
const ADJ = ['old', 'small', 'quiet', 'bright', 'cold', 'warm', 'heavy', 'green', 'red', 'wooden', 'narrow', 'tall', 'dark', 'young', 'kind', 'tired', 'careful', 'happy'];
const OBJECTS = ['basket', 'letter', 'lamp', 'boat', 'rope', 'bucket', 'coat', 'book', 'loaf of bread', 'jar of honey', 'cart', 'key', 'net', 'box of nails', 'bell', 'map', 'cup of tea', 'knife'];
const ANIMALS = ['dog', 'cat', 'horse', 'goat', 'crow', 'fox', 'sheep', 'cow', 'owl', 'hen'];
const WEATHER = ['the wind was strong', 'the sky was grey', 'the sun was warm', 'it began to snow', 'the rain did not stop', 'the air smelled of smoke', 'the fog lay on the water', 'the stars were out'];
const VERBS_GO = ['walked to', 'ran to', 'went down to', 'came back from', 'climbed up to', 'hurried to', 'wandered toward'];
const VERBS_OBJ = ['carried', 'found', 'lost', 'mended', 'sold', 'bought', 'painted', 'cleaned', 'hid', 'opened', 'counted', 'wrapped'];
const FEEL = ['glad', 'worried', 'surprised', 'angry', 'calm', 'sad', 'proud', 'afraid', 'curious', 'sleepy'];
const SAYINGS = [
  'We should go home before it gets dark.',
  'I have never seen anything like it.',
  'Can you help me with this?',
  'It is not far from here.',
  'The water is rising again.',
  'Tell me what you saw.',
  'We will need more wood for the fire.',
  'Do not forget the key.',
  'The bread is still warm.',
  'Who left the gate open?',
  'Let us wait until the rain stops.',
  'I think the old bridge will hold.',
];
const MORALS = [
  'A kind word costs nothing.',
  'Many hands make light work.',
  'The slow path is often the safe one.',
  'What is lost in haste is found with patience.',
  'A full basket is heavy, but an empty one is heavier.',
  'The river does not wait for anyone.',
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}
function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
function a(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

interface Person {
  name: string;
  pron: string;
  poss: string;
  job: string;
}

function person(r: () => number): Person {
  const f = r() < 0.5;
  return { name: pick(r, f ? NAMES_F : NAMES_M), pron: f ? 'she' : 'he', poss: f ? 'her' : 'his', job: pick(r, JOBS) };
}

function sentence(r: () => number, p: Person, q: Person): string {
  const k = Math.floor(r() * 16);
  switch (k) {
    case 0:
      return `${pick(r, TIMES)}, ${p.name} ${pick(r, VERBS_GO)} ${pick(r, PLACES)}.`;
    case 1:
      return `${cap(p.pron)} ${pick(r, VERBS_OBJ)} ${a(pick(r, ADJ) + ' ' + pick(r, OBJECTS))}.`;
    case 2:
      return `${cap(pick(r, WEATHER))}, so ${p.pron} stayed near ${pick(r, PLACES)}.`;
    case 3:
      return `"${pick(r, SAYINGS)}" said ${p.name}.`;
    case 4:
      return `${q.name} the ${q.job} looked at ${p.name} and said, "${pick(r, SAYINGS)}"`;
    case 5:
      return `${p.name} was ${pick(r, FEEL)}, because ${pick(r, WEATHER)}.`;
    case 6:
      return `${cap(a(pick(r, ADJ)))} ${pick(r, ANIMALS)} followed ${p.poss == 'her' ? 'her' : 'him'} all the way to ${pick(r, PLACES)}.`;
    case 7:
      return `${cap(p.poss)} ${pick(r, OBJECTS)} was ${pick(r, ADJ)}, and ${p.pron} kept it by the door.`;
    case 8:
      return `${p.name} and ${q.name} ${pick(r, VERBS_GO)} ${pick(r, PLACES)} together.`;
    case 9:
      return `There were ${pick(r, ['two', 'three', 'four', 'five', 'six', 'seven', 'ten', 'twelve'])} ${pick(r, ANIMALS)}s near ${pick(r, PLACES)}.`;
    case 10:
      return `${cap(p.pron)} asked ${q.name}, "Where is the ${pick(r, OBJECTS)}?"`;
    case 11:
      return `${pick(r, TIMES)}, ${pick(r, WEATHER)}.`;
    case 12:
      return `The ${q.job} gave ${p.name} ${a(pick(r, OBJECTS))}, and ${p.pron} felt ${pick(r, FEEL)}.`;
    case 13:
      return `${p.name} did not know the way to ${pick(r, PLACES)}, so ${p.pron} asked the ${q.job}.`;
    case 14:
      return `Nobody in the village had ${a(pick(r, ADJ) + ' ' + pick(r, OBJECTS))} like that.`;
    default:
      return `${cap(p.pron)} was ${pick(r, ['glad', 'tired', 'sorry', 'happy'])} to be home again.`;
  }
}

/** One story: a title line, a few paragraphs, sometimes a moral. */
export function story(r: () => number): string {
  const p = person(r);
  let q = person(r);
  while (q.name === p.name) q = person(r);
  const lines: string[] = [];
  lines.push(`${p.name} the ${p.job}`);
  lines.push('');
  const paragraphs = 1 + Math.floor(r() * 3);
  for (let i = 0; i < paragraphs; i++) {
    const n = 3 + Math.floor(r() * 4);
    const s: string[] = [];
    if (i === 0) s.push(`${p.name} was ${a(pick(r, ADJ))} ${p.job} who lived near ${pick(r, PLACES)}.`);
    for (let j = 0; j < n; j++) s.push(sentence(r, p, q));
    lines.push(s.join(' '));
    lines.push('');
  }
  if (r() < 0.3) {
    lines.push(pick(r, MORALS));
    lines.push('');
  }
  return lines.join('\n') + '\n';
}

/** Text of at least `chars` characters, from `seed`. */
export function generate(seed: number, chars: number): string {
  const r = rng(seed);
  let out = '';
  while (out.length < chars) out += story(r);
  return out;
}

export const TRAIN_SEED = 1;
export const TRAIN_CHARS = 400_000;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const here = dirname(fileURLToPath(import.meta.url));
  const out = join(here, '..', 'corpus', 'train.txt');
  mkdirSync(dirname(out), { recursive: true });
  const text = generate(TRAIN_SEED, TRAIN_CHARS);
  writeFileSync(out, text);
  console.log(`wrote ${out}: ${text.length} chars`);
}
