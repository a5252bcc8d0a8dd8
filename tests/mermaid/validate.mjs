#!/usr/bin/env node
// Checks Mermaid files with the real Mermaid parser under Node (see
// check.mjs). No browser.
//
//   node tests/mermaid/validate.mjs [--json] FILE... | -
//
// Per input, text mode prints
//   ok <path> <diagramType>                     (sequence, flowchart-v2, ...)
//   participants: <display name>, <display name>, ...   (sequence/flowchart)
// or
//   error <path>: <first line of the parser's message>
//     <further lines of the message, indented>
// Display names are the text a reader sees: entity codes (`#59;`) decoded;
// control characters, U+2028/9 shown as \u00XX so each result stays on its
// lines. A name containing ", " is ambiguous here: use --json.
// --json prints one JSON object per input, one line each:
//   {"path","ok","type","participants":[..],"ids":[..],"messages"|"edges":[..]}
//   {"path","ok":false,"error"}
//
// Exit status: 0 every input parses, 1 some input does not, 2 usage or read
// error, 3 the npm dependencies are not installed
// (run `npm ci --prefix tests/mermaid`).

import { readFileSync } from 'node:fs';
import { loadChecker } from './check.mjs';

const usage = 'usage: node validate.mjs [--json] FILE... | -\n';
let json = false;
const inputs = [];
for (const a of process.argv.slice(2)) {
  if (a === '--json') json = true;
  else if (a === '-h' || a === '--help') {
    process.stdout.write(usage);
    process.exit(0);
  } else inputs.push(a);
}
if (inputs.length === 0) {
  process.stderr.write(usage);
  process.exit(2);
}

let checkText;
try {
  ({ checkText } = await loadChecker());
} catch (e) {
  process.stderr.write(`validate.mjs: ${e.message}\n`);
  process.exit(e.code === 'MERMAID_MISSING' ? 3 : 2);
}

const visible = (s) =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));

let failed = false;
let ioError = false;
for (const path of inputs) {
  let r;
  try {
    const text = readFileSync(path === '-' ? 0 : path, 'utf8');
    r = { path, ...(await checkText(text)) };
  } catch (e) {
    r = { path, ok: false, error: `cannot read: ${e.message}` };
    ioError = true;
  }
  if (!r.ok) failed = true;
  if (json) {
    // One object per line, also for readers that split on U+2028 or NEL.
    process.stdout.write(JSON.stringify(r).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) + '\n');
  } else if (r.ok) {
    process.stdout.write(`ok ${path} ${r.type}\n`);
    if (r.participants) process.stdout.write(`participants: ${r.participants.map(visible).join(', ')}\n`);
    if (r.warning) process.stdout.write(`warning ${path}: ${r.warning}\n`);
  } else {
    const [first, ...rest] = r.error.split('\n');
    process.stdout.write(`error ${path}: ${first}\n`);
    for (const l of rest) process.stdout.write(`  ${l}\n`);
  }
}
process.exit(ioError ? 2 : failed ? 1 : 0);
