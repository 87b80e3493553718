// The /search/ page: runs ?q= on load, searches while typing and on submit, through Pagefind's JS API
// (pagefind/<shard>/pagefind.js, written by the build). Results are built as DOM nodes: titles, descriptions and dates are
// text, and Pagefind's excerpt keeps only its <mark> elements, so no page content is ever parsed as live HTML.
const root = document.getElementById("search");
const form = document.getElementById("search-form");
const input = document.getElementById("search-q");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const fallback = document.getElementById("search-fallback");
const SHOWN = 50;
const WAIT_MS = 250; // typing pause before a search (a submit searches at once)

let engine = null;
let latest = 0;
let timer = 0;

fallback.hidden = true;

// The index comes in shards (bundles.json lists them): the first one's pagefind.js searches them all
async function open() {
  const index = root.dataset.index;
  const response = await fetch(index + "bundles.json");
  if (!response.ok) throw new Error(`no search index (${response.status})`);
  const bundles = (await response.json()).bundles;
  if (!Array.isArray(bundles) || bundles.length === 0) throw new Error("the search index is empty");
  const options = { baseUrl: root.dataset.base, excerptLength: 24 };
  const pagefind = await import(index + bundles[0] + "pagefind.js");
  await pagefind.options(options);
  await pagefind.init();
  for (const bundle of bundles.slice(1)) await pagefind.mergeIndex(index + bundle, options);
  return pagefind;
}

function load() {
  if (!engine) engine = open();
  return engine;
}

function el(name, className, text) {
  const node = document.createElement(name);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function terms(query) {
  return query.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0);
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// `text` into `node`, with the words that start with a query term in <mark>
function highlighted(node, text, words) {
  if (!words.length) {
    node.textContent = text;
    return false;
  }
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.map(escapeRegExp).join("|")})[\\p{L}\\p{N}]*`, "giu");
  let last = 0;
  let found = false;
  for (const match of text.matchAll(pattern)) {
    node.append(text.slice(last, match.index), el("mark", "", match[0]));
    last = match.index + match[0].length;
    found = true;
  }
  node.append(text.slice(last));
  return found;
}

// Pagefind's excerpt is entity-encoded text with <mark> elements: parsed in an inert document, copied as text
function excerpt(node, html) {
  const parsed = new DOMParser().parseFromString(`<p>${html}</p>`, "text/html");
  for (const child of parsed.body.firstChild ? parsed.body.firstChild.childNodes : []) {
    if (child.nodeName === "MARK") node.append(el("mark", "", child.textContent));
    else node.append(child.textContent);
  }
}

function result(data, words) {
  const meta = data.meta || {};
  const item = el("li", "search__result");
  const heading = el("h2");
  const link = el("a", "", meta.title || data.url);
  link.href = data.url;
  heading.append(link);
  item.append(heading);
  if (meta.category || meta.published) {
    const line = el("p", "search__meta");
    if (meta.category) line.append(el("span", "category", meta.category));
    if (meta.published) {
      const time = el("time", "", meta.published);
      if (meta.date) time.dateTime = meta.date;
      line.append(time);
    }
    item.append(line);
  }
  let matched = false;
  if (meta.description) {
    const summary = el("p");
    matched = highlighted(summary, meta.description, words);
    item.append(summary);
  }
  if (!matched && data.excerpt) {
    const snippet = el("p", "muted");
    snippet.append("… ");
    excerpt(snippet, data.excerpt);
    snippet.append(" …");
    item.append(snippet);
  }
  return item;
}

function say(text) {
  status.textContent = text;
}

async function run(query) {
  const number = ++latest;
  query = query.trim();
  if (!query) {
    list.replaceChildren();
    list.hidden = true;
    say("");
    return;
  }
  let found;
  try {
    const pagefind = await load();
    const search = await pagefind.search(query);
    found = await Promise.all(search.results.slice(0, SHOWN).map((r) => r.data()));
    if (number !== latest) return; // a newer query is on its way
    const words = terms(query);
    list.replaceChildren(...found.map((data) => result(data, words)));
    list.hidden = found.length === 0;
    const total = search.results.length;
    if (total === 0) say(`No results for “${query}”.`);
    else if (total > found.length) say(`${total} results for “${query}”; showing the first ${found.length}.`);
    else say(`${total} ${total === 1 ? "result" : "results"} for “${query}”.`);
  } catch (error) {
    if (number !== latest) return;
    list.replaceChildren();
    list.hidden = true;
    say("Search is not available: its index could not be loaded.");
    fallback.hidden = false;
  }
}

function remember(query) {
  const url = new URL(window.location.href);
  if (query.trim()) url.searchParams.set("q", query.trim());
  else url.searchParams.delete("q");
  window.history.replaceState(null, "", url);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  window.clearTimeout(timer);
  remember(input.value);
  run(input.value);
});

input.addEventListener("input", () => {
  window.clearTimeout(timer);
  load();
  timer = window.setTimeout(() => {
    remember(input.value);
    run(input.value);
  }, WAIT_MS);
});

const initial = new URLSearchParams(window.location.search).get("q") || "";
if (initial) {
  input.value = initial;
  run(initial);
}
