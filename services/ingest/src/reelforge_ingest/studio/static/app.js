// The studio: hash routes over one page. #/jobs, #/new, #/jobs/<id>.

import { api, forgetKey, keepKey, storedKey, takeKeyFromFragment } from "./api.js";
import { h, replace, field } from "./dom.js";
import { jobsList } from "./jobs.js";
import { jobView } from "./job.js";
import { clearNotice, showError } from "./notice.js";
import { newTrailer } from "./new.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
let current = null;
let keyless = false; // a local studio that asks for no key

function route() {
  if (current && current.dispose) current.dispose();
  current = null;
  document.getElementById("forget-key").hidden = keyless && !storedKey();
  if (!storedKey() && !keyless) {
    nav.hidden = true;
    keyForm();
    return;
  }
  nav.hidden = false;
  const hash = location.hash || "#/jobs";
  const job = hash.match(/^#\/jobs\/([A-Za-z0-9_-]+)$/);
  if (hash === "#/new") current = newTrailer(main);
  else if (job) current = jobView(main, job[1]);
  else current = jobsList(main);
  for (const link of nav.querySelectorAll("a")) {
    link.toggleAttribute("aria-current", link.getAttribute("href") === hash);
  }
}

function keyForm() {
  const input = h("input", { type: "password", name: "key", autocomplete: "off",
                             spellcheck: "false", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Open the studio");
  const form = h("form", { class: "panel narrow", "aria-labelledby": "key-title" },
    h("h1", { id: "key-title" }, "Open the studio"),
    h("p", { class: "muted" }, "Paste an API key (create one with ",
      h("code", {}, "reelforge keys create --tenant NAME"), "). It stays in this browser."),
    field("API key", input),
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    keepKey(key);
    submit.disabled = true;
    try {
      await api("/v1/jobs?limit=1");
      clearNotice();
      location.hash = "#/jobs";
      route();
    } catch (err) {
      forgetKey();
      showError(err.message);
      submit.disabled = false;
      input.focus();
    }
  });
  replace(main, form);
  input.focus();
}

document.getElementById("forget-key").addEventListener("click", () => {
  forgetKey();
  clearNotice();
  route();
});

window.addEventListener("hashchange", () => {
  if (/^#key=/.test(location.hash)) takeKeyFromFragment();
  clearNotice();
  route();
  main.focus({ preventScroll: true });
});

async function boot() {
  takeKeyFromFragment();
  if (!storedKey()) {
    try {
      await api("/v1/jobs?limit=1");
      keyless = true;
    } catch {
      // a key is needed: the form asks for it
    }
  }
  route();
}

boot();
