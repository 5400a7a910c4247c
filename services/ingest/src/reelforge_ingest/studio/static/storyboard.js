// Storyboard review: the visual bible's reference pictures (bible.js); every frame with its
// shot prompt; per frame a new seed or an edited prompt, the variants to pick from, the
// camera move; what remains to pay and wait before approving.

import { api } from "./api.js";
import { visualBible } from "./bible.js";
import { button, field, formatSeconds, h, replace, select } from "./dom.js";
import { showInfo } from "./notice.js";
import { cameraOptions, frameImage, newSeed, sceneEdits } from "./scenes.js";

export function storyboardReview(panel, ctx) {
  let disposed = false;
  let revision = ctx.revision();
  let shown = "";
  const typedPrompts = new Map(); // scene number -> a prompt being edited
  const edits = sceneEdits(ctx);
  const bible = visualBible(ctx, (action, message) => run(action, message));
  const estimate = h("div", { class: "estimate-box", "aria-live": "polite" }, "Estimating…");
  const grid = h("ol", { class: "board", "aria-label": "Storyboard frames" });
  const approveButton = button("Approve and make the video", () => approve(),
    { class: "primary" });

  replace(panel, h("section", { class: "panel review", "aria-labelledby": "board-title" },
    h("div", { class: "section-head" },
      h("h2", { id: "board-title" }, "Storyboard review"),
      h("div", { class: "sticky-actions" }, estimate, approveButton)),
    h("p", { class: "muted" }, "The video has not been made yet. Try other frames, pick " +
      "the ones you like, choose camera moves, then approve."),
    bible.section,
    grid));

  async function load() {
    try {
      const [view, cost, references] = await Promise.all([edits.load(),
        api(`${ctx.path}/estimate`), bible.load()]);
      if (disposed) return;
      revision = view.revision;
      showEstimate(cost);
      renderGrid(view.scenes);
      bible.render(references, () => revision);
    } catch (err) {
      if (!disposed) ctx.fail(err);
    }
  }

  /** The job moved on (a frame landed): redraw the grid if the scenes changed. */
  async function refresh() {
    try {
      const [view, references] = await Promise.all([edits.load(), bible.load()]);
      if (disposed) return;
      revision = view.revision;
      renderGrid(view.scenes);
      bible.render(references, () => revision);
    } catch {
      // the next event tries again
    }
  }

  function showEstimate(cost) {
    const stages = Object.entries(cost.stages || {}).map(([name, part]) =>
      `${name} ${formatSeconds(part.seconds)}${part.usd ? `, $${part.usd.toFixed(2)}` : ""}`);
    replace(estimate, h("strong", {}, "What remains: "),
      `about ${formatSeconds(cost.seconds)} of work, `,
      h("span", { class: "cost" }, `$${(cost.usd || 0).toFixed(2)}`),
      stages.length ? h("span", { class: "muted" }, ` (${stages.join("; ")})`) : null);
  }

  async function run(action, message) {
    try {
      const answer = await action();
      if (answer && answer.scenes) {
        revision = answer.revision;
        renderGrid(answer.scenes);
      } else if (answer) {
        ctx.accepted(answer);
      }
      if (message) showInfo(message);
    } catch (err) {
      ctx.fail(err);
    }
  }

  function renderGrid(scenes) {
    const json = JSON.stringify(scenes);
    if (json === shown) return;
    shown = json;
    const focused = document.activeElement && grid.contains(document.activeElement)
      ? document.activeElement.dataset.focusKey : null;
    grid.replaceChildren();
    for (const scene of scenes) {
      const n = scene.number;
      const prompt = h("textarea", { rows: 4, maxlength: 2000,
        value: typedPrompts.get(n) ?? scene.prompt ?? "", dataset: { focusKey: `prompt-${n}` } });
      prompt.addEventListener("input", () => typedPrompts.set(n, prompt.value));
      const camera = select(cameraOptions(scene.camera), scene.camera ?? "",
        { "data-focus-key": `camera-${n}` });
      camera.addEventListener("change", () => camera.value && run(() => edits.patch(n, revision,
        { camera: camera.value }), `Scene ${n}: camera move set to ${camera.value}.`));
      grid.append(h("li", { class: "board-card", dataset: { scene: n } },
        h("figure", {}, frameImage(scene, `Frame of scene ${n}`),
          h("figcaption", {}, h("strong", {}, `Scene ${n}`), " ", scene.summary || "")),
        scene.narration ? h("p", { class: "line" }, scene.narration) : null,
        field("Shot prompt", prompt),
        field("Camera move", camera),
        h("div", { class: "card-actions" },
          button("New frame", () => run(() => edits.frame(n, revision, { seed: newSeed() }),
            `Scene ${n}: a new frame is being drawn.`),
            { "aria-label": `New frame for scene ${n} (new seed)`, "data-focus-key": `frame-${n}` }),
          button("Redraw from prompt", () => {
            typedPrompts.delete(n);
            run(() => edits.frame(n, revision, { prompt: prompt.value.trim() }),
              `Scene ${n}: drawing the edited prompt.`);
          },
            { class: "ghost", "aria-label": `Redraw scene ${n} from the edited prompt`,
              "data-focus-key": `redraw-${n}` })),
        variantPicker(scene)));
    }
    const again = focused && grid.querySelector(`[data-focus-key="${focused}"]`);
    if (again) again.focus();
  }

  function variantPicker(scene) {
    if (!scene.variants || scene.variants.length < 2) return null;
    return h("fieldset", { class: "variants" },
      h("legend", {}, `Variants of scene ${scene.number}`),
      h("ul", {}, scene.variants.map((variant) => h("li", {},
        h("button", { type: "button", class: variant.chosen ? "variant chosen" : "variant",
          "aria-pressed": variant.chosen ? "true" : "false",
          "data-focus-key": `variant-${scene.number}-${variant.number}`,
          "aria-label": `Use variant ${variant.number} of scene ${scene.number} (seed ${variant.seed})`,
          onclick: () => variant.chosen ? null : run(() => edits.pick(scene.number,
            variant.number, revision), `Scene ${scene.number}: variant ${variant.number} chosen.`) },
          variant.thumb_url ? h("img", { src: variant.thumb_url, alt: "" })
            : h("span", { class: "placeholder" }, "…"),
          h("span", {}, `#${variant.number}`))))));
  }

  async function approve() {
    try {
      ctx.accepted(await api(`${ctx.path}/approve`, { method: "POST",
        json: { review: "storyboard", revision } }));
      showInfo("Storyboard approved: the video is being made.");
    } catch (err) {
      ctx.fail(err);
    }
  }

  load();
  return { refresh, dispose() { disposed = true; } };
}
