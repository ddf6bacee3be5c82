// Model-derived text in markdown stays inert (issue 13 #1), rendered with `marked`, the parser VS Code's own markdown
// renderer uses: no link, image or HTML element comes out of it, and the hover's table keeps its shape.
import assert from 'node:assert/strict';
import { mdCode, mdText } from '../../src/protocol/markdown';
import { hoverMarkdown } from '../../src/server/render';

const HOSTILE = [
  '[click](command:cloze.showProbabilities?%5B%5D)',
  '![beacon](https://example.invalid/pixel.png)',
  '<img src=x onerror=alert(1)>',
  'https://example.invalid/autolink',
  'a`b``c',
  '`',
  'two\nlines | cell',
  '** bold ** _x_ # h',
];

/** marked is an ES module; this suite is compiled to CommonJS, so it is loaded with import(). */
let parse: (md: string) => string;

describe('markdown escaping of model-derived text', () => {
  before(async () => {
    const { marked } = await import('marked');
    parse = (md) => marked.parse(md, { async: false });
  });

  it('mdText escapes every markdown character and keeps one line', () => {
    for (const s of HOSTILE) {
      const out = mdText(s);
      assert.ok(!out.includes('\n'), out);
      assert.doesNotMatch(out, /(?<!\\)[[\]()<>`!|*_#]/, `unescaped markdown in ${out}`);
      assert.equal(out.replace(/\\(.)/g, '$1'), s.replace(/\n/g, '⏎'), 'the text itself changed');
    }
  });

  it('mdCode fences longer than any backtick run, one line, | escaped in tables', () => {
    assert.equal(mdCode('a`b``c'), '```a`b``c```');
    assert.equal(mdCode('`'), '`` ` ``');
    assert.equal(mdCode('x|y', true), '`x\\|y`');
    assert.equal(mdCode('two\nlines'), '`two⏎lines`');
  });

  it('a hover with a hostile model name and pieces renders no link, image or HTML, and one table row per candidate', () => {
    const md = hoverMarkdown({
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 6 } },
      candidates: HOSTILE.map((t, i) => ({ id: i, token: t, text: t, insert: t, score: 0.1, joinLeft: false, attach: false })),
      entropy: 1,
      latencyMs: 1,
      model: '[evil](https://example.invalid) ![x](https://example.invalid/p.png) <b>bold</b>\n| row |',
    });
    const html = parse(md);
    assert.doesNotMatch(html, /<a[\s>]/, 'a link');
    assert.doesNotMatch(html, /<img[\s>]/, 'an image');
    assert.doesNotMatch(html, /<b>/, 'raw HTML');
    assert.equal((html.match(/<tr>/g) ?? []).length, 1 + HOSTILE.length, 'the table gained or lost rows');
    for (const t of HOSTILE.slice(0, 4)) assert.ok(html.includes(t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')), `${t} is not shown as written`);
  });

  it('the same hover without escaping would not be inert (the check can fail)', () => {
    const html = parse(`| \`x\` |\n|--|\n| ${HOSTILE[0]} ${HOSTILE[1]} |`);
    assert.match(html, /<a[\s>]/);
    assert.match(html, /<img[\s>]/);
  });
});
