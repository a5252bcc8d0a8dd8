// The escaping findings in README.md, as tests against the real parser.
// Run: node --test tests/mermaid/   (or node tests/mermaid/escaping.test.mjs)
// Skips when the npm dependencies are not installed, unless CI is set.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadChecker } from './check.mjs';

let checker;
let skip = false;
try {
  checker = await loadChecker();
} catch (e) {
  if (e.code !== 'MERMAID_MISSING' || process.env.CI) throw e;
  skip = `${e.message}`;
}

// The CLI's rule: ASCII letters, digits, space, `_`, `.` as they are,
// every other character as `#<decimal code point>;`; spaces too when the
// name starts or ends with one (the parser trims the text).
const esc = (s) => {
  const out = [...s].map((c) => (/^[A-Za-z0-9 _.]$/.test(c) ? c : `#${c.codePointAt(0)};`)).join('');
  return out.trim() === out ? out : out.replaceAll(' ', '#32;');
};

const seqAlias = (t) => `sequenceDiagram\n  participant a1 as ${t}\n  participant a2 as B\n  a1->>a2: hi\n`;
const seqMsg = (t) => `sequenceDiagram\n  participant a1 as A\n  participant a2 as B\n  a1->>a2: ${t}\n`;
const seqNote = (t) => `sequenceDiagram\n  participant a1 as A\n  Note over a1: ${t}\n`;
const fcNode = (t) => `flowchart LR\n  n1["${t}"]\n  n2["B"]\n  n1 --> n2\n`;
const fcPipe = (t) => `flowchart LR\n  n1 -->|"${t}"| n2\n`;
const fcDash = (t) => `flowchart LR\n  n1 -- "${t}" --> n2\n`;

const ok = async (text, type) => {
  const r = await checker.checkText(text);
  assert.equal(r.ok, true, r.error);
  if (type) assert.equal(r.type, type);
  return r;
};
const fails = async (text) => {
  const r = await checker.checkText(text);
  assert.equal(r.ok, false, `expected a parse error for:\n${text}`);
  return r;
};
const seqName = async (t) => (await ok(seqAlias(t), 'sequence')).participants[0];
const seqText = async (t) => (await ok(seqMsg(t), 'sequence')).messages[0].text;
const noteText = async (t) => (await ok(seqNote(t), 'sequence')).messages[0].text;
const fcName = async (t) => (await ok(fcNode(t), 'flowchart-v2')).participants[0];
const fcLabel = async (t, f = fcPipe) => (await ok(f(t), 'flowchart-v2')).edges[0].text;

const hostile = [
  'end', ' end ', 'x;y#z"w', ';', '#', '"', ':', '-', '>', '<', ',', '%%', '%%{init: {}}%%',
  '(', ')', '[', ']', '{', '}', '|', '\\', '`md`', '&amp;', '<b>b</b>', 'wrap:x', '#59;',
  'style:#59;', '  x  ', '->>', '-->', '数据', '😀', 'e\u0301', 'a\u001b[2Jb', 'a\tb', 'a\rb', 'a\nb',
];

test('every hostile name survives the CLI escaping, in every position', { skip }, async () => {
  for (const h of hostile) {
    const e = esc(h);
    assert.equal(await seqName(e), h, `participant alias ${JSON.stringify(h)}`);
    assert.equal(await seqText(e), h, `message text ${JSON.stringify(h)}`);
    assert.equal(await noteText(e), h, `note text ${JSON.stringify(h)}`);
    assert.equal(await fcName(e), h, `flowchart node ${JSON.stringify(h)}`);
    assert.equal(await fcLabel(e), h, `edge -->|"…"| ${JSON.stringify(h)}`);
    assert.equal(await fcLabel(e, fcDash), h, `edge -- "…" --> ${JSON.stringify(h)}`);
  }
});

test('entity codes the HTML way: #0; is U+FFFD, #128;..#159; are windows-1252, no hex', { skip }, async () => {
  assert.equal(await seqName('#0;'), '\uFFFD');
  assert.equal(await seqName('#133;'), '\u2026');
  assert.equal(await seqName('#128;'), '\u20AC');
  assert.equal(await seqName('#x3B;'), '&x3B;');
  assert.equal(await seqName('#quot;#amp;#lt;#gt;'), '"&<>');
});

test('sequence: raw ; ends the statement, raw # starts a comment', { skip }, async () => {
  await fails(seqAlias('a;b'));
  await fails(seqMsg('a;b'));
  await fails(seqAlias('a&amp;b'));
  assert.equal(await seqName('a#b'), 'a');
  assert.equal(await seqText('a #b'), 'a');
  assert.equal(await seqName(';'), '');
});

test('sequence: wrap: prefix is eaten, %%{...}%% is a directive, style:#..; loses its ;', { skip }, async () => {
  assert.equal(await seqName('wrap:x'), 'x');
  assert.equal(await seqText('nowrap:x'), 'x');
  assert.equal(await seqName('a %%{init: {}}%% b'), 'a  b');
  assert.equal(await seqText('style:#59;x'), 'style:');
  assert.equal(await seqName('a\u0085b'.replace('\u0085', '#133;')), 'a\u2026b');
});

test('sequence: raw characters that are fine', { skip }, async () => {
  for (const c of ['"', ':', '-', '>', '<', ',', '%%', '(', ')', '[', ']', '{', '}', '\\', '|', '&', '数据', '😀', '\u001b']) {
    assert.equal(await seqName(`a${c}b`), `a${c}b`);
    assert.equal(await seqText(`a${c}b`), `a${c}b`);
  }
  assert.equal(await seqName('end'), 'end');
  assert.equal(await seqName('<b>x</b>'), '<b>x</b>');
});

test('sequence: arrows, self messages, notes, autonumber', { skip }, async () => {
  for (const a of ['->>', '-->>', '-x', '--x', '->', '-->', '-)', '--)', '<<->>', '<<-->>']) {
    await ok(`sequenceDiagram\n  participant a1 as A\n  participant a2 as B\n  a1${a}a2: m\n  a1${a}a1: self\n`, 'sequence');
  }
  for (const a of ['=>>', '->>>', '-- x']) await fails(`sequenceDiagram\n  a1${a}a2: m\n`);
  await fails('sequenceDiagram\n  a1->>a2\n');
  await fails('sequenceDiagram\n  Note over a1 text\n');
  const r = await ok(
    'sequenceDiagram\n  autonumber\n  participant a1 as A\n  participant a2 as B\n  a1->>a2: m\n  Note over a1: n\n  Note over a1,a2: n2\n  Note right of a2: n3\n',
    'sequence',
  );
  assert.deepEqual(r.participants, ['A', 'B']);
  assert.deepEqual(r.messages.map((m) => [m.from, m.to, m.text]), [['a1', 'a2', 'm'], ['a1', 'a1', 'n'], ['a1', 'a2', 'n2'], ['a2', 'a2', 'n3']]);
});

test('sequence: `end` as a participant id breaks, as a display name it does not', { skip }, async () => {
  await fails('sequenceDiagram\n  participant end as X\n  end->>end: x\n');
  await ok('sequenceDiagram\n  participant a1 as end\n  a1->>a1: end\n', 'sequence');
  await ok('sequenceDiagram\n  box Aqua grp\n  participant a1 as end\n  end\n  a1->>a1: x\n', 'sequence');
});

test('flowchart: raw " breaks a quoted label; raw < and &amp; change what is shown', { skip }, async () => {
  await fails(fcNode('a"b'));
  await fails(fcPipe('a"b'));
  await fails(fcDash('a"b'));
  assert.equal(await fcName('a %%{init: {}}%% b'), 'a  b');
  await fails(fcNode('a %%{ b'));
  assert.equal(await fcName('a<b'), 'a');
  assert.equal(await fcName('a &amp; b'), 'a & b');
  assert.equal(await fcName('`md`'), 'md');
  for (const c of [';', '#', ':', '|', '[', ']', '(', ')', '{', '}', '%%', '>', '&', '\\', 'end', '-->']) {
    assert.equal(await fcName(`a${c}b`), `a${c}b`);
    assert.equal(await fcLabel(`a${c}b`), `a${c}b`);
  }
});

test('flowchart: `end` (and graph, subgraph, style, class) as a node id breaks; End, END, endx do not', { skip }, async () => {
  for (const id of ['end', 'graph', 'subgraph', 'style', 'class']) await fails(`flowchart LR\n  ${id}["x"] --> n1\n`);
  await fails('flowchart LR\n  n1 --> end\n');
  for (const id of ['End', 'END', 'endx', 'end_1', 'a1end']) await ok(`flowchart LR\n  ${id}["x"] --> n1\n`, 'flowchart-v2');
  assert.equal(await fcName('end'), 'end');
  await ok('flowchart LR\n  n1[end] --> n2\n', 'flowchart-v2');
  // An empty label: fine in a sequence diagram, a parse error in a flowchart.
  assert.equal(await seqName(''), '');
  await fails('flowchart LR\n  n1[""] --> n2\n');
  await fails('flowchart LR\n  n1 -->|""| n2\n');
  assert.equal(await fcName('#32;'), ' ');
});

test('flowchart: linkStyle, classDef, class', { skip }, async () => {
  const r = await ok(
    'flowchart LR\n  a1["A"]\n  a2["B"]\n  a1 -->|"2"| a2\n  a2 -.->|"1 retry"| a1\n  linkStyle 0 stroke:red\n  linkStyle 1 stroke:#d33,stroke-width:2px\n  classDef err stroke:red\n  classDef failed stroke:#d33,stroke-width:3px\n  classDef last stroke-width:3px,stroke-dasharray:4 2\n  class a1 err\n  class a1,a2 last\n',
    'flowchart-v2',
  );
  assert.deepEqual(r.edges.map((e) => [e.from, e.to, e.text, e.stroke]), [['a1', 'a2', '2', 'normal'], ['a2', 'a1', '1 retry', 'dotted']]);
  await fails('flowchart LR\n  n1 --> n2\n  linkStyle 1 stroke:red\n'); // index past the last edge
  await fails('flowchart LR\n  n1 --> n2\n  linkStyle 0 stroke:#d33;\n'); // #d33; read as an entity
  await ok('flowchart LR\n  n1 --> n2\n  classDef err stroke:#d33;\n  class n1 err\n', 'flowchart-v2');
  await fails('flowchart LR\n  n1 --> n2\n  classDef end stroke:red\n');
  await ok('flowchart LR\n  n1 --> n2\n  class n1 nosuchclass\n  class n9 err\n', 'flowchart-v2');
});
