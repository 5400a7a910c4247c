// The result: a player per aspect with captions, the scene strip with per-scene edits
// (frame, clip, line, camera, trim), "Render new version", and every version to download.

import { api } from "./api.js";
import { button, field, formatBytes, formatDate, formatSeconds, h, replace, select }
  from "./dom.js";
import { showInfo } from "./notice.js";
import { cameraOptions, frameImage, newSeed, sceneEdits } from "./scenes.js";

const TRAILER = /^trailer(?:_(\d+)x(\d+))?\.mp4$/;

/** `trailer.mp4` is the primary aspect; `trailer_9x16.mp4` and the like the others. */
function aspectOf(file, primary) {
  const match = (file.path || "").match(TRAILER);
  return match && match[1] ? `${match[1]}:${match[2]}` : primary;
}

export function resultPanel(panel, ctx) {
  let disposed = false;
  let revision = ctx.revision();
  let scenes = [];
  let selected = null;
  const edits = sceneEdits(ctx);
  const players = h("div", { class: "players" });
  const strip = h("ul", { class: "strip", "aria-label": "Scenes" });
  const editor = h("div", { class: "scene-editor", "aria-live": "polite" });
  const versions = h("ol", { class: "versions", reversed: true, "aria-label": "Versions" });
  const renderButton = button("Render new version", () => renderVersion(), { class: "primary" });

  replace(panel, h("section", { class: "panel result", "aria-labelledby": "result-title" },
    h("div", { class: "section-head" }, h("h2", { id: "result-title" }, "The trailer"),
      h("div", { class: "sticky-actions" }, renderButton)),
    players,
    h("h3", {}, "Scenes"),
    strip,
    editor,
    h("h3", {}, "Versions"),
    versions));

  async function load() {
    let versionsView = null;
    try {
      versionsView = await api(`${ctx.path}/versions`);
    } catch (err) {
      if (disposed) return;
      if (ctx.job.status === "completed") ctx.fail(err);
    }
    if (disposed) return;
    if (versionsView) showVersions(versionsView.versions);
    try {
      const view = await edits.load();
      if (disposed) return;
      revision = view.revision;
      showScenes(view.scenes);
    } catch (err) {
      if (!disposed && ctx.job.status === "completed") ctx.fail(err);
    }
  }

  function showVersions(list) {
    const sorted = [...list].sort((a, b) => b.number - a.number);
    const latest = sorted[0];
    players.replaceChildren();
    if (latest) {
      const captions = latest.files.find((f) => f.name === "captions_vtt" ||
        (f.path || "").endsWith(".vtt"));
      for (const file of latest.files.filter((f) => TRAILER.test(f.path || ""))) {
        const aspect = aspectOf(file, ctx.job.settings.aspect);
        const video = h("video", { controls: true, preload: "metadata", src: file.url,
          playsinline: true, "aria-label": `Trailer, ${aspect}, version ${latest.number}`,
          dataset: { aspect } },
          captions ? h("track", { kind: "captions", srclang: "en", label: "English",
                                  src: captions.url, default: true }) : null);
        players.append(h("figure", { class: `player aspect-${aspect.replace(":", "x")}` },
          video, h("figcaption", {}, `${aspect} · ${formatSeconds(file.duration)}`)));
      }
    }
    versions.replaceChildren();
    for (const version of sorted) {
      versions.append(h("li", { class: "version", dataset: { version: version.number } },
        h("div", { class: "version-head" },
          h("strong", {}, `Version ${version.number}`),
          h("span", { class: "muted" }, ` ${formatDate(version.created_at)} · `
            + formatSeconds(version.duration)),
          h("a", { href: version.zip_url, download: `trailer-v${version.number}.zip`,
                   class: "button ghost",
                   "aria-label": `Download version ${version.number} as a zip` },
            "Download package (.zip)")),
        h("details", {}, h("summary", {}, `Files of version ${version.number}`),
          h("ul", { class: "files" }, version.files.map((file) => h("li", {},
            h("a", { href: file.url, download: (file.path || file.name).split("/").pop() },
              file.path || file.name),
            h("span", { class: "muted" }, ` ${formatBytes(file.size)}`)))))));
    }
  }

  function showScenes(list) {
    scenes = list;
    strip.replaceChildren();
    for (const scene of scenes) {
      strip.append(h("li", { class: "strip-item" },
        h("button", { type: "button", class: "strip-button",
          "aria-pressed": scene.number === selected ? "true" : "false",
          "aria-label": `Edit scene ${scene.number}`,
          onclick: () => { selected = scene.number; showScenes(scenes); editScene(); } },
          frameImage(scene, ""),
          h("span", { class: "strip-label" }, scene.number))));
    }
    if (selected) editScene();
  }

  function editScene() {
    const scene = scenes.find((s) => s.number === selected);
    if (!scene) { editor.replaceChildren(); return; }
    const n = scene.number;
    const line = h("textarea", { rows: 2, maxlength: 300, value: scene.narration || "",
                                 disabled: scene.narration === null });
    const seconds = h("input", { type: "number", min: 1, max: 30, step: 0.1,
                                 value: scene.seconds ?? "", placeholder: "as the line" });
    const camera = select(cameraOptions(scene.camera), scene.camera ?? "");
    const save = button("Save scene changes", async () => {
      const change = {};
      if (scene.narration !== null && line.value.trim() !== scene.narration) {
        change.narration = line.value.trim();
      }
      const wanted = seconds.value === "" ? null : Number(seconds.value);
      if (wanted !== (scene.seconds ?? null)) change.seconds = wanted;
      if (camera.value && camera.value !== scene.camera) change.camera = camera.value;
      if (!Object.keys(change).length) { showInfo(`Scene ${n}: nothing changed.`); return; }
      await run(() => edits.patch(n, revision, change),
        `Scene ${n} saved. Render a new version to see it.`);
    }, { class: "primary" });
    replace(editor, h("div", { class: "panel inset", "aria-labelledby": "scene-edit-title" },
      h("div", { class: "editor-grid" },
        h("figure", {}, frameImage(scene, `Frame of scene ${n}`),
          scene.clip ? h("video", { src: scene.clip.url, controls: true, muted: true,
            preload: "metadata", "aria-label": `Clip of scene ${n}` }) : null),
        h("div", {},
          h("h4", { id: "scene-edit-title" }, `Scene ${n}`),
          h("p", { class: "muted" }, scene.summary || ""),
          field("Narration line", line, scene.narration === null
            ? "this scene has no line" : "only this line is voiced again"),
          field("Time on screen (seconds)", seconds, "empty: as long as its line; 1 to 30"),
          field("Camera move", camera),
          h("div", { class: "card-actions" }, save,
            button("New frame", () => run(() => edits.frame(n, revision, { seed: newSeed() }),
              `Scene ${n}: a new frame is being drawn.`),
              { class: "ghost", "aria-label": `New frame for scene ${n}` }),
            button("New clip", () => run(() => edits.clip(n, revision),
              `Scene ${n}: the clip is being made again.`),
              { class: "ghost", "aria-label": `New clip for scene ${n}` }))))));
  }

  async function run(action, message) {
    try {
      const answer = await action();
      if (answer && answer.scenes) {
        revision = answer.revision;
        showScenes(answer.scenes);
      } else if (answer) {
        ctx.accepted(answer);
      }
      if (message) showInfo(message);
    } catch (err) {
      ctx.fail(err);
    }
  }

  async function renderVersion() {
    try {
      ctx.accepted(await api(`${ctx.path}/render`, { method: "POST",
        json: { revision: revision ?? ctx.revision() } }));
      showInfo("Rendering a new version: only the changed scenes are encoded again.");
    } catch (err) {
      ctx.fail(err);
    }
  }

  load();
  return { dispose() { disposed = true; } };
}
