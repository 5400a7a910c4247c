// What the storyboard review and the result share: the scenes, the camera moves, and the
// per-scene edits (a new frame, a variant, a new clip, a line, a camera move, a trim).

import { api } from "./api.js";
import { h } from "./dom.js";

export const CAMERAS = ["push_in", "pull_out", "pan_left", "pan_right", "tilt_up", "tilt_down",
  "drift", "parallax"].map((move) => [move, move.replace("_", " ")]);

/** The camera choices for a scene: its own move, or the shot plan's while none is chosen. */
export function cameraOptions(current) {
  return current ? CAMERAS : [["", "as the shot plan says"], ...CAMERAS];
}

export function newSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0] % 2147483647;
}

export function sceneEdits(ctx) {
  const base = (number) => `${ctx.path}/scenes/${encodeURIComponent(number)}`;
  return {
    load: () => api(`${ctx.path}/scenes`),
    patch: (number, revision, change) => api(base(number), { method: "PATCH",
      json: { revision, ...change } }),
    frame: (number, revision, change) => api(`${base(number)}/frame`, { method: "POST",
      json: { revision, ...change } }),
    pick: (number, variant, revision) => api(`${base(number)}/variants/${variant}`,
      { method: "POST", json: { revision } }),
    clip: (number, revision) => api(`${base(number)}/clip`, { method: "POST",
      json: { revision, seed: newSeed() } }),
  };
}

export function frameImage(scene, alt) {
  return scene.frame && scene.frame.thumb_url
    ? h("img", { src: scene.frame.thumb_url, alt, class: "thumb", loading: "lazy" })
    : h("div", { class: "thumb placeholder" }, "frame not made yet");
}
