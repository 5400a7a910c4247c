// New trailer: a story file (dropped or chosen) or a typed idea, the settings, and which
// reviews to stop at.

import { api } from "./api.js";
import { field, h, replace, select } from "./dom.js";
import { showError } from "./notice.js";

const ACCEPT = ".pdf,.docx,.md,.markdown,.txt,.text,.fountain,.spmd";

export function newTrailer(main) {
  const file = h("input", { type: "file", accept: ACCEPT });
  const chosen = h("span", { class: "chosen", "aria-live": "polite" });
  const drop = h("div", { class: "dropzone" },
    h("p", {}, "Drop a story here: PDF, DOCX, Markdown, text or Fountain"),
    field("Story file", file), chosen);
  const text = h("textarea", { rows: 4, maxlength: 200000,
    placeholder: "A lighthouse keeper finds a message in a bottle that is addressed to her." });
  const kindIdea = h("input", { type: "radio", name: "kind", value: "idea", checked: true,
                                id: "kind-idea" });
  const kindSynopsis = h("input", { type: "radio", name: "kind", value: "synopsis",
                                    id: "kind-synopsis" });
  const title = h("input", { type: "text", maxlength: 120, autocomplete: "off" });
  const duration = h("input", { type: "number", min: 15, max: 600, step: 1, value: "60",
                                required: true });
  const aspect = select([["16:9", "16:9 landscape"], ["9:16", "9:16 vertical"],
                         ["1:1", "1:1 square"]], "16:9");
  const grade = select([["bw", "Black and white"], ["color", "Colour"]], "bw");
  const quality = select([["final", "Final"], ["draft", "Draft (quick preview)"]], "final");
  const voice = h("input", { type: "text", maxlength: 500, autocomplete: "off",
                             placeholder: "default voice" });
  const seed = h("input", { type: "number", min: 0, max: 2147483647, step: 1, value: "0",
                            required: true });
  const reviewScript = h("input", { type: "checkbox", id: "review-script", checked: true });
  const reviewStoryboard = h("input", { type: "checkbox", id: "review-storyboard",
                                        checked: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Make the trailer");

  function setFile(files) {
    if (files && files.length) {
      const transfer = new DataTransfer();
      transfer.items.add(files[0]);
      file.files = transfer.files;
    }
    chosen.textContent = file.files.length ? `Chosen: ${file.files[0].name}` : "";
  }
  file.addEventListener("change", () => setFile());
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    setFile(event.dataTransfer.files);
  });

  const form = h("form", { class: "page new-trailer", "aria-labelledby": "new-title" },
    h("h1", { id: "new-title" }, "New trailer"),
    h("fieldset", {},
      h("legend", {}, "The story"),
      drop,
      h("p", { class: "or" }, "or"),
      field("Type an idea or paste a synopsis", text),
      h("div", { class: "radios", role: "radiogroup", "aria-label": "What the text is" },
        h("label", { for: "kind-idea" }, kindIdea, " An idea (a sentence or two)"),
        h("label", { for: "kind-synopsis" }, kindSynopsis, " A synopsis (the story itself)"))),
    h("fieldset", { class: "grid" },
      h("legend", {}, "The trailer"),
      field("Title (optional)", title),
      field("Duration (seconds)", duration, "15 to 600"),
      field("Primary aspect", aspect),
      field("Grade", grade),
      field("Quality", quality),
      field("Voice (optional)", voice),
      field("Seed", seed, "the same seed makes the same pictures")),
    h("fieldset", {},
      h("legend", {}, "Stop for my review"),
      h("label", { for: "review-script", class: "check" }, reviewScript,
        " Script: before any voice or picture is made"),
      h("label", { for: "review-storyboard", class: "check" }, reviewStoryboard,
        " Storyboard: before the video is made")),
    h("div", { class: "actions" }, submit));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const settings = {
      duration: Number(duration.value),
      aspect: aspect.value,
      grade: grade.value,
      quality: quality.value,
      seed: Number(seed.value),
      review: [reviewScript.checked && "script", reviewStoryboard.checked && "storyboard"]
        .filter(Boolean),
    };
    if (title.value.trim()) settings.title = title.value.trim();
    if (voice.value.trim()) settings.voice = voice.value.trim();
    let request;
    if (file.files.length) {
      const body = new FormData();
      body.append("file", file.files[0]);
      body.append("settings", JSON.stringify(settings));
      request = { method: "POST", form: body };
    } else if (text.value.trim()) {
      const kind = kindSynopsis.checked ? "synopsis" : "idea";
      request = { method: "POST", json: { [kind]: text.value.trim(), settings } };
    } else {
      showError("choose a story file or type an idea first");
      text.focus();
      return;
    }
    submit.disabled = true;
    try {
      const created = await api("/v1/jobs", request);
      location.hash = `#/jobs/${created.id}`;
    } catch (err) {
      showError(err.message);
      submit.disabled = false;
    }
  });

  replace(main, form);
  return { dispose() {} };
}
