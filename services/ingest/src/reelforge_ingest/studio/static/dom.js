// Building the page. Text from the server or the user only ever becomes a text node
// (children strings) or a property value: never HTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      el.className = value;
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name === "value" || name === "checked" || name === "selected" ||
               name === "disabled" || name === "hidden" || name === "multiple") {
      el[name] = value;
    } else if (name === "src" || name === "href") {
      el.setAttribute(name, safeUrl(value));
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Only web addresses: a `javascript:` URL in data never reaches an attribute. */
export function safeUrl(url) {
  const parsed = new URL(String(url), location.href);
  return ["http:", "https:", "blob:"].includes(parsed.protocol) ? parsed.href : "about:blank";
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let fieldCounter = 0;

/** A labelled control: <label for> + the control, wrapped in a .field. */
export function field(labelText, control, hint) {
  if (!control.id) control.id = `f${++fieldCounter}`;
  const parts = [h("label", { for: control.id }, labelText), control];
  if (hint) {
    const hintEl = h("small", { id: `${control.id}-hint`, class: "hint" }, hint);
    control.setAttribute("aria-describedby", hintEl.id);
    parts.push(hintEl);
  }
  return h("div", { class: "field" }, parts);
}

export function select(options, value, attrs = {}) {
  return h("select", attrs, options.map(([v, label]) =>
    h("option", { value: v, selected: v === value }, label)));
}

export function button(label, onclick, attrs = {}) {
  return h("button", { type: "button", onclick, ...attrs }, label);
}

export function formatSeconds(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

export function formatBytes(bytes) {
  if (!bytes && bytes !== 0) return "";
  const units = ["B", "KB", "MB", "GB"];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) { size /= 1024; unit += 1; }
  return `${size.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

export function formatDate(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function statusBadge(status, awaiting) {
  const text = status === "awaiting_review" && awaiting ? `awaiting ${awaiting} review`
    : status.replaceAll("_", " ");
  return h("span", { class: `badge status-${status}` }, text);
}
