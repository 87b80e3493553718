// Eleventy 3 peer of the sitegen benchmark (bench/peers/convert.py copies this theme into the converted site).
import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import Image from "@11ty/eleventy-img";

// The same-work comparison (bench/compare.py `cold_same`, BENCH_SAME_WORK=1): the lead images become WebP and JPEG
// variants at sitegen's widths and quality (eleventy-img, that is sharp), every article, role page and the home page
// get a 1200x630 PNG social card (an SVG drawn by sharp, the usual Eleventy recipe), and Pagefind indexes the output
// afterwards (compare.py runs it). Off, the lead images are copied as they are and no card is drawn.
const SAME_WORK = process.env.BENCH_SAME_WORK === "1";
const LEAD_WIDTHS = [480, 800, 1200, 1600];
const SIZES = "(min-width: 44.5rem) 42rem, calc(100vw - 2.5rem)";

function money(amount) {
  amount = Math.abs(Math.trunc(amount));
  if (amount >= 1000000) return "~$" + (amount / 1000000).toFixed(2).replace(/\.?0+$/, "") + "M";
  if (amount >= 1000) return "~$" + Math.round(amount / 1000).toLocaleString("en-US") + "K";
  return "~$" + amount.toLocaleString("en-US");
}
const count = (n) => Number(n).toLocaleString("en-US");
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const longDate = (d) => `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
const slug = (s) => String(s).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

function chunks(posts, size) {
  const out = [];
  for (let i = 0; i < posts.length; i += size) out.push(posts.slice(i, i + size));
  return out;
}

// Paginated lists per term (category or tag): one entry per page of ten, like sitegen's /category/x/page/2/.
function termPages(posts, key, base) {
  const byTerm = new Map();
  for (const post of posts) {
    const value = post.data[key];
    for (const term of Array.isArray(value) ? value : [value]) {
      if (!byTerm.has(term)) byTerm.set(term, []);
      byTerm.get(term).push(post);
    }
  }
  const pages = [];
  for (const [term, list] of [...byTerm.entries()].sort()) {
    const parts = chunks(list, 10);
    parts.forEach((items, i) => pages.push({
      term, items, number: i + 1, total: parts.length,
      url: `/${base}/${slug(term)}/` + (i ? `page/${i + 1}/` : ""),
      prev: i ? `/${base}/${slug(term)}/` + (i > 1 ? `page/${i}/` : "") : null,
      next: i + 1 < parts.length ? `/${base}/${slug(term)}/page/${i + 2}/` : null,
    }));
  }
  return pages;
}

export default function (eleventyConfig) {
  eleventyConfig.addDataExtension("yaml", (contents) => yaml.load(contents));
  eleventyConfig.addGlobalData("samework", SAME_WORK);
  sameWork(eleventyConfig);  // its shortcodes: the templates call them only when samework is on
  if (!SAME_WORK) eleventyConfig.addPassthroughCopy("images");  // the lead images, published as they are
  eleventyConfig.amendLibrary("md", (md) => md.set({ linkify: true }));
  eleventyConfig.addFilter("longDate", longDate);
  eleventyConfig.addFilter("isoDate", (d) => d.toISOString().slice(0, 10));
  eleventyConfig.addFilter("slug", slug);
  eleventyConfig.addFilter("money", money);

  const posts = (api) => api.getFilteredByGlob("blog/*.md").sort((a, b) => b.date - a.date);
  eleventyConfig.addCollection("posts", posts);
  eleventyConfig.addCollection("categoryPages", (api) => termPages(posts(api), "category", "category"));
  eleventyConfig.addCollection("tagPages", (api) => termPages(posts(api), "tags", "tag"));

  // The components, reading _data/roles_data.yaml (data/roles.yaml as it is, renamed because the front matter's
  // `roles` list would hide a global of that name). `this.ctx` is the page's data.
  const role = (ctx, id) => ctx.roles_data.roles[id];
  eleventyConfig.addShortcode("salary", function (id) { return money(role(this.ctx, id).salary.median_base); });
  eleventyConfig.addShortcode("postings", function (id) { return count(role(this.ctx, id).job_postings); });
  eleventyConfig.addShortcode("salary_gap", function (a, b) {
    return money(role(this.ctx, a).salary.median_base - role(this.ctx, b).salary.median_base);
  });
  eleventyConfig.addShortcode("role", function (id, field) { return esc(role(this.ctx, id)[field]); });
  for (const kind of ["responsibilities", "skills"]) {
    eleventyConfig.addShortcode(kind, function (id) {
      const items = role(this.ctx, id)[kind].map((i) => `<li><strong>${esc(i.name)}:</strong> ${esc(i.detail)}</li>`);
      return `<ul class="role-items role-items--${kind}">\n${items.join("\n")}\n</ul>`;
    });
  }
  eleventyConfig.addShortcode("salary_table", function (...ids) {
    ids = ids.filter(Boolean);  // Nunjucks passes one empty argument to a shortcode called without any
    const roles = (ids.length ? ids : this.ctx.roles).map((id) => role(this.ctx, id));
    const first = roles[0];
    const rows = roles.map((r) => `<tr><th scope="row">${esc(r.title)}</th><td>${money(r.salary.median_base)}</td><td>${count(r.job_postings)}</td></tr>`);
    return `<div class="table-scroll"><table class="salary-table">\n<caption>Median base salary and active job postings (as of ${isoOf(first.as_of)}; source: ${esc(first.source)})</caption>\n` +
      `<thead><tr><th scope="col">Role</th><th scope="col">Median base salary</th><th scope="col">Active job postings</th></tr></thead>\n<tbody>\n${rows.join("\n")}\n</tbody></table></div>`;
  });
  eleventyConfig.addShortcode("quick_answer", function () {
    const answer = String(this.ctx.quick_answer || "").replace(/\{\{\s*salary\("([^"]+)"\)\s*\}\}/g,
      (_m, id) => money(role(this.ctx, id).salary.median_base));
    const figures = this.ctx.roles.map((id) => role(this.ctx, id))
      .map((r) => `<div><dt>${esc(r.title)}</dt><dd>${money(r.salary.median_base)} median base</dd></div>`);
    return `<aside class="quick-answer"><h2 class="quick-answer__title">Quick answer</h2>\n<p>${esc(answer)}</p>\n` +
      `<dl class="quick-answer__figures">\n${figures.join("\n")}\n</dl></aside>`;
  });

  return {
    dir: { input: ".", includes: "_includes", data: "_data", output: "_site" },
    markdownTemplateEngine: "njk",
    htmlTemplateEngine: "njk",
  };
}

function isoOf(v) { return v instanceof Date ? v.toISOString().slice(0, 10) : String(v); }

function wrap(text, width, lines) {
  const out = [""];
  for (const word of String(text).split(/\s+/)) {
    const line = out[out.length - 1];
    if (line && (line + " " + word).length > width) out.push(word);
    else out[out.length - 1] = line ? line + " " + word : word;
  }
  if (out.length > lines) {
    out.length = lines;
    out[lines - 1] = out[lines - 1].replace(/\s*\S*$/, "") + "\u2026";
  }
  return out;
}

// An article comparing roles: each role with its median base salary; a role's page: its own (sitegen's card.yaml,
// third and fourth layers).
function roleLines(ctx) {
  const own = ctx.page.url.startsWith("/roles/") && ctx.roles_data.roles[ctx.id];
  if (own) return [`<text x="80" y="482" font-family="DejaVu Sans" font-size="32" fill="#d7e4ff">Median base salary ` +
    `${money(own.salary.median_base)}</text>`];
  const roles = (Array.isArray(ctx.roles) ? ctx.roles : []).map((id) => ctx.roles_data.roles[id]).filter(Boolean);
  return roles.slice(0, 3).map((r, i) => `<text x="80" y="${482 + i * 42}" font-family="DejaVu Sans" font-size="32" ` +
    `fill="#d7e4ff">${esc(r.title)}: ${money(r.salary.median_base)} median base</text>`);
}

function sameWork(eleventyConfig) {
  const lead = (src) => Image("." + src, {
    widths: LEAD_WIDTHS, formats: ["webp", "jpeg"], urlPath: "/img/",
    outputDir: path.join(eleventyConfig.directories.output, "img"),
    sharpWebpOptions: { quality: 80, effort: 4 }, sharpJpegOptions: { quality: 80, progressive: true },
  });
  eleventyConfig.addAsyncShortcode("leadImage", async function (src, alt) {
    return Image.generateHTML(await lead(src), { alt, sizes: SIZES, decoding: "async" });
  });
  let logo = null;
  eleventyConfig.addAsyncShortcode("socialCard", async function (title, image) {
    if (image) return (await lead(image)).jpeg.at(-1).url;  // the largest (eleventy-img lists them by width), as sitegen
    logo ??= fs.readFileSync("_card/logo.png").toString("base64");
    const big = wrap(title, 25, 4).length <= 3;  // a long title is drawn smaller, as card.yaml's min_size does
    const lines = wrap(title, big ? 25 : 31, 3).map((line, i) =>
      `<text x="80" y="${(big ? 236 : 226) + i * (big ? 80 : 64)}" font-family="DejaVu Sans" font-weight="bold" ` +
      `font-size="${big ? 68 : 54}" fill="#ffffff">${esc(line)}</text>`);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="630" viewBox="0 0 1200 630">` +
      `<rect width="1200" height="630" fill="#0b1f3f"/>` +
      `<image href="data:image/png;base64,${logo}" x="80" y="64" width="72" height="72"/>` +
      `<text x="176" y="112" font-family="DejaVu Sans" font-weight="bold" font-size="34" fill="#9fc2ff">Hiring Insights</text>` +
      lines.join("") + roleLines(this.ctx).join("") + `</svg>`;
    // one folder of hashed names, the usual eleventy-img pattern: the same card (same SVG) is rendered once
    const made = await Image(Buffer.from(svg), {
      widths: [1200], formats: ["png"], urlPath: "/img/cards/",
      outputDir: path.join(eleventyConfig.directories.output, "img", "cards"),
    });  // sharp's PNG defaults (truecolour), as eleventy-img's users get them
    return made.png[0].url;
  });
}
