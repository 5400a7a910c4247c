// One job: its progress (per stage and per scene, live), and the panel for where it stands:
// the script review, the storyboard review, or the result.

import { api, followEvents } from "./api.js";
import { button, formatSeconds, h, replace, statusBadge } from "./dom.js";
import { showError, showInfo } from "./notice.js";
import { resultPanel } from "./result.js";
import { scriptReview } from "./script.js";
import { storyboardReview } from "./storyboard.js";

const FINAL = new Set(["completed", "failed", "cancelled"]);
const STAGE_NAMES = {
  ingest: "Document", script: "Script", audio: "Voice and music", storyboard: "Storyboard",
  video: "Video", assembly: "Render",
};
const MAX_LOG = 200;

export function jobView(main, jobId) {
  const path = `/v1/jobs/${encodeURIComponent(jobId)}`;
  const heading = h("h1", { id: "job-title" }, "Loading…");
  const badge = h("span");
  const bar = h("progress", { max: 1, value: 0, "aria-label": "Progress of the whole job" });
  const controls = h("div", { class: "actions" });
  const stages = h("ol", { class: "stages", "aria-label": "Stages" });
  const live = h("div", { class: "live-scenes", "aria-live": "off" });
  const log = h("ol", { class: "log" });
  const panel = h("div", { class: "panel-slot" });
  let job = null;
  let panelKey = null;
  let panelHandle = null;
  let stream = null;
  let poller = null;
  let refreshTimer = null;
  let disposed = false;

  replace(main, h("article", { class: "page job", "aria-labelledby": "job-title" },
    h("div", { class: "job-head" },
      h("div", {}, h("a", { href: "#/jobs", class: "back" }, "← All trailers"), heading, badge),
      controls),
    bar,
    h("section", { class: "progress-area", "aria-label": "Progress" },
      stages,
      h("details", { class: "activity" }, h("summary", {}, "Activity"), log)),
    live,
    panel));

  const ctx = {
    jobId,
    path,
    get job() { return job; },
    revision() { return job ? job.revision : undefined; },
    /** An edit answered with a JobView (202): show it and follow the job again. */
    accepted(view) {
      job = view;
      render();
    },
    reload,
    /** Every error: the server's message; a conflict (409) also reloads what is shown. */
    fail(err) {
      showError(err.message);
      if (err.status === 409) reload({ repaint: true });
    },
  };

  async function reload({ repaint = false } = {}) {
    try {
      const view = await api(path);
      if (disposed) return;
      job = view;
      if (repaint) panelKey = null;
      render();
    } catch (err) {
      if (!disposed) showError(err.message);
    }
  }

  function scheduleReload() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => { refreshTimer = null; reload(); }, 400);
  }

  function render() {
    const title = job.title || job.settings.title || "Untitled trailer";
    heading.textContent = title;
    document.title = `${title} · reelforge studio`;
    replace(badge, statusBadge(job.status, job.awaiting));
    bar.value = job.progress || 0;
    bar.setAttribute("aria-valuetext", `${Math.round((job.progress || 0) * 100)} percent`);
    renderControls();
    renderStages();
    // not the revision: a review panel keeps what is being typed while events arrive
    const key = `${job.status}|${job.awaiting}`;
    const running = job.status === "running" || job.status === "queued";
    if (running) renderLiveScenes();
    else live.replaceChildren();
    if (key === panelKey) {
      if (panelHandle && panelHandle.refresh) panelHandle.refresh();
    } else {
      panelKey = key;
      if (panelHandle && panelHandle.dispose) panelHandle.dispose();
      panelHandle = null;
      panel.replaceChildren();
      if (job.status === "awaiting_review" && job.awaiting === "script") {
        panelHandle = scriptReview(panel, ctx);
      } else if (job.status === "awaiting_review" && job.awaiting === "storyboard") {
        panelHandle = storyboardReview(panel, ctx);
      } else if (FINAL.has(job.status)) {
        panelHandle = resultPanel(panel, ctx);
      }
    }
    follow();
  }

  function renderControls() {
    const buttons = [];
    if (!FINAL.has(job.status)) {
      buttons.push(button("Cancel", async () => {
        try { ctx.accepted(await api(`${path}/cancel`, { method: "POST" })); }
        catch (err) { ctx.fail(err); }
      }, { class: "ghost", "aria-label": "Cancel this job" }));
    }
    if (job.status === "failed" || job.status === "cancelled") {
      buttons.push(button("Retry", async () => {
        try { ctx.accepted(await api(`${path}/retry`, { method: "POST" })); }
        catch (err) { ctx.fail(err); }
      }, { "aria-label": "Retry this job from where it stopped" }));
    }
    replace(controls, buttons);
    if (job.error) controls.append(h("p", { class: "error-text" }, job.error));
  }

  function renderStages() {
    stages.replaceChildren();
    for (const [name, stage] of Object.entries(job.stages)) {
      const items = stage.items_total ? `${stage.items_done || 0} of ${stage.items_total}` : "";
      const share = stage.status === "completed" ? 1
        : stage.items_total ? (stage.items_done || 0) / stage.items_total : 0;
      const meter = h("span", { class: "meter", "aria-hidden": "true" }, h("span"));
      meter.firstChild.style.width = `${Math.round(share * 100)}%`;
      stages.append(h("li", { class: `stage stage-${stage.status}` },
        h("span", { class: "stage-name" }, STAGE_NAMES[name] || name),
        meter,
        h("span", { class: "stage-state" }, [stage.status.replaceAll("_", " "), items]
          .filter(Boolean).join(" · ")),
        stage.seconds ? h("span", { class: "muted" }, formatSeconds(stage.seconds)) : null,
        stage.error ? h("span", { class: "error-text" }, stage.error) : null));
    }
  }

  async function renderLiveScenes() {
    let view;
    try {
      view = await api(`${path}/scenes`);
    } catch {
      return; // no scenes before the script exists
    }
    if (disposed || FINAL.has(job.status) || job.status === "awaiting_review") return;
    replace(live, h("h2", { class: "small-title" }, "Scenes"),
      h("ul", { class: "strip", "aria-label": "Scenes as they are made" },
        view.scenes.map((scene) => h("li", { class: "strip-item" },
          scene.frame && scene.frame.thumb_url
            ? h("img", { src: scene.frame.thumb_url, alt: `Frame of scene ${scene.number}`,
                         class: "thumb" })
            : h("div", { class: "thumb placeholder" }, "…"),
          h("span", { class: "strip-label" }, `${scene.number}${scene.clip ? " · clip" : ""}`)))));
  }

  function addLog(data) {
    if (!data) return;
    const time = data.time ? new Date(data.time).toLocaleTimeString() : "";
    log.prepend(h("li", {}, h("span", { class: "muted" }, time), " ",
      h("strong", {}, data.stage || ""), " ", data.message || data.kind || ""));
    while (log.children.length > MAX_LOG) log.lastChild.remove();
  }

  function follow() {
    if (FINAL.has(job.status)) {
      stopFollowing();
      return;
    }
    if (stream || poller) return;
    stream = followEvents(jobId, {
      onEvent(name, data) {
        if (name === "progress") addLog(data);
        if (name === "end") {
          stream = null;
          if (data && data.status === "completed") showInfo("The trailer is ready.");
          reload();
          return;
        }
        scheduleReload();
      },
      onFallback() {
        stream = null;
        poller = setInterval(reload, 1000);
      },
    });
  }

  function stopFollowing() {
    if (stream) stream.stop();
    stream = null;
    clearInterval(poller);
    poller = null;
  }

  reload();
  return {
    dispose() {
      disposed = true;
      stopFollowing();
      clearTimeout(refreshTimer);
      if (panelHandle && panelHandle.dispose) panelHandle.dispose();
    },
  };
}
