/* sw.js -- mailsim works offline once loaded: this service worker keeps
 * every file of the page (the list and the cache's name are filled in by
 * scripts/web-page.sh; the name changes with their contents, so a new build
 * replaces the old cache). Browsers run it only on https:// or localhost.
 * Nothing is sent anywhere: it answers from the cache, else from the server
 * the page came from. */
const CACHE = "@CACHE@";
const FILES = @FILES@;

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("mailsim-") && k !== CACHE)
                                      .map((k) => caches.delete(k))))
      .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (e) => {
  if (e.request.method !== "GET" || new URL(e.request.url).origin !== self.location.origin) return;
  /* ?lesson=03&step=120 is the same page: the query is for the page's script. */
  e.respondWith(
    caches.open(CACHE)
      .then((c) => c.match(e.request, { ignoreSearch: true }))
      .then((hit) => hit || fetch(e.request)));
});
