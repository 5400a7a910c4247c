// The visual bible at the storyboard review: a reference picture of each main character and
// location, with a new picture, the user's own upload, and the variants to pick from. Image
// models that take reference pictures are sent the chosen ones with every frame.

import { api } from "./api.js";
import { button, h, replace } from "./dom.js";
import { newSeed } from "./scenes.js";

const PICTURE_TYPES = "image/png,image/jpeg,image/webp";

export function visualBible(ctx, run) {
  const list = h("ul", { class: "bible-list", "aria-label": "Reference pictures" });
  const section = h("section", { class: "bible", "aria-labelledby": "bible-title" },
    h("h3", { id: "bible-title" }, "Visual bible"),
    h("p", { class: "muted" }, "One picture per main character and location. Image models " +
      "that take reference pictures are sent these with every frame, so faces and places " +
      "stay the same; the offline renderer draws from the script's descriptions instead."),
    list);
  let shown = "";

  const base = (ref) => `${ctx.path}/references/${ref.kind}/${encodeURIComponent(ref.subject)}`;

  function render(view, revision) {
    const json = JSON.stringify(view.references);
    if (json === shown) return;
    shown = json;
    section.hidden = view.references.length === 0;
    replace(list, view.references.map((ref) => card(ref, revision)));
  }

  function card(ref, revision) {
    const upload = h("input", { type: "file", accept: PICTURE_TYPES, hidden: true,
      "aria-label": `Picture of ${ref.title} to upload`, dataset: { upload: ref.name } });
    upload.addEventListener("change", () => {
      const file = upload.files && upload.files[0];
      if (file) run(() => api(`${base(ref)}/upload?revision=${revision()}`,
        { method: "POST", file }), `${ref.title}: your picture is used from now on.`);
    });
    return h("li", { class: "bible-card", dataset: { reference: ref.name } },
      h("figure", {},
        ref.picture && ref.picture.thumb_url
          ? h("img", { src: ref.picture.thumb_url, alt: `Reference picture of ${ref.title}`,
            class: "thumb" })
          : h("div", { class: "thumb placeholder" }, "not made yet"),
        h("figcaption", {}, h("strong", {}, ref.title), " ",
          h("span", { class: "muted" }, ref.kind))),
      h("div", { class: "card-actions" },
        button("New picture", () => run(() => api(base(ref), { method: "POST",
          json: { revision: revision(), seed: newSeed() } }),
        `${ref.title}: a new picture is being made.`),
        { "aria-label": `New reference picture of ${ref.title}` }),
        button("Upload your own", () => upload.click(), { class: "ghost",
          "aria-label": `Upload your own picture of ${ref.title}` }),
        upload),
      variantPicker(ref, revision));
  }

  function variantPicker(ref, revision) {
    if (!ref.variants || ref.variants.length < 2) return null;
    return h("fieldset", { class: "variants" },
      h("legend", {}, `Pictures of ${ref.title}`),
      h("ul", {}, ref.variants.map((variant) => h("li", {},
        h("button", { type: "button", class: variant.chosen ? "variant chosen" : "variant",
          "aria-pressed": variant.chosen ? "true" : "false",
          "aria-label": `Use picture ${variant.number} of ${ref.title}` +
            (variant.uploaded ? " (your upload)" : ""),
          onclick: () => variant.chosen ? null : run(() => api(
            `${base(ref)}/variants/${variant.number}`, { method: "POST",
              json: { revision: revision() } }),
          `${ref.title}: picture ${variant.number} chosen.`) },
          variant.thumb_url ? h("img", { src: variant.thumb_url, alt: "" })
            : h("span", { class: "placeholder" }, "…"),
          h("span", {}, variant.uploaded ? "yours" : `#${variant.number}`))))));
  }

  return {
    section,
    load: () => api(`${ctx.path}/references`),
    render,
  };
}
