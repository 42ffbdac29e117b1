// shotcraft review: keys, touch, live updates and synced players. No libraries, no build step.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const page = document.body.dataset.page;
const token = ($('meta[name="shotcraft-token"]') || {}).content || "";

// -- talking to the server ------------------------------------------------------------

let statusTimer = 0;
function say(text, error = false) {
  const box = $("#status");
  box.textContent = text;  // text, never HTML: sentences may quote the script
  box.classList.toggle("error", error);
  box.classList.add("shown");
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => box.classList.remove("shown"), error ? 6000 : 2500);
}

async function post(action, body) {
  if (!token) { say("This review link is read-only.", true); return null; }
  let answer;
  try {
    const response = await fetch(`/api/${action}`, {
      method: "POST", credentials: "same-origin",
      headers: { "content-type": "application/json", "x-shotcraft-token": token },
      body: JSON.stringify(body),
    });
    answer = await response.json().catch(() => ({ error: `the server answered ${response.status}` }));
    if (!response.ok) { say(answer.error || `refused (${response.status})`, true); return null; }
  } catch (err) {
    say("The review server cannot be reached; is `shotcraft review` still running?", true);
    return null;
  }
  if (answer.message) say(answer.message);
  if (action !== "plan") refresh();
  return answer;
}

// -- live updates: reload what changed, never a video that is playing -----------------

const playing = (el) => $$("video", el).some((v) => !v.paused && !v.ended);
let refreshing = false, again = false, refreshTimer = 0;

function refreshSoon() { clearTimeout(refreshTimer); refreshTimer = setTimeout(refresh, 150); }
// a card with a playing video is left as it is; look again in a while
function waitForIdle() { clearTimeout(refreshTimer); refreshTimer = setTimeout(refresh, 2000); }

async function refresh() {
  if (refreshing) { again = true; return; }
  refreshing = true;
  try {
    const response = await fetch(location.href, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    merge(fresh);
  } catch (err) { /* the next change or reconnect tries again */ }
  finally {
    refreshing = false;
    if (again) { again = false; refreshSoon(); }
  }
}

function merge(fresh) {
  if (page === "episode" || page === "compare") {  // players hold state: reload when idle
    const block = $("[data-live]"), next = $("[data-live]", fresh);
    if (block && next && block.dataset.sig !== next.dataset.sig) {
      if (playing($("#main"))) waitForIdle(); else location.reload();
    }
    return;
  }
  const lists = $$("[data-live-list]"), freshLists = $$("[data-live-list]", fresh);
  const names = (all) => all.map((el) => el.dataset.liveList).join("|");
  if (names(lists) !== names(freshLists)) {  // scenes came or went: the whole page, if nothing plays
    if (playing($("#main"))) { waitForIdle(); return; }
    $("#main").replaceWith(document.adoptNode($("#main", fresh)));
    settle();
    return;
  }
  for (const block of $$("[data-live]")) {
    const next = $(`[data-live="${block.dataset.live}"]`, fresh);
    if (next && next.dataset.sig !== block.dataset.sig) {
      if (playing(block)) { waitForIdle(); continue; }
      block.replaceWith(document.adoptNode(next));
    }
  }
  for (const list of lists) {
    const next = $(`[data-live-list="${list.dataset.liveList}"]`, fresh);
    const have = new Map([...list.children].map((el) => [el.dataset.key, el]));
    const wanted = [...next.children];
    const wantedKeys = new Set(wanted.map((el) => el.dataset.key));
    for (const [key, el] of have) if (!wantedKeys.has(key)) el.remove();
    let before = null;
    for (let i = wanted.length - 1; i >= 0; i--) {  // from the end: each goes before the one after it
      const item = wanted[i], old = have.get(item.dataset.key);
      if (old && old.isConnected) {
        if (old.dataset.sig !== item.dataset.sig) {
          if (patch(old, item)) { before = old; continue; }
          if (playing(old)) { waitForIdle(); } else {
            const focused = old.contains(document.activeElement);
            const node = document.adoptNode(item);
            old.replaceWith(node);
            if (focused) (node.matches("[tabindex]") ? node : $("a, [tabindex]", node) || node).focus();
            before = node;
            continue;
          }
        }
        before = old;
      } else {
        const node = document.adoptNode(item);
        list.insertBefore(node, before);
        before = node;
      }
    }
  }
  settle();
}

// a card whose video is the same file keeps its <video> (and its play head): everything
// around it is brought up to date
function patch(old, item) {
  const video = $("video", old), fresh = $("video", item);
  if (!video || !fresh || video.getAttribute("src") !== fresh.getAttribute("src")) return false;
  for (const { name, value } of [...item.attributes]) old.setAttribute(name, value);
  for (const part of [...item.children]) {
    const mine = [...old.children].find((c) => c.className === part.className);
    if (!mine) { old.append(document.adoptNode(part)); continue; }
    if (mine.contains(video)) {
      const badges = $(".badges", mine), freshBadges = $(".badges", part);
      if (badges && freshBadges) badges.replaceWith(document.adoptNode(freshBadges));
    } else mine.replaceWith(document.adoptNode(part));
  }
  if (old.contains(document.activeElement) || old === document.activeElement) old.classList.add("focused");
  return true;
}

function listen() {
  if (!window.EventSource) return;
  const events = new EventSource("/events");
  events.addEventListener("change", refreshSoon);
  events.addEventListener("draw", (e) => showDraw(JSON.parse(e.data)));
}

function showDraw(event) {
  const line = $("#draw-status");
  let text = event.message || "";
  if (event.kind === "progress" || event.kind === "started")
    text = `drawing ${event.shot_id} take ${event.take}: ${Math.round(event.fraction * 100)}% · ${event.finished}/${event.total} finished`;
  if (event.kind === "done") text = `${event.shot_id} take ${event.take} done · ${event.finished}/${event.total}`;
  if (event.kind === "finished") { say(text); refreshSoon(); }
  if (line && text) line.textContent = text;
}

// -- keys -----------------------------------------------------------------------------

const keyHandlers = {};
document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if ($("dialog[open]")) return;  // a dialog has its own keys
  if (e.target.closest("input, textarea, select")) return;
  if (e.key === "?") { $("#help").showModal(); e.preventDefault(); return; }
  const handler = keyHandlers[page];
  if (handler && handler(e) !== false) e.preventDefault();
});
document.addEventListener("click", (e) => {
  if (e.target.closest('[data-action="help"]')) $("#help").showModal();
});

function moveFocus(items, step) {
  if (!items.length) return null;
  const at = items.findIndex((el) => el === document.activeElement || el.contains(document.activeElement));
  const next = items[Math.max(0, Math.min(items.length - 1, at < 0 ? 0 : at + step))];
  next.focus();
  next.scrollIntoView({ block: "nearest" });
  return next;
}

// -- the storyboard grid --------------------------------------------------------------

keyHandlers.grid = (e) => {
  const covers = $$(".cover");
  if (e.key === "j" || e.key === "ArrowRight" || e.key === "ArrowDown") moveFocus(covers, 1);
  else if (e.key === "k" || e.key === "ArrowLeft" || e.key === "ArrowUp") moveFocus(covers, -1);
  else if (e.key === "e") { const cut = $(".cut-link"); if (cut) location.href = cut.href; }
  else return false;
};

// -- a shot's takes -------------------------------------------------------------------

const marked = [];
const takeOf = (el) => el && el.closest(".take");
const currentTake = () => takeOf(document.activeElement) || $(".take.focused") || $(".take");
const shotId = () => ($("[data-shot]") || {}).dataset?.shot;

function preview(card, on) {
  const video = card && $("video", card);
  if (!video) return;
  if (on) video.play().catch(() => {}); else if (video.muted) video.pause();
}

function toggleSound(video) {
  if (!video) return;
  video.muted = !video.muted;
  if (!video.muted) video.play().catch(() => {});
  say(video.muted ? "sound off" : "sound on");
}

function togglePlay(card) {
  const video = card && $("video", card);
  if (!video) return;
  if (video.paused) video.play().catch(() => {}); else video.pause();
}

function pickTake(number) {
  const card = $(`.take[data-take="${number}"]`);
  if (!card) { say(`There is no take ${number} here.`, true); return; }
  post("pick", { shot: shotId(), take: number });
}

function rejectTake(card) {
  if (!card || !token) return;
  const dialog = $("#reject");
  $('[data-slot="take"]', dialog).textContent = card.dataset.take;
  const reasons = $$(".reasons button", dialog);
  const keys = (e) => {
    const n = Number(e.key);
    if (n >= 1 && n <= reasons.length) { e.preventDefault(); dialog.close(reasons[n - 1].value); }
  };
  dialog.addEventListener("keydown", keys);
  dialog.addEventListener("close", () => {
    dialog.removeEventListener("keydown", keys);
    if (dialog.returnValue !== "cancel")
      post("reject", { shot: shotId(), take: Number(card.dataset.take), reason: dialog.returnValue || null });
  }, { once: true });
  dialog.returnValue = "cancel";
  dialog.showModal();
}

function markTake(card, on) {
  if (!card || !$("video", card)) return;
  const n = Number(card.dataset.take);
  const at = marked.indexOf(n);
  if (on === undefined) on = at < 0;
  if (on && at < 0) marked.push(n);
  if (!on && at >= 0) marked.splice(at, 1);
  const box = $('[data-action="mark"]', card);
  if (box) box.checked = on;
  const button = $('[data-action="compare"]');
  if (button) {
    button.disabled = !(marked.length === 2 || marked.length === 4);
    button.textContent = `Compare ${marked.join(" · ") || ""} (c)`;
  }
}

function openCompare() {
  if (marked.length === 2 || marked.length === 4)
    location.href = `/shot/${encodeURIComponent(shotId())}/compare?takes=${marked.join(",")}`;
  else say("Mark two or four takes to compare (c on each).");
}

async function drawMore() {
  const form = $('[data-action="draw-form"]');
  if (!form) { say("This review link is read-only.", true); return; }
  const takes = Number(form.takes.value) || 3;
  const answer = await post("plan", { shot: shotId(), takes });
  if (!answer) return;
  const dialog = $("#price");
  $('[data-slot="sentence"]', dialog).textContent = answer.sentence;
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "draw") post("draw", { shot: shotId(), takes });
  }, { once: true });
  dialog.returnValue = "cancel";
  dialog.showModal();
}

keyHandlers.shot = (e) => {
  const takes = $$(".take[data-take]");
  const card = currentTake();
  if (e.key === "j" || e.key === "ArrowRight" || e.key === "ArrowDown") moveFocus(takes, 1);
  else if (e.key === "k" || e.key === "ArrowLeft" || e.key === "ArrowUp") moveFocus(takes, -1);
  else if (e.key === " ") togglePlay(card);
  else if (e.key === "m") toggleSound(card && $("video", card));
  else if (/^[1-9]$/.test(e.key)) pickTake(Number(e.key));
  else if (e.key === "x") rejectTake(card);
  else if (e.key === "c") { if (marked.length >= 2 && marked.includes(Number(card?.dataset.take))) openCompare(); else markTake(card); }
  else if (e.key === "d") drawMore();
  else if (e.key === "[" || e.key === "]") {
    const link = $(`[data-key-nav="${e.key === "[" ? "previous" : "next"}"]`);
    if (link) location.href = link.href;
  } else if (e.key === "Escape") location.href = $(".crumbs a").href;
  else return false;
};

if (page === "shot") {
  document.addEventListener("pointerover", (e) => {
    const card = takeOf(e.target);
    if (card && !card.contains(e.relatedTarget)) preview(card, true);
  });
  document.addEventListener("pointerout", (e) => {
    const card = takeOf(e.target);
    if (card && !card.contains(e.relatedTarget)) preview(card, false);
  });
  document.addEventListener("focusin", (e) => {
    const card = takeOf(e.target);
    $$(".take.focused").forEach((el) => el !== card && el.classList.remove("focused"));
    if (card) { card.classList.add("focused"); preview(card, true); }
  });
  document.addEventListener("focusout", (e) => {
    const card = takeOf(e.target);
    if (card && !card.contains(e.relatedTarget)) preview(card, false);
  });
  document.addEventListener("click", (e) => {
    const action = e.target.closest("[data-action]")?.dataset.action;
    const card = takeOf(e.target);
    if (action === "pick" && card) post("pick", { shot: shotId(), take: Number(card.dataset.take) });
    else if (action === "reject") rejectTake(card);
    else if (action === "unreject" && card) post("unreject", { shot: shotId(), take: Number(card.dataset.take) });
    else if (action === "sound" && card) toggleSound($("video", card));
    else if (action === "compare") openCompare();
    else if (action === "mark" && card) markTake(card, e.target.checked);
    else if (e.target.matches(".take video")) togglePlay(card);  // touch: tap to play
  });
  document.addEventListener("submit", (e) => {
    if (e.target.matches('[data-action="draw-form"]')) { e.preventDefault(); drawMore(); }
  });
}

// -- compare: one play head for two or four players -----------------------------------

function setupCompare() {
  const videos = $$(".compare video");
  if (videos.length < 2) return;
  const [master, ...followers] = videos;
  const fps = Number($(".compare").dataset.fps) || 30;
  const frame = 1 / fps;
  const clock = $('[data-slot="clock"]'), scrub = $('[data-action="scrub"]'), toggle = $('[data-action="toggle"]');
  let running = false;

  const seekAll = (t) => Promise.all(videos.map((v) => new Promise((done) => {
    const end = Math.max(0, (v.duration || t) - frame / 2);
    v.addEventListener("seeked", done, { once: true });
    v.currentTime = Math.min(t, end);
    setTimeout(done, 1000);
  })));
  async function play() {
    videos.forEach((v) => v.pause());
    let t = master.currentTime;
    if (master.ended || t >= (master.duration || 0) - frame) t = 0;
    await seekAll(t);
    running = true;
    await Promise.all(videos.map((v) => v.play().catch(() => {})));
    toggle.textContent = "Pause (space)";
  }
  function pause() {
    running = false;
    videos.forEach((v) => { v.pause(); v.playbackRate = 1; });
    seekAll(master.currentTime);
    toggle.textContent = "Play (space)";
  }
  async function step(frames) {
    if (running) pause();
    const n = Math.round(master.currentTime * fps - 0.5) + frames;
    await seekAll(Math.max(0, (n + 0.5) * frame));
  }
  // followers chase the master: a nudge of the rate for small drift, a seek for large
  function follow() {
    if (running) {
      for (const v of followers) {
        if (v.paused || v.ended) continue;
        const drift = v.currentTime - master.currentTime;
        if (Math.abs(drift) > 2 * frame) v.currentTime = master.currentTime;
        else v.playbackRate = Math.abs(drift) > frame / 4 ? Math.min(1.1, Math.max(0.9, 1 - drift * 2)) : 1;
      }
    }
    clock.textContent = `${master.currentTime.toFixed(2)} s · frame ${Math.floor(master.currentTime * fps + 1e-6)}`;
    if (master.duration) scrub.value = String(Math.round(1000 * master.currentTime / master.duration));
    requestAnimationFrame(follow);
  }
  master.addEventListener("ended", () => { if (running) play(); });
  requestAnimationFrame(follow);
  scrub.addEventListener("input", () => { if (running) pause(); seekAll((Number(scrub.value) / 1000) * (master.duration || 0)); });
  document.addEventListener("click", (e) => {
    const action = e.target.closest("[data-action]")?.dataset.action;
    if (action === "toggle") running ? pause() : play();
    else if (action === "step") step(1);
    else if (action === "step-back") step(-1);
    else if (action === "sound") toggleSound(master);
  });
  keyHandlers.compare = (e) => {
    if (e.key === " ") running ? pause() : play();
    else if (e.key === ".") step(1);
    else if (e.key === ",") step(-1);
    else if (e.key === "m") toggleSound(master);
    else if (/^[1-4]$/.test(e.key)) {
      const player = $$(".player")[Number(e.key) - 1];
      if (player) post("pick", { shot: shotId(), take: Number(player.dataset.take) });
    } else if (e.key === "Escape") location.href = $('[data-key-nav="back"]').href;
    else return false;
  };
  window.shotcraftCompare = { play, pause, step, videos };
}

// -- the episode's cut ----------------------------------------------------------------

function setupCut() {
  const data = JSON.parse($("#cut-data").textContent);
  const video = $(".cut-screen video"), slate = $(".cut-screen .slate"), caption = $(".caption");
  const clock = $('[data-slot="clock"]'), where = $('[data-slot="shot"]'), toggle = $('[data-action="toggle"]');
  const total = data.clips.reduce((sum, c) => sum + c.length, 0);
  let index = 0, running = false, heldSince = 0, held = 0;

  function now() {
    const clip = data.clips[index];
    if (!clip) return total;
    if (clip.src && !clip.still) return clip.start + Math.max(0, video.currentTime - clip.offset);
    return clip.start + held + (running && heldSince ? (performance.now() - heldSince) / 1000 : 0);
  }
  function show(i) {
    index = Math.max(0, Math.min(data.clips.length - 1, i));
    const clip = data.clips[index];
    held = 0; heldSince = running ? performance.now() : 0;
    where.textContent = `${clip.shot}${clip.take ? ` · take ${clip.take}` : ""}${clip.source === "picked" ? "" : ` (${clip.source})`}`;
    if (clip.src && !clip.still) {
      slate.hidden = true; video.hidden = false;
      video.src = clip.src;
      video.addEventListener("loadedmetadata", () => {
        video.currentTime = clip.offset;
        if (running) video.play().catch(() => {});
      }, { once: true });
    } else {
      video.pause(); video.hidden = true; slate.hidden = false;
      slate.replaceChildren();
      if (clip.still) {
        const img = document.createElement("img");
        img.src = clip.src.replace(/\/original$/, "/poster").replace(/\/proxy$/, "/poster");
        img.alt = clip.shot;
        slate.append(img);
      } else slate.textContent = `${clip.shot}\n${clip.action || "no take yet"}`;
    }
  }
  function tick() {
    const clip = data.clips[index];
    const t = now();
    if (running && clip && t >= clip.start + clip.length - 0.02) {
      if (index + 1 < data.clips.length) show(index + 1);
      else { running = false; toggle.textContent = "Play (space)"; video.pause(); }
    }
    const cue = data.cues.find((c) => c.start <= t && t < c.end);
    caption.textContent = cue ? cue.text : "";
    clock.textContent = `${t.toFixed(1)} / ${total.toFixed(1)} s`;
    requestAnimationFrame(tick);
  }
  function play() {
    if (index === data.clips.length - 1 && now() >= total - 0.05) show(0);
    running = true; heldSince = performance.now();
    if (!video.hidden) video.play().catch(() => {});
    toggle.textContent = "Pause (space)";
  }
  function pause() {
    if (heldSince) held += (performance.now() - heldSince) / 1000;
    running = false; heldSince = 0; video.pause();
    toggle.textContent = "Play (space)";
  }
  video.addEventListener("ended", () => { if (running && index + 1 < data.clips.length) show(index + 1); });
  document.addEventListener("click", (e) => {
    const action = e.target.closest("[data-action]")?.dataset.action;
    if (action === "toggle") running ? pause() : play();
    else if (action === "sound") toggleSound(video);
  });
  keyHandlers.episode = (e) => {
    if (e.key === " ") running ? pause() : play();
    else if (e.key === "j" || e.key === "ArrowRight") show(index + 1);
    else if (e.key === "k" || e.key === "ArrowLeft") show(index - 1);
    else if (e.key === "m") toggleSound(video);
    else if (e.key === "g") location.href = $(".cut-link").href;
    else return false;
  };
  if (data.clips.length) show(0);
  requestAnimationFrame(tick);
}

// after the page (or a live update) lands
function settle() {
  if (page === "shot") marked.forEach((n) => markTake($(`.take[data-take="${n}"]`), true));
}

if (page === "compare") setupCompare();
if (page === "episode") setupCut();
listen();
