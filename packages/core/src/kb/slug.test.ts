import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseReferences } from '../board/references.ts';
import { PAGE_SLUG_MAX, pageSlugProblem, slugify } from './slug.ts';

describe('page slugs', () => {
  test('accepts lowercase dash-separated words', () => {
    for (const s of ['playbook', 'int4-lm-head', 'a', '2026-dead-ends', 'x'.repeat(PAGE_SLUG_MAX)]) assert.equal(pageSlugProblem(s), null, s);
  });

  test('refuses everything else with a reason', () => {
    for (const s of ['', 'Playbook', 'lever map', '-x', 'x-', 'a--b', 'ünï', 'a_b', 'a/b', '../etc', "x'; drop table pages;--", 'x'.repeat(PAGE_SLUG_MAX + 1), 'search', 'revisions']) {
      assert.ok(pageSlugProblem(s), `expected ${JSON.stringify(s)} to be refused`);
    }
  });

  test('every valid slug can be linked with [[slug]]', () => {
    for (const s of ['a', 'int4-lm-head', 'x'.repeat(PAGE_SLUG_MAX)]) assert.deepEqual(parseReferences(`see [[${s}]]`).pages, [s]);
  });

  test('slugify suggests a slug from a title, or null', () => {
    assert.equal(slugify('Lever map: int4 & spec-decode!'), 'lever-map-int4-spec-decode');
    assert.equal(slugify('Café déjà vu'), 'cafe-deja-vu');
    assert.equal(slugify('  Search  '), 'search-page');
    assert.equal(slugify('推测解码'), null);
    const long = slugify('word '.repeat(40))!;
    assert.ok(long.length <= PAGE_SLUG_MAX && pageSlugProblem(long) === null);
  });
});
