// Edit → visible, as a developer sees it in the browser: run by bench/hot-reload against a
// running `cargo leptos watch`. For each kind of edit it changes one source file, starts the
// clock, and polls the open page (through reloads) until the change shows, then puts the file
// back and waits for the page to show the original again. Prints one line per edit:
//   HOTRELOAD kind=markup seconds=11.4 reloaded=yes
// Every edited file is restored even if the run fails.
import { chromium } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';

const base = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
const limitMs = Number(process.env.HOT_RELOAD_LIMIT_SECONDS ?? 300) * 1000;

// Each edit: a file, the text replaced, and how the page shows it.
const edits = [
  {
    kind: 'markup', // a static attribute of a plain element inside view!
    file: 'app/src/components/nav.rs',
    from: 'title="Connection"',
    to: 'title="Connection (edited)"',
    probe: () => document.querySelector('.status-dot')?.getAttribute('title') ?? '',
    expect: 'Connection (edited)',
  },
  {
    kind: 'logic', // a string computed by Rust code in a reactive closure
    file: 'app/src/pages/home.rs',
    from: '"Latest posts".to_owned()',
    to: '"Latest posts (edited)".to_owned()',
    probe: () => document.querySelector('h1')?.textContent ?? '',
    expect: 'Latest posts (edited)',
  },
  {
    kind: 'css',
    file: 'style/main.css',
    from: null, // appended
    to: '\n.site-header { outline: 1px solid rgb(1, 2, 3); }\n',
    probe: () => getComputedStyle(document.querySelector('.site-header')).outlineColor,
    expect: 'rgb(1, 2, 3)',
  },
];

const originals = new Map();
const restore = () => {
  for (const [file, text] of originals) writeFileSync(file, text);
};
process.on('exit', restore);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls until the probe's value includes `expected` (the page may reload meanwhile). Returns the
// milliseconds it took and whether the document was replaced.
async function waitFor(page, probe, expected, started) {
  const before = await page.evaluate(() => window.__hotReloadMark ?? null).catch(() => null);
  while (Date.now() - started < limitMs) {
    const value = await page.evaluate(probe).catch(() => '');
    if (value.includes(expected)) {
      const mark = await page.evaluate(() => window.__hotReloadMark ?? null).catch(() => null);
      return { ms: Date.now() - started, reloaded: mark !== before };
    }
    await sleep(25);
  }
  throw new Error(`not visible after ${limitMs / 1000} s: wanted ${JSON.stringify(expected)}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  await page.goto(base);
  await page.waitForLoadState('networkidle');
  for (const edit of edits) {
    await page.evaluate(() => {
      window.__hotReloadMark = Math.random();
    });
    const original = readFileSync(edit.file, 'utf8');
    originals.set(edit.file, original);
    if (edit.from !== null && !original.includes(edit.from)) {
      throw new Error(`${edit.file} no longer contains ${edit.from}: update bench/hot-reload.mjs`);
    }
    const edited = edit.from === null ? original + edit.to : original.replaceAll(edit.from, edit.to);
    const started = Date.now();
    writeFileSync(edit.file, edited);
    const { ms, reloaded } = await waitFor(page, edit.probe, edit.expect, started);
    console.log(
      `HOTRELOAD kind=${edit.kind} seconds=${(ms / 1000).toFixed(1)} reloaded=${reloaded ? 'yes' : 'no'}`,
    );
    // Put it back and wait until the page no longer shows the edit, so edits do not overlap.
    writeFileSync(edit.file, original);
    originals.delete(edit.file);
    const back = Date.now();
    while (Date.now() - back < limitMs) {
      const value = await page.evaluate(edit.probe).catch(() => edit.expect);
      if (!value.includes(edit.expect)) break;
      await sleep(50);
    }
    await page.waitForLoadState('networkidle').catch(() => {});
  }
} finally {
  await browser.close();
}
