// The jobs list: every trailer of this key's tenant, newest first.

import { api } from "./api.js";
import { button, formatDate, formatSeconds, h, replace, statusBadge } from "./dom.js";
import { showError, showInfo } from "./notice.js";

const PAGE = 24;
const FINAL = new Set(["completed", "failed", "cancelled"]);

export function jobsList(main) {
  const list = h("ul", { class: "jobs", "aria-label": "Trailers" });
  const more = button("Show older trailers", () => load(offset), { class: "ghost", hidden: true });
  const empty = h("p", { class: "muted", hidden: true }, "No trailers yet. ",
    h("a", { href: "#/new" }, "Make the first one"), ".");
  let offset = 0;
  let timer = null;
  let disposed = false;

  replace(main, h("section", { class: "page", "aria-labelledby": "jobs-title" },
    h("div", { class: "section-head" },
      h("h1", { id: "jobs-title" }, "Trailers"),
      h("a", { href: "#/new", class: "button primary" }, "New trailer")),
    empty, list, more));

  async function load(from, { refresh = false } = {}) {
    try {
      const page = await api(`/v1/jobs?limit=${refresh ? Math.max(offset, PAGE) : PAGE}&offset=${from}`);
      if (disposed) return;
      if (refresh) list.replaceChildren();
      for (const job of page.jobs) list.append(jobCard(job));
      offset = from + page.jobs.length;
      more.hidden = !page.next;
      empty.hidden = list.children.length > 0;
      const busy = page.jobs.some((job) => !FINAL.has(job.status));
      clearTimeout(timer);
      if (busy) timer = setTimeout(() => load(0, { refresh: true }), 3000);
    } catch (err) {
      if (!disposed) showError(err.message);
    }
  }

  function jobCard(job) {
    const title = job.title || "Untitled trailer";
    const thumb = job.thumbnail_url
      ? h("img", { src: job.thumbnail_url, alt: "", loading: "lazy", class: "thumb" })
      : h("div", { class: "thumb placeholder", "aria-hidden": "true" });
    const actions = h("div", { class: "card-actions" });
    const deleteButton = button("Delete", () => confirmDelete(), {
      class: "ghost danger", "aria-label": `Delete trailer “${title}”` });
    actions.append(deleteButton);

    function confirmDelete() {
      const yes = button("Delete for good", async () => {
        try {
          await api(`/v1/jobs/${encodeURIComponent(job.id)}`, { method: "DELETE" });
          card.remove();
          empty.hidden = list.children.length > 0;
          showInfo(`Deleted “${title}”.`);
        } catch (err) {
          showError(err.message);
        }
      }, { class: "danger", "aria-label": `Delete “${title}” for good` });
      const no = button("Keep", () => { replace(actions, deleteButton); deleteButton.focus(); },
        { class: "ghost", "aria-label": `Keep “${title}”` });
      replace(actions, h("span", { class: "muted" }, "Delete this trailer?"), yes, no);
      no.focus();
    }

    const card = h("li", { class: "job-card", dataset: { job: job.id } },
      h("a", { href: `#/jobs/${job.id}`, class: "job-link" },
        thumb,
        h("span", { class: "job-title" }, title)),
      h("div", { class: "job-meta" },
        statusBadge(job.status, job.awaiting),
        h("span", { class: "duration", "aria-label": "Duration" },
          job.duration ? formatSeconds(job.duration) : "–"),
        h("time", { datetime: job.created_at }, formatDate(job.created_at))),
      job.error ? h("p", { class: "error-text" }, job.error) : null,
      actions);
    return card;
  }

  load(0);
  return { dispose() { disposed = true; clearTimeout(timer); } };
}
