// Script review: title, tagline, logline, the cast with the visual bible, one card per scene
// (narration line, visual description, location, time of day, mood, act); edit, delete,
// insert, reorder; the trailer's length estimated as you type; save, approve.

import { api } from "./api.js";
import { button, field, formatSeconds, h, replace, select } from "./dom.js";
import { showInfo } from "./notice.js";

const TIMES = ["dawn", "day", "dusk", "night"].map((t) => [t, t]);
const ACTS = ["setup", "escalation", "climax", "title", "tag"].map((a) => [a, a]);
const END_CARD_SECONDS = 3.0;
const DEFAULT_PAUSE = 0.4;

/** Seconds of trailer the narration gives: words at the script's pace, each line's pause
 * after it, and the end card. */
export function estimateSeconds(lines, wordsPerSecond) {
  let words = 0;
  let pauses = 0;
  for (const line of lines) {
    const text = line.text.trim();
    if (!text) continue;
    words += text.split(/\s+/).length;
    pauses += line.pause_after ?? DEFAULT_PAUSE;
  }
  return words / (wordsPerSecond || 2.6) + pauses + END_CARD_SECONDS;
}

export function scriptReview(panel, ctx) {
  let disposed = false;
  let view = null; // the ScriptView as loaded
  let draft = null; // what the form edits: scenes with their lines, in screen order
  let dirty = false;
  const estimate = h("output", { class: "estimate", "aria-live": "polite" });
  const serverEstimate = h("span", { class: "muted" });
  const scenesList = h("ol", { class: "scene-cards", "aria-label": "Scenes" });
  const saveButton = button("Save", () => save(), { class: "ghost" });
  const approveButton = button("Approve the script", () => approve(), { class: "primary" });
  const body = h("div");

  replace(panel, h("section", { class: "panel review", "aria-labelledby": "script-title" },
    h("div", { class: "section-head" },
      h("h2", { id: "script-title" }, "Script review"),
      h("div", { class: "sticky-actions" }, h("span", { class: "estimate-box" },
        "Estimated length ", estimate, " ", serverEstimate), saveButton, approveButton)),
    h("p", { class: "muted" }, "Nothing has been voiced or drawn yet. Edit anything, then " +
      "approve to make the voice and the storyboard."),
    body));

  async function load() {
    try {
      const answer = await api(`${ctx.path}/script`);
      if (disposed) return;
      show(answer);
    } catch (err) {
      if (!disposed) ctx.fail(err);
    }
  }

  function show(answer) {
    view = answer;
    const script = structuredClone(answer.script);
    draft = {
      script,
      scenes: script.scenes.map((scene) => ({
        scene,
        lines: script.narration.filter((line) => line.scene === scene.index && !line.card),
      })),
    };
    dirty = false;
    serverEstimate.textContent = `(server: ${formatSeconds(answer.estimated_seconds)})`;
    renderBody();
    updateEstimate();
  }

  function changed() {
    dirty = true;
    saveButton.textContent = "Save changes";
    updateEstimate();
  }

  function updateEstimate() {
    const seconds = estimateSeconds(currentLines(), draft.script.words_per_second);
    estimate.textContent = `≈ ${formatSeconds(seconds)}`;
    estimate.dataset.seconds = seconds.toFixed(1);
  }

  function currentLines() {
    const cards = draft.script.narration.filter((line) => line.card);
    return [...cards, ...draft.scenes.flatMap((entry) => entry.lines)];
  }

  function text(labelText, value, onInput, { multiline = false, rows = 2, maxlength } = {}) {
    const control = multiline
      ? h("textarea", { rows, maxlength, value })
      : h("input", { type: "text", value, maxlength, autocomplete: "off" });
    control.addEventListener("input", () => { onInput(control.value); changed(); });
    return field(labelText, control);
  }

  function renderBody() {
    const script = draft.script;
    const titleCards = script.narration.filter((line) => line.card);
    replace(body,
      h("div", { class: "grid" },
        text("Title", script.title, (v) => { script.title = v; }, { maxlength: 120 }),
        text("Tagline", script.tagline, (v) => { script.tagline = v; })),
      text("Logline", script.logline, (v) => { script.logline = v; }, { multiline: true }),
      titleCards.map((line) => text("Title card line", line.text,
        (v) => { line.text = v; line.marked = v; }, { maxlength: 300 })),
      h("h3", {}, "Cast"),
      h("ul", { class: "cast" }, script.characters.map((character) => h("li", {},
        text(`Name (${character.role})`, character.name, (v) => { character.name = v; }),
        text(`How ${character.name || "they"} look${character.name ? "s" : ""}`,
          (script.bible.characters || {})[character.id] || character.description || "",
          (v) => { script.bible.characters[character.id] = v; },
          { multiline: true, rows: 2 })))),
      h("h3", {}, "Scenes"),
      scenesList);
    renderScenes();
  }

  function renderScenes() {
    const locations = draft.script.locations.map((loc) => [loc.id, loc.name]);
    scenesList.replaceChildren();
    draft.scenes.forEach((entry, position) => {
      const { scene } = entry;
      const number = String(position + 1).padStart(2, "0");
      const label = `scene ${number}`;
      if (!entry.lines.length) entry.lines.push(newLine(scene, ""));
      const location = select(locations, scene.location);
      location.addEventListener("change", () => { scene.location = location.value; changed(); });
      const time = select(TIMES, scene.time_of_day);
      time.addEventListener("change", () => { scene.time_of_day = time.value; changed(); });
      const act = select(ACTS, scene.act);
      act.addEventListener("change", () => {
        scene.act = act.value;
        for (const line of entry.lines) line.act = act.value;
        changed();
      });
      scenesList.append(h("li", { class: "scene-card", dataset: { scene: number } },
        h("div", { class: "card-head" },
          h("h4", {}, `Scene ${number}`),
          h("div", { class: "card-actions" },
            button("↑", () => move(position, -1), { class: "ghost icon",
              "aria-label": `Move ${label} up`, disabled: position === 0 }),
            button("↓", () => move(position, 1), { class: "ghost icon",
              "aria-label": `Move ${label} down`, disabled: position === draft.scenes.length - 1 }),
            button("Insert after", () => insertAfter(position), { class: "ghost",
              "aria-label": `Insert a scene after ${label}` }),
            button("Delete", () => remove(position), { class: "ghost danger",
              "aria-label": `Delete ${label}`, disabled: draft.scenes.length === 1 }))),
        entry.lines.map((line, i) => text(
          entry.lines.length > 1 ? `Narration line ${i + 1}` : "Narration line", line.text,
          (v) => { line.text = v; line.marked = v; }, { multiline: true, maxlength: 300 })),
        text("Visual description", scene.summary, (v) => { scene.summary = v; },
          { multiline: true, rows: 3 }),
        h("div", { class: "grid four" },
          field("Location", location), field("Time of day", time),
          text("Mood", scene.mood, (v) => { scene.mood = v; }), field("Act", act))));
    });
  }

  function newLine(scene, value) {
    return { index: 0, act: scene.act, scene: scene.index, card: null, text: value,
             marked: value, pause_after: DEFAULT_PAUSE };
  }

  function move(position, step) {
    const [entry] = draft.scenes.splice(position, 1);
    draft.scenes.splice(position + step, 0, entry);
    changed();
    renderScenes();
    focusCardButton(position + step, step < 0 ? 0 : 1);
  }

  function insertAfter(position) {
    const model = draft.scenes[position].scene;
    const index = Math.max(...draft.scenes.map((e) => e.scene.index)) + 1;
    const scene = { index, summary: "", text: "", characters: [], location: model.location,
                    time_of_day: model.time_of_day, mood: model.mood, act: model.act };
    draft.scenes.splice(position + 1, 0, { scene, lines: [newLine(scene, "")] });
    changed();
    renderScenes();
    const card = scenesList.children[position + 1];
    card.querySelector("textarea").focus();
  }

  function remove(position) {
    draft.scenes.splice(position, 1);
    changed();
    renderScenes();
    focusCardButton(Math.min(position, draft.scenes.length - 1), 2);
  }

  function focusCardButton(position, which) {
    const card = scenesList.children[position];
    if (!card) return;
    const buttons = [...card.querySelectorAll(".card-actions button")];
    const target = buttons[which] && !buttons[which].disabled ? buttons[which]
      : buttons.find((b) => !b.disabled);
    if (target) target.focus();
  }

  /** The script as the form says: scenes renumbered in screen order, their lines in the
   * same order in the narration (title-card lines keep their places), acts rebuilt. */
  function edited() {
    const script = structuredClone(draft.script);
    const renumber = new Map();
    const scenes = draft.scenes.map((entry, position) => {
      renumber.set(entry.scene.index, position);
      return { ...structuredClone(entry.scene), index: position };
    });
    const sceneLines = draft.scenes.flatMap((entry, position) => entry.lines
      .filter((line) => line.text.trim())
      .map((line) => ({ ...line, text: line.text.trim(), scene: position,
                        act: entry.scene.act })));
    const narration = [];
    let next = 0;
    for (const line of draft.script.narration) {
      if (line.card) narration.push({ ...line });
      else if (next < sceneLines.length) narration.push(sceneLines[next++]);
    }
    narration.push(...sceneLines.slice(next));
    narration.forEach((line, i) => { line.index = i; });
    const actNames = [...new Set([...script.acts.map((a) => a.name), ...scenes.map((s) => s.act)])];
    script.scenes = scenes;
    script.narration = narration;
    script.acts = actNames.map((name) => ({ name, scenes: scenes
      .filter((s) => s.act === name).map((s) => s.index) }));
    return script;
  }

  async function save() {
    try {
      const answer = await api(`${ctx.path}/script`, { method: "PUT",
        json: { revision: view.revision, script: edited() } });
      showInfo(`Saved. The narration gives about ${formatSeconds(answer.estimated_seconds)}.`);
      saveButton.textContent = "Save";
      show(answer);
      return answer;
    } catch (err) {
      ctx.fail(err);
      return null;
    }
  }

  async function approve() {
    let revision = view.revision;
    if (dirty) {
      const answer = await save();
      if (!answer) return;
      revision = answer.revision;
    }
    try {
      ctx.accepted(await api(`${ctx.path}/approve`, { method: "POST",
        json: { review: "script", revision } }));
      showInfo("Script approved: the voice and the storyboard are being made.");
    } catch (err) {
      ctx.fail(err);
    }
  }

  load();
  return { dispose() { disposed = true; } };
}
