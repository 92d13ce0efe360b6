// readability.mjs: Mozilla Readability over the same pages, for comparison with Heron's
// extractor. Writes {"<key>": {"articleBody": textContent}}.
// Valid UTF-8 goes in as text; anything else as bytes, so jsdom sniffs its charset (GBK
// pages) from <meta> as a browser does (bytes alone would default to windows-1252).
// Usage: node readability.mjs DATA_DIR OUT_JSON  (needs @mozilla/readability and jsdom).
//
// SPDX-License-Identifier: GPL-3.0-or-later
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(process.env.READABILITY_MODULES
  ? path.join(process.env.READABILITY_MODULES, 'x.js') : import.meta.url);
const { Readability } = require('@mozilla/readability');
const { JSDOM, VirtualConsole } = require('jsdom');

const [dir, out] = process.argv.slice(2);
const gt = JSON.parse(fs.readFileSync(path.join(dir, 'ground-truth.json'), 'utf8'));
const result = {};
const quiet = new VirtualConsole();
let total = 0;
for (const key of Object.keys(gt)) {
  const html = zlib.gunzipSync(fs.readFileSync(path.join(dir, 'html', key + '.html.gz')));
  const t0 = process.hrtime.bigint();
  let text = '';
  try {
    let input = html;
    try {
      input = new TextDecoder('utf-8', { fatal: true }).decode(html);
    } catch (e) {
      input = html;
    }
    const dom = new JSDOM(input, { url: gt[key].url || 'https://example.invalid/',
                                   virtualConsole: quiet });
    const article = new Readability(dom.window.document).parse();
    text = article ? article.textContent : '';
  } catch (e) {
    text = '';
  }
  total += Number(process.hrtime.bigint() - t0) / 1e6;
  result[key] = { articleBody: text };
}
fs.writeFileSync(out, JSON.stringify(result));
console.log(`readability.js: ${Object.keys(gt).length} pages, ` +
            `${(total / Object.keys(gt).length).toFixed(2)} ms/page on average`);
