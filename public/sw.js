// Postboard's service worker: the app shell offline, and the pages each person has seen.
//
// - On install it precaches the shell (the home page, the WASM, its JS and the stylesheet) in a
//   cache named after the build, so a deploy (a new ?v= in the registration URL) installs a new
//   worker whose activation deletes every older cache. The shell is fetched without cookies
//   (credentials: 'omit'): it is the page a visitor sees, with nobody's data in it.
// - Everything is network-first: a page fetched online is kept, and served when the network
//   is down (the page then says it is showing a cached copy).
// - Pages are personal, so each viewer has a cache of their own: the server names the viewer of
//   every page in its `Postboard-Viewer` header (a user id, or `anon`), the page is kept in that
//   viewer's cache, and offline only the current viewer's cache is used (then the shell). Who is
//   current is the viewer of the last page fetched, kept in a small cache of its own so that it
//   survives the worker being stopped. Logging out deletes that user's cache ("forget:<id>").
// - /api/ and /rpc/ are never cached here: data is the app's business (app/src/offline/).
'use strict';

const VERSION = new URL(self.location).searchParams.get('v') || 'dev';
const SHELL_CACHE = `postboard-shell-${VERSION}`;
const PAGES_PREFIX = `postboard-pages-${VERSION}-`;
const VIEWER_CACHE = `postboard-viewer-${VERSION}`;
const VIEWER_KEY = '/__postboard/viewer';
// The build's asset files, named by the page that registered this worker (their names carry
// their hashes, so they change with every build).
const ASSETS = new URL(self.location).searchParams.getAll('asset')
  .filter((path) => path.startsWith('/pkg/'));
const SHELL = ['/', ...ASSETS, '/favicon.ico'];

const pagesOf = (viewer) => `${PAGES_PREFIX}${viewer}`;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) => Promise.all(SHELL.map(async (path) => {
        const response = await fetch(path, { credentials: 'omit' });
        if (!response.ok) throw new Error(`precaching ${path}: ${response.status}`);
        await cache.put(path, response);
      })))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names
          .filter((name) => name.startsWith('postboard-') && !name.includes(`-${VERSION}`))
          .map((name) => caches.delete(name)),
      ))
      .then(() => self.clients.claim()),
  );
});

async function currentViewer() {
  const stored = await caches.match(VIEWER_KEY, { cacheName: VIEWER_CACHE });
  return stored ? stored.text() : 'anon';
}

async function setViewer(viewer) {
  const cache = await caches.open(VIEWER_CACHE);
  await cache.put(VIEWER_KEY, new Response(viewer));
}

/** The viewer a page was rendered for, as the server says; `anon` when it does not. */
function viewerOf(response) {
  const viewer = response.headers.get('Postboard-Viewer') || 'anon';
  return /^(anon|\d+)$/.test(viewer) ? viewer : 'anon';
}

/**
 * Keeps a good page in the cache of the viewer it was rendered for. A navigation makes that
 * viewer current; a background copy ("cache:") is kept only for the viewer already current, so
 * that one finishing after a logout cannot bring the logged-out user back.
 */
async function keepPage(request, response, { navigation }) {
  if (!response.ok) return;
  const viewer = viewerOf(response);
  if (navigation) {
    await setViewer(viewer);
  } else if (viewer !== await currentViewer()) {
    return;
  }
  const cache = await caches.open(pagesOf(viewer));
  await cache.put(request, response);
}

self.addEventListener('message', (event) => {
  if (typeof event.data !== 'string') return;
  if (event.data.startsWith('forget:')) {
    // Logout: that user's pages go, and nobody is current until the next page says who is.
    const user = event.data.slice('forget:'.length);
    if (/^\d+$/.test(user)) {
      event.waitUntil(caches.delete(pagesOf(user)).then(() => setViewer('anon')));
    }
  } else if (event.data.startsWith('cache:')) {
    // A page reached by client-side navigation ("cache:/posts/7"), which the worker did not
    // see: fetched now, so that its offline copy is the one the user last saw.
    const url = new URL(event.data.slice('cache:'.length), self.location.origin);
    if (url.origin === self.location.origin && !isNeverCached(url)) {
      event.waitUntil(
        fetch(url, { credentials: 'same-origin' })
          .then((response) => keepPage(url, response, { navigation: false }))
          .catch(() => undefined),
      );
    }
  }
});

function isNeverCached(url) {
  return url.pathname.startsWith('/api/') || url.pathname.startsWith('/rpc/');
}

// Online, the network always wins (so the page and its WASM never come from two different
// builds); each good response refreshes the copy kept for offline use.
async function navigate(event) {
  const request = event.request;
  try {
    const response = await fetch(request);
    // Kept in the background: a cache that cannot take it (a full disk) must not make an
    // online page look offline, nor delay it.
    event.waitUntil(keepPage(request, response.clone(), { navigation: true }).catch(() => undefined));
    return response;
  } catch (offline) {
    // Offline: this page as the current viewer last saw it, else the same path with another
    // query, else the shell. Never another viewer's copy.
    const pages = pagesOf(await currentViewer());
    const cached = (await caches.match(request, { cacheName: pages }))
      || (await caches.match(request, { cacheName: pages, ignoreSearch: true }))
      || (await caches.match('/', { cacheName: SHELL_CACHE }));
    if (cached) return cached;
    throw offline;
  }
}

async function shellFile(request) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(SHELL_CACHE);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (offline) {
    const cached = await caches.match(request, { cacheName: SHELL_CACHE });
    if (cached) return cached;
    throw offline;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || isNeverCached(url)) {
    return;
  }
  if (request.mode === 'navigate') {
    event.respondWith(navigate(event));
  } else if (SHELL.includes(url.pathname) && url.pathname !== '/') {
    event.respondWith(shellFile(request));
  }
});
