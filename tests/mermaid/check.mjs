// The real Mermaid parser (the `mermaid` npm package: the same grammars the
// browser uses) under Node, with jsdom as the DOM. No browser.
//
//   const { checkText } = await loadChecker();
//   await checkText(text)  ->  { ok: true, type, participants, ids, messages | edges }
//                          or  { ok: false, error }
//
// loadChecker() throws an Error with code 'MERMAID_MISSING' when the npm
// dependencies are not installed (`npm ci --prefix tests/mermaid`).

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

let loaded;

export async function loadChecker() {
  loaded ??= load();
  return loaded;
}

function missing(what, e) {
  const err = new Error(`${what} not installed (${String(e?.message ?? e).split("\n")[0]}); run: npm ci --prefix tests/mermaid`);
  err.code = 'MERMAID_MISSING';
  return err;
}

async function load() {
  // A DOM before mermaid is imported: DOMPurify binds to `window` when it
  // is loaded, and some grammar actions use the DOM (a sequence diagram's
  // `box` checks its colour with `new Option().style`; without a window
  // the parse fails with "window is not defined").
  let JSDOM;
  try {
    ({ JSDOM } = require('jsdom'));
  } catch (e) {
    throw missing('jsdom', e);
  }
  const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
  globalThis.window = dom.window;
  globalThis.document = dom.window.document;
  globalThis.Option = dom.window.Option;

  let mermaid;
  try {
    ({ default: mermaid } = await import('mermaid'));
  } catch (e) {
    throw missing('mermaid', e);
  }
  mermaid.initialize({ startOnLoad: false });

  // Mermaid turns `#59;` / `#quot;` into a placeholder before parsing, and
  // into `&#59;` / `&quot;` in the SVG, which the browser then shows as `;`
  // / `"`. display() does the same, decoding as an HTML parser does (`#0;`
  // -> U+FFFD, `#128;`..`#159;` -> windows-1252, so `#133;` -> `…`, an
  // unknown `#foo;` stays `&foo;`, `#x3B;` (hex) is not supported).
  // Sequence diagrams draw text as plain SVG text: a raw `&amp;` or `<b>` in
  // the source is shown as written. Flowchart labels are HTML (the parser
  // has already run them through DOMPurify; a raw `<` is stored as `&lt;`),
  // so for them the text content of that HTML is reported, `<br>` as "\n".
  const template = dom.window.document.createElement('template');
  const decodeEntity = (entity) => {
    template.innerHTML = entity;
    return template.content.textContent;
  };
  const display = (s, html = false) => {
    if (s == null) return '';
    if (html) {
      return decodeEntity(
        String(s)
          .replace(/<br\s*\/?>/gi, '\n')
          .replace(/ﬂ°°(\d+)¶ß/g, '&#$1;')
          .replace(/ﬂ°(\w+)¶ß/g, '&$1;'),
      );
    }
    return String(s).replace(/ﬂ°°(\d+)¶ß|ﬂ°(\w+)¶ß/g, (m, num, name) =>
      decodeEntity(num !== undefined ? `&#${num};` : `&${name};`),
    );
  };

  async function checkText(text) {
    let type;
    try {
      // The public API: preprocess (front matter, %%{init}%% directives),
      // detect the type, run that diagram's parser; throws on any error.
      ({ diagramType: type } = await mermaid.parse(text));
    } catch (e) {
      return { ok: false, error: String(e?.message ?? e) };
    }
    const out = { ok: true, type };
    try {
      // Once more, to get at the diagram's database.
      const { db } = await mermaid.mermaidAPI.getDiagramFromText(text);
      if (typeof db.getActorKeys === 'function') {
        // sequence: actors in order of first appearance
        const keys = db.getActorKeys();
        out.participants = keys.map((k) => display(db.getActor(k)?.description ?? k));
        out.ids = keys;
        out.messages = db
          .getMessages()
          .filter((m) => m.from !== undefined && m.to !== undefined)
          .map((m) => ({ from: m.from, to: m.to, type: m.type, text: display(m.message) }));
      } else if (typeof db.getVertices === 'function') {
        // flowchart: nodes in order of first appearance
        const vs = [...db.getVertices().values()];
        out.participants = vs.map((v) => display(v.text ?? v.id, true));
        out.ids = vs.map((v) => v.id);
        out.edges = db.getEdges().map((e) => ({
          from: e.start,
          to: e.end,
          text: display(e.text, true),
          type: e.type,
          stroke: e.stroke,
        }));
      }
    } catch (e) {
      out.warning = `parsed, but participants not available: ${e?.message ?? e}`;
    }
    return out;
  }

  return { checkText, mermaidVersion: require('mermaid/package.json').version };
}
