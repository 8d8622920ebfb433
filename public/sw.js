// Postboard's service worker: the app shell offline.
//
// - On install it precaches the shell (the home page, the WASM, its JS and the stylesheet) in a
//   cache named after the build, so a deploy (a new ?v= in the registration URL) installs a new
//   worker whose activation deletes every older cache.
// - Everything is network-first: a page fetched online is kept, and served when the network
//   is down (the page then says it is showing a cached copy). Pages are per user, so the page
//   asks for them to be dropped on logout ("clear-pages" message).
// - /api/ and /rpc/ are never cached here: data is the app's business (offline.rs).
'use strict';

const VERSION = new URL(self.location).searchParams.get('v') || 'dev';
const SHELL_CACHE = `postboard-shell-${VERSION}`;
const PAGE_CACHE = `postboard-pages-${VERSION}`;
const SHELL = ['/', '/pkg/postboard.js', '/pkg/postboard.wasm', '/pkg/postboard.css', '/favicon.ico'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names
          .filter((name) => name.startsWith('postboard-') && name !== SHELL_CACHE && name !== PAGE_CACHE)
          .map((name) => caches.delete(name)),
      ))
      .then(() => self.clients.claim()),
  );
});

// The page asks for each page it shows after a client-side navigation to be kept too
// ("cache:/posts/7"), so the offline copy of a page is the one the user last saw.
self.addEventListener('message', (event) => {
  if (event.data === 'clear-pages') {
    event.waitUntil(caches.delete(PAGE_CACHE));
  } else if (typeof event.data === 'string' && event.data.startsWith('cache:')) {
    const url = new URL(event.data.slice('cache:'.length), self.location.origin);
    if (url.origin === self.location.origin && !isNeverCached(url)) {
      event.waitUntil(
        fetch(url, { credentials: 'same-origin' })
          .then((response) => response.ok
            ? caches.open(PAGE_CACHE).then((cache) => cache.put(url, response))
            : undefined)
          .catch(() => undefined),
      );
    }
  }
});

function isNeverCached(url) {
  // Hoisted: also used by the message handler above.
  return url.pathname.startsWith('/api/') || url.pathname.startsWith('/rpc/');
}

// Online, the network always wins (so the page and its WASM never come from two different
// builds); each good response refreshes the copy kept for offline use.
async function networkFirst(request, cacheName, fallbacks) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(cacheName);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (offline) {
    for (const [match, options] of fallbacks) {
      const cached = await caches.match(match, options);
      if (cached) return cached;
    }
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
    // Offline: this page as last seen, else the same path with another query, else the shell.
    event.respondWith(networkFirst(request, PAGE_CACHE, [
      [request, { cacheName: PAGE_CACHE }],
      [request, { cacheName: PAGE_CACHE, ignoreSearch: true }],
      ['/', { cacheName: SHELL_CACHE }],
    ]));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(networkFirst(request, SHELL_CACHE, [[request, { cacheName: SHELL_CACHE }]]));
  }
});
