// One place for messages: the server's error message, or what just happened.

import { h, replace } from "./dom.js";

const notice = () => document.getElementById("notice");

export function showError(message) {
  show(message, "error");
}

export function showInfo(message) {
  show(message, "info");
}

function show(message, kind) {
  const el = notice();
  el.className = `notice ${kind}`;
  replace(el, h("span", { class: "notice-text" }, message),
    h("button", { type: "button", class: "ghost", "aria-label": "Dismiss message",
                  onclick: clearNotice }, "×"));
  el.hidden = false;
}

export function clearNotice() {
  const el = notice();
  el.hidden = true;
  el.replaceChildren();
}
