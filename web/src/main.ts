// The annotator's loop in the browser: sign in, pick a project, Next, draw on
// the pre-label, Submit; the label waits in IndexedDB until the selector has it.

import { AgreementPanel } from "./agreement";
import { LookAhead, Starting, startingLabel } from "./ahead";
import {
  Api, ApiError, Finding, NetworkError, RawArray, SampleMeta, SampleView, leasedView, narrowed, readArray, readView,
} from "./api";
import { ClassPalette, NO_CLASSES, ObjectPlace, labelClasses, objectPlaces } from "./classes";
import { autoWindow, channels, range, render } from "./contrast";
import { LabelImage } from "./labels";
import { PalettePanel } from "./palette";
import { StoredLabel, draftKey, labelStore, submits } from "./pending";
import { onPress } from "./press";
import { View } from "./view";

type Tool = "brush" | "eraser" | "lasso" | "fill" | "click" | "select";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const RETRY_MS = [2000, 4000, 8000, 15000, 30000];
// A lasso is a drag longer than this on screen; anything shorter is a tap that adds a polygon point,
// and a tap this close to the first point closes the polygon.
const DRAG_PX = 10, CLOSE_PX = 22;
// More captions than this would hide the image.
const MAX_CAPTIONS = 400;

const state = {
  api: new Api(""),
  annotator: "",
  projects: new Map<string, { lease_seconds: number }>(),
  sample: null as SampleMeta | null,
  label: null as LabelImage | null,
  imageCanvas: document.createElement("canvas"),
  raw: null as RawArray | null,
  tool: "brush" as Tool,
  negative: false,
  forceNew: false,
  brushId: 0,
  last: null as [number, number] | null,
  segment: null as { id: number; clicks: [number, number, boolean][]; asked: number } | null,
  polygon: [] as [number, number][],
  drag: null as [number, number][] | null,
  reviewing: false,
  reviewedUpTo: 0,
  lastReview: null as null | { sample_id: number; review: string; label_version: number },
  // Milliseconds from pressing Next to the image, and to the label to start from, on screen; and on the way to
  // the image: its answer's headers, its body, its pixels ready (from Next), and the gateway's steps.
  nextPressed: 0,
  timings: {} as { next_to_image_ms?: number; next_to_prelabel_ms?: number; next_to_headers_ms?: number;
                   next_to_body_ms?: number; next_to_pixels_ms?: number; server?: Record<string, number> },
  findings: [] as Finding[],
  inspectedRevision: -1,
  startedFrom: "none",
  startRevision: 0,
  renewTimer: 0,
  retryTimer: 0,
  sending: false,
  lastStored: null as null | { sample_id: number; version: number; shape: number[]; values: number[];
                              classes?: StoredLabel["classes"] },
  // The label's classes (a project with classes), and where each of its objects lies.
  palette: new ClassPalette(),
  places: new Map<number, ObjectPlace>(),
};

const ahead = new LookAhead(() => state.api, () => state.annotator);

function status(text: string, error = false): void {
  const line = $("status");
  line.textContent = text;
  line.classList.toggle("error", error);
}

function explain(error: unknown): string {
  if (error instanceof ApiError || error instanceof NetworkError) return error.message;
  return String(error);
}

// -- drawing -------------------------------------------------------------------

const view = new View($("canvas-area"), {
  start(row, col, pressure) {
    const label = state.label;
    if (!label) return;
    if (state.tool === "click") {
      addClick(row, col);
      return;
    }
    endSegment();
    if (state.tool === "select") {
      selectAt(row, col);
      return;
    }
    if (state.tool === "lasso") {
      state.drag = [[row, col]];
      return;
    }
    if (state.tool === "fill") {
      fillAt(row, col);
      return;
    }
    state.brushId = state.tool === "eraser" ? 0 : objectAt(row, col, label);
    label.begin();
    label.stamp(row, col, radius(pressure), state.brushId);
    state.last = [row, col];
    drawn();
  },
  move(row, col, pressure) {
    const label = state.label;
    if (state.drag) {
      state.drag.push([row, col]);
      view.path = [...state.polygon, ...state.drag];
      view.redrawMarks();
      return;
    }
    if (!label || !state.last || state.tool === "click") return;
    label.line(state.last[0], state.last[1], row, col, radius(pressure), state.brushId);
    state.last = [row, col];
    drawn();
  },
  end() {
    if (state.drag) {
      lassoEnd(state.drag);
      state.drag = null;
      return;
    }
    if (!state.label || !state.last) return;
    state.label.end();
    state.last = null;
    changed(false);
    saveDraft();
  },
  cancel() {
    state.drag = null;
    view.path = state.polygon;
    if (!state.label || !state.last) return;
    state.label.cancel();
    state.last = null;
    changed();
  },
});

function radius(pressure: number): number {
  const size = Number($<HTMLInputElement>("size").value);
  return (size / 2) * (0.3 + 1.4 * pressure);
}

/** Show what a stroke changed in the next frame: the overlay's changed box alone, nothing else counted. */
function drawn(): void {
  view.redrawOverlay();
}

/** After a change: the buttons and the footer, and the top canvas (``marks``: all of it; else the label's changes). */
function changed(marks = true): void {
  const label = state.label;
  if (showClasses() || marks) view.redrawMarks();
  else view.redrawOverlay();
  $<HTMLButtonElement>("undo").disabled = !label?.canUndo;
  $<HTMLButtonElement>("redo").disabled = !label?.canRedo;
  const id = state.segment ? state.segment.id : state.brushId;
  $("object").textContent = label ? `object ${id || "-"} · ${label.objectCount()} objects` : "";
}

// -- classes -------------------------------------------------------------------------

const palettePanel = new PalettePanel(state.palette, () => { changed(); saveDraft(); }, leastSure);

/** New objects take the current class (the newest becomes selected with ``select``); the overlay, the
 * captions and the palette show the label's classes. False for a project without object classes. */
function showClasses(select = true): boolean {
  const { label, palette } = state;
  if (!label || !palette.hasObjectClasses) {
    palettePanel.show(new Set());
    return false;
  }
  state.places = objectPlaces(label.data, label.width);
  palette.appeared(state.places.keys(), select);
  label.recolour((id) => palette.colourOf(id));
  view.captions = state.places.size > MAX_CAPTIONS ? [] : [...state.places].map(([id, place]) => (
    { row: place.row, col: place.col, text: palette.caption(id), box: id === palette.selected ? place.box : undefined }));
  palettePanel.show(new Set(state.places.keys()));
  return true;
}

/** The class click-to-segment asks for: the object's (the current class for a new one); "" without classes. */
function objectClass(id: number): string {
  return state.palette.hasObjectClasses ? state.palette.classOf(id) : "";
}

/** The select tool: the tapped object (none on background) is the one a class button re-classes. */
function selectAt(row: number, col: number): void {
  if (!state.label || !state.palette.hasObjectClasses) return;
  state.palette.selected = state.label.at(Math.floor(row), Math.floor(col));
  changed();
}

/** Select and zoom to the least confident guess not yet decided. */
function leastSure(): void {
  const found = state.palette.leastSure(new Set(state.places.keys()));
  if (!found) {
    status("Every class guess is decided: Submit stores them");
    return;
  }
  view.focus(state.places.get(found)!.box);
  changed();
}

function selectTool(tool: Tool): void {
  endSegment();
  endPolygon();
  state.tool = tool;
  for (const button of document.querySelectorAll<HTMLButtonElement>("[data-tool]")) {
    button.setAttribute("aria-pressed", String(button.dataset.tool === tool));
  }
  $("negative").hidden = tool !== "click";
}

async function addClick(row: number, col: number): Promise<void> {
  const label = state.label, sample = state.sample;
  if (!label || !sample) return;
  if (row < 0 || col < 0 || row >= label.height || col >= label.width) return;
  if (!state.segment) {
    if (state.negative) {
      status("Start an object with a positive click; negative clicks then take parts away.", true);
      return;
    }
    state.segment = { id: label.maxId() + 1, clicks: [], asked: 0 };
    label.begin();
  }
  const segment = state.segment;
  segment.clicks.push([row, col, !state.negative]);
  view.clicks = segment.clicks;
  const asked = ++segment.asked;
  changed();
  try {
    const response = await state.api.request("POST", `/api/samples/${sample.sample_id}/segment`,
      JSON.stringify({ clicks: segment.clicks, object_class: objectClass(segment.id) }),
      { "Content-Type": "application/json" });
    const crop = await readArray(response);
    if (state.segment !== segment || asked !== segment.asked || state.label !== label) return;  // a late answer
    label.revertOpen();
    label.place(crop.data, crop.shape[0], crop.shape[1], Number(response.headers.get("X-Crop-Top")),
                Number(response.headers.get("X-Crop-Left")), segment.id);
    changed();
    status(`Object ${segment.id}: ${response.headers.get("X-Object-Area")} pixels from ${segment.clicks.length} clicks`);
  } catch (error) {
    segment.clicks.pop();
    view.clicks = segment.clicks;
    view.redraw();
    status(`Click-to-segment: ${explain(error)}`, true);
  }
}

function endSegment(): void {
  if (!state.segment || !state.label) return;
  state.label.end();
  state.segment = null;
  view.clicks = [];
  changed();
  saveDraft();
}

/** The object a new shape belongs to: the one under its first point, else a new one. */
function objectAt(row: number, col: number, label: LabelImage): number {
  const under = label.at(Math.floor(row), Math.floor(col));
  const id = (!state.forceNew && under) || label.maxId() + 1;
  state.forceNew = false;
  return id;
}

/** A drag closes into a lasso at once; a tap adds a polygon point, or closes it near the first. */
function lassoEnd(drag: [number, number][]): void {
  const [r0, c0] = drag[0];
  const extent = Math.max(...drag.map(([r, c]) => Math.hypot(r - r0, c - c0))) * view.scale;
  const polygon = state.polygon;
  if (extent > DRAG_PX) {
    if (polygon.length === 0) closeShape(drag);
    else polygon.push(...drag);
  } else if (polygon.length >= 3 && Math.hypot(r0 - polygon[0][0], c0 - polygon[0][1]) * view.scale < CLOSE_PX) {
    closeShape(polygon);
  } else {
    polygon.push([r0, c0]);
    status(`Polygon: ${polygon.length} point(s); tap the first point to close it`);
  }
  view.path = state.polygon;
  view.redraw();
}

function closeShape(points: [number, number][]): void {
  const label = state.label;
  state.polygon = [];
  view.path = [];
  if (!label) return;
  const id = objectAt(points[0][0], points[0][1], label);
  label.begin();
  const set = label.fillPolygon(points, id);
  label.end();
  state.brushId = id;
  changed();
  saveDraft();
  status(`Object ${id}: ${set} pixels filled`);
}

/** Leaving the polygon tool keeps a polygon of three points or more, closed. */
function endPolygon(): void {
  if (state.polygon.length >= 3) closeShape(state.polygon);
  state.polygon = [];
  view.path = [];
}

/** Fill the region under (row, col) with the current object (the last drawn), or a new one. */
function fillAt(row: number, col: number): void {
  const label = state.label;
  if (!label) return;
  const id = state.forceNew || !state.brushId ? label.maxId() + 1 : state.brushId;
  state.forceNew = false;
  label.begin();
  const set = label.floodFill(Math.floor(row), Math.floor(col), id);
  label.end();
  if (!set) {
    status(`That region already is object ${id}`);
    return;
  }
  state.brushId = id;
  changed();
  saveDraft();
  status(`Object ${id}: ${set} pixels filled`);
}

// -- keeping what is drawn -------------------------------------------------------

let draftTimer = 0;

function saveDraft(): void {
  clearTimeout(draftTimer);
  draftTimer = window.setTimeout(() => {
    const { sample, label } = state;
    if (!sample || !label) return;
    if (state.last || state.drag) {  // copying a large label mid-stroke would hold the stroke up
      saveDraft();
      return;
    }
    labelStore.put(stored("draft", sample, label)).catch(() => status("The browser cannot keep a draft here", true));
  }, 300);
}

function stored(kind: "draft" | "submit", sample: SampleMeta, label: LabelImage): StoredLabel {
  const key = kind === "draft" ? draftKey(sample.sample_id) : `submit:${sample.sample_id}:${Date.now()}`;
  const palette = state.palette, classified = palette.hasObjectClasses || palette.hasImageClasses;
  return { key, kind, sample_id: sample.sample_id, project: sample.project, annotator: state.annotator,
           origin: origin(label), shape: label.shape, data: narrowed(label.data), created: Date.now(), attempts: 0,
           classes: classified ? palette.saved(new Set(objectPlaces(label.data, label.width).keys())) : undefined };
}

/** How the label was made, for its history: from a pre-label (as it was, or edited) or by hand. */
function origin(label: LabelImage): string {
  if (state.startedFrom !== "prelabel" && state.startedFrom !== "computed") return "manual";
  return label.revision === state.startRevision ? "accepted_prelabel" : "edited_prelabel";
}

async function updatePending(): Promise<number> {
  const waiting = (await submits()).length;
  const badge = $("pending");
  badge.textContent = waiting ? `${waiting} waiting to send` : "all sent";
  badge.classList.toggle("waiting", waiting > 0);
  return waiting;
}

/** Send every waiting submit in order; a network failure keeps it and tries again later. */
async function sendPending(): Promise<void> {
  if (state.sending) return;
  state.sending = true;
  clearTimeout(state.retryTimer);
  let retryIn = 0;
  try {
    for (const item of await submits()) {
      try {
        const response = await state.api.postLabel(
          `/api/samples/${item.sample_id}/label?annotator=${encodeURIComponent(item.annotator)}&origin=${item.origin}`,
          item.data, item.shape, item.attempts ? { "X-Submit-Retry": "1" } : {},
          item.classes ? labelClasses(item.classes) : undefined);
        const answer = await response.json();
        await labelStore.remove(item.key);
        state.lastStored = { sample_id: item.sample_id, version: answer.version, shape: item.shape,
                             values: Array.from(item.data), classes: item.classes };
        status(`Sample ${item.sample_id}: stored as label version ${answer.version}`);
      } catch (error) {
        if (error instanceof NetworkError) {
          item.attempts++;
          await labelStore.put(item);
          retryIn = RETRY_MS[Math.min(item.attempts - 1, RETRY_MS.length - 1)];
          status(`Offline: the label of sample ${item.sample_id} waits in this browser and is sent when the ` +
                 `gateway answers (${explain(error)})`, true);
          break;
        }
        await labelStore.remove(item.key);
        const denied = error instanceof ApiError && error.status === 403;
        status(`Sample ${item.sample_id} was not stored: ${denied ? "this token may not submit labels here" +
               " (a reviewer's accepts or rejects them); " : ""}${explain(error)}`, true);
      }
    }
  } finally {
    state.sending = false;
    await updatePending();
    if (retryIn) state.retryTimer = window.setTimeout(sendPending, retryIn);
  }
}

// -- the loop --------------------------------------------------------------------

async function signIn(event: Event): Promise<void> {
  event.preventDefault();
  const token = $<HTMLInputElement>("token").value.trim();
  state.annotator = $<HTMLInputElement>("annotator").value.trim();
  state.api = new Api(token);
  try {
    const { projects } = await state.api.json("GET", "/api/projects");
    sessionStorage.setItem("labelassist.token", token);
    sessionStorage.setItem("labelassist.annotator", state.annotator);
    const select = $<HTMLSelectElement>("project");
    select.replaceChildren();
    for (const project of projects) {
      state.projects.set(project.name, project);
      select.add(new Option(`${project.name} (${project.labeled}/${project.total})`, project.name));
    }
    $("signin").hidden = true;
    $("app").hidden = false;
    view.fit();
    status(projects.length ? "Choose a project and press Next" : "No project yet: an admin creates one");
    await sendPending();
  } catch (error) {
    $("signin-error").textContent = explain(error);
  }
}

/** Give the open sample back (skip: offered again only when the rest is done) and show the next: the one
 * leased ahead, else one leased now in a single round trip whose answer is its image, ready to draw. */
async function next(skip = false): Promise<void> {
  state.nextPressed = performance.now();
  state.timings = {};
  const project = $<HTMLSelectElement>("project").value;
  if (!project) return;
  endSegment();
  endPolygon();
  const held = state.sample && !state.reviewing ? state.sample : null;
  status("Leasing the next sample…");
  try {
    const leased = await ahead.take(project);
    if (leased && held) ahead.release(held.sample_id, skip);
    const opened = leased ? leased.opened : await leasedView(await state.api.request(
      "POST", `/api/projects/${encodeURIComponent(project)}/next`,
      JSON.stringify({ annotator: state.annotator, view: true, give_back: held?.sample_id || 0, skip,
                       reason: skip ? "skipped in the browser" : "" }), { "Content-Type": "application/json" }));
    if (held) labelStore.remove(draftKey(held.sample_id)).catch(() => undefined);
    if (!opened) {
      clearSample();
      status("Nothing left: every sample is labelled or leased");
      return;
    }
    await open(opened, false, leased?.starting);
  } catch (error) {
    status(`Next: ${explain(error)}`, true);
  }
}

/** A reviewer's queue: the next labelled sample without a verdict, opened without a lease. */
async function reviewNext(): Promise<void> {
  await giveBack();
  const project = $<HTMLSelectElement>("project").value;
  if (!project) return;
  status("Finding the next label to review…");
  try {
    const found = await state.api.json("GET", `/api/projects/${encodeURIComponent(project)}/review?after=${
      state.reviewedUpTo}`);
    if (found.exhausted) {
      state.reviewedUpTo = 0;
      status("Nothing to review: every label has a verdict");
      return;
    }
    await open(await readView(await state.api.request("GET", `/api/samples/${found.sample_id}/view`)), true);
  } catch (error) {
    status(`Review: ${explain(error)}`, true);
  }
}

/** A sample of the adjudication queue in the editor, opened as a reviewer's (no lease): an edit is
 * submitted as a new version, then Accept settles the sample with it. */
async function editSample(sampleId: number): Promise<void> {
  await giveBack();
  try {
    await open(await readView(await state.api.request("GET", `/api/samples/${sampleId}/view`)), true);
  } catch (error) {
    status(`Edit: ${explain(error)}`, true);
  }
}

const agreementPanel = new AgreementPanel(() => state.api, () => state.annotator, status, editSample);

async function verdict(accept: boolean): Promise<void> {
  const sample = state.sample;
  if (!sample || !state.reviewing) return;
  const comment = $<HTMLInputElement>("review-comment");
  try {
    const reviewed = await state.api.json("POST", `/api/samples/${sample.sample_id}/review`,
                                          { reviewer: state.annotator, accept, comment: comment.value.trim() });
    state.reviewedUpTo = sample.sample_id;
    comment.value = "";
    await reviewNext();
    state.lastReview = { sample_id: reviewed.sample_id, review: reviewed.review, label_version: reviewed.label_version };
    status(`${reviewed.stem}: label v${reviewed.label_version} ${reviewed.review}. ${$("status").textContent}`);
  } catch (error) {
    status(`Review: ${explain(error)}`, true);
  }
}

/** Show the sample's image at once, then the label to start from (a pre-label may take a while; one leased
 * ahead has it already), then lease the one after it ahead. */
async function open(opened: SampleView, reviewing = false, fetched?: Promise<Starting>): Promise<void> {
  const { sample, picture, width, height } = opened;
  const asked = state.nextPressed;
  state.sample = sample;
  state.label = null;
  state.raw = null;
  state.findings = [];
  state.inspectedRevision = -1;
  state.brushId = 0;
  state.palette.use(sample.classes || NO_CLASSES);
  state.palette.start(null);
  view.captions = [];
  palettePanel.build();
  state.reviewing = reviewing;
  $("review-panel").hidden = !reviewing;
  $("review-info").textContent = reviewing ? `Label v${sample.label_version} of ${sample.stem}` : "";
  showFindings();
  view.overlay = null;
  view.show(picture, width, height);
  const { timing } = opened;
  Object.assign(state.timings, { next_to_headers_ms: timing.headers - asked, next_to_body_ms: timing.body - asked,
                                 next_to_pixels_ms: timing.pixels - asked, server: timing.server });
  const painted = afterPaint();
  painted.then((now) => { state.timings.next_to_image_ms = now - asked; });
  // Asked for once the image is on screen: a pre-label made meanwhile would take the CPU its drawing needs.
  const starting = fetched || painted.then(() => startingLabel(state.api, sample.sample_id, width, height));
  $("contrast-panel").hidden = true;
  $("sample").textContent = `${sample.project} · ${sample.stem} (#${sample.sample_id})`;
  status(`Sample ${sample.stem}: ${width}×${height}, loading the label to start from…`);
  if (reviewing) clearInterval(state.renewTimer);
  else renewWhileOpen();

  const { label, source, classes, saved } = await starting;
  if (state.sample !== sample) return;  // Next pressed again meanwhile
  state.label = label;
  view.overlay = label;
  state.startedFrom = source;
  state.startRevision = label.revision;
  if (saved) state.palette.restore(saved);
  else state.palette.start(classes);
  showClasses(false);  // objects the class model did not guess take the current class, none selected
  const shown = { draft: "your unsent drawing, kept in this browser", none: "an empty label" }[source as "draft"];
  const note = classes?.note ? ` (classes: ${classes.note})` : "";
  status(`Sample ${sample.stem}: ${width}×${height}, starting from ${shown || source}${note}`);
  changed();
  afterPaint().then((now) => { state.timings.next_to_prelabel_ms = now - asked; });
  if (!reviewing) ahead.start(sample.project, sample.sample_id);
}

/** When what was drawn so far is on screen: after the next frame's drawing. */
function afterPaint(): Promise<number> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0)));
}

function clearSample(): void {
  state.sample = null;
  state.reviewing = false;
  $("review-panel").hidden = true;
  state.label = null;
  view.overlay = null;
  view.image = null;
  view.boxes = [];
  view.captions = [];
  state.palette.start(null);
  view.redraw();
  $("sample").textContent = "";
  clearInterval(state.renewTimer);
  changed();
}

function renewWhileOpen(): void {
  clearInterval(state.renewTimer);
  const lease = state.projects.get(state.sample?.project || "")?.lease_seconds || 1800;
  const every = Math.max(5, Math.min(lease / 3, 300)) * 1000;
  state.renewTimer = window.setInterval(async () => {
    const sample = state.sample;
    if (!sample) return;
    try {
      if (ahead.sampleId) state.api.json("POST", `/api/samples/${ahead.sampleId}/renew`,
                                         { annotator: state.annotator }).catch(() => undefined);
      const answer = await state.api.json("POST", `/api/samples/${sample.sample_id}/renew`,
                                          { annotator: state.annotator });
      if (!answer.renewed) status("The lease on this sample has ended: Submit still stores it, or press Next", true);
    } catch {
      // offline: the next tick tries again
    }
  }, every);
}

/** Give the open sample back, and the one leased ahead. */
async function giveBack(): Promise<void> {
  ahead.drop();
  endSegment();
  endPolygon();
  const sample = state.sample;
  if (!sample) return;
  if (state.reviewing) {  // opened to review: no lease to give back
    clearSample();
    return;
  }
  try {
    await state.api.json("POST", `/api/samples/${sample.sample_id}/release`, { annotator: state.annotator });
  } catch (error) {
    status(`Release: ${explain(error)}`, true);
  }
  await labelStore.remove(draftKey(sample.sample_id)).catch(() => undefined);
  clearSample();
}

async function inspect(): Promise<number> {
  const { sample, label } = state;
  if (!sample || !label) return 0;
  const response = await state.api.postLabel(`/api/samples/${sample.sample_id}/inspect`, label.data, label.shape);
  const report = await response.json();
  state.findings = report.findings;
  state.inspectedRevision = label.revision;
  showFindings();
  return report.warnings;
}

async function submit(): Promise<void> {
  endSegment();
  endPolygon();
  const { sample, label } = state;
  if (!sample || !label) return;
  if (state.inspectedRevision !== label.revision) {
    try {
      const warnings = await inspect();
      if (warnings) {
        status(`${warnings} warning(s): fix them, or press Submit again to store the label as it is`, true);
        return;
      }
    } catch (error) {
      if (!(error instanceof NetworkError)) {
        status(`Inspection: ${explain(error)}`, true);
        return;
      }
    }
  }
  const item = stored("submit", sample, label);
  await labelStore.put(item);
  await labelStore.remove(draftKey(sample.sample_id));
  await updatePending();
  await sendPending();
  if ((await labelStore.get(item.key)) === undefined && state.lastStored?.sample_id !== sample.sample_id) {
    return;  // refused: the label stays on screen with the reason
  }
  const reviewing = state.reviewing;
  clearSample();
  await (reviewing ? reviewNext() : next());
}

function showFindings(): void {
  const list = $("findings");
  list.replaceChildren();
  view.boxes = [];
  for (const finding of state.findings) {
    const item = document.createElement("li");
    const show = document.createElement("button");
    show.className = `finding ${finding.severity}`;
    show.textContent = `${finding.severity}: ${finding.message}`;
    onPress(show, () => finding.boxes[0] && view.focus(finding.boxes[0]));
    item.appendChild(show);
    if (finding.fix) {
      const fix = document.createElement("button");
      fix.textContent = `Fix: ${finding.fix.name}`;
      onPress(fix, () => applyFix(finding));
      item.appendChild(fix);
    }
    list.appendChild(item);
    for (const box of finding.boxes) {
      view.boxes.push({ start: box.slice(0, 2), stop: box.slice(2, 4), severity: finding.severity });
    }
  }
  $("findings-panel").hidden = state.findings.length === 0;
  view.redraw();
}

async function applyFix(finding: Finding): Promise<void> {
  const label = state.label;
  if (!label || !finding.fix) return;
  try {
    const query = `step=${encodeURIComponent(finding.fix.name)}&parameters=${
      encodeURIComponent(JSON.stringify(finding.fix.parameters || {}))}`;
    const fixed = await readArray(await state.api.postLabel(`/api/postprocess?${query}`, label.data, label.shape));
    label.replace(fixed.data);
    state.findings = state.findings.filter((f) => f !== finding);
    showFindings();
    changed();
    saveDraft();
  } catch (error) {
    status(`Fix: ${explain(error)}`, true);
  }
}

async function toggleContrast(): Promise<void> {
  const panel = $("contrast-panel");
  panel.hidden = !panel.hidden;
  const sample = state.sample;
  if (panel.hidden || !sample || state.raw) return;
  try {
    const { array } = await state.api.raw(`/api/samples/${sample.sample_id}/image`);
    if (!array || state.sample !== sample) return;
    state.raw = array;
    const select = $<HTMLSelectElement>("channel");
    select.replaceChildren(new Option(channels(array) > 1 ? "All (RGB)" : "Grey", "-1"));
    for (let c = 0; c < channels(array) && channels(array) > 1; c++) select.add(new Option(`Channel ${c + 1}`, String(c)));
    const [lo, hi] = range(array);
    for (const id of ["low", "high"]) {
      const input = $<HTMLInputElement>(id);
      input.min = String(lo);
      input.max = String(hi);
      input.step = array.dtype.startsWith("float") ? String((hi - lo) / 1000) : "1";
    }
    autoContrast();
  } catch (error) {
    status(`Contrast: ${explain(error)}`, true);
  }
}

function autoContrast(): void {
  if (!state.raw) return;
  const window = autoWindow(state.raw, Number($<HTMLSelectElement>("channel").value));
  $<HTMLInputElement>("low").value = String(window.low);
  $<HTMLInputElement>("high").value = String(window.high);
  applyContrast();
}

function applyContrast(): void {
  const raw = state.raw;
  if (!raw) return;
  const low = Number($<HTMLInputElement>("low").value), high = Number($<HTMLInputElement>("high").value);
  render(raw, { channel: Number($<HTMLSelectElement>("channel").value), low, high: Math.max(high, low + 1e-6) },
         state.imageCanvas);
  view.image = state.imageCanvas;
  view.redraw();
}

// -- wiring ----------------------------------------------------------------------

function wire(): void {
  $("signin").addEventListener("submit", signIn);
  onPress($("next"), next);
  onPress($("skip"), () => next(true));
  onPress($("release"), async () => { await giveBack(); status("Sample given back"); });
  onPress($("submit"), submit);
  onPress($("review"), reviewNext);
  onPress($("agreement"), () => {
    const project = $<HTMLSelectElement>("project").value;
    if (project) return agreementPanel.show(project);
  });
  onPress($("accept"), () => verdict(true));
  onPress($("reject"), () => verdict(false));
  onPress($("check"), () => inspect().catch((e) => status(`Inspection: ${explain(e)}`, true)));
  onPress($("undo"), () => {
    if (state.polygon.length) {  // an open polygon loses its last point first
      state.polygon.pop();
      view.redraw();
      return;
    }
    endSegment();
    state.label?.undo();
    changed();
    saveDraft();
  });
  onPress($("redo"), () => { state.label?.redo(); changed(); saveDraft(); });
  onPress($("new-object"), () => { endSegment(); state.forceNew = true; status("The next stroke starts a new object"); });
  onPress($("negative"), () => {
    state.negative = !state.negative;
    $("negative").setAttribute("aria-pressed", String(state.negative));
  });
  onPress($("fit"), () => view.fit());
  onPress($("contrast"), toggleContrast);
  $("channel").addEventListener("change", autoContrast);
  onPress($("auto"), autoContrast);
  $("low").addEventListener("input", applyContrast);
  $("high").addEventListener("input", applyContrast);
  for (const button of document.querySelectorAll<HTMLButtonElement>("[data-tool]")) {
    onPress(button, () => selectTool(button.dataset.tool as Tool));
  }
  document.addEventListener("keydown", (e) => {
    const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
    if (!e.ctrlKey && !e.metaKey && !e.altKey && !typing && state.label && state.palette.press(e.key)) {
      changed();
      saveDraft();
      return;
    }
    if (!(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== "z") return;
    e.preventDefault();
    if (e.shiftKey) state.label?.redo(); else state.label?.undo();
    changed();
  });
  window.addEventListener("online", sendPending);
  // The lease goes back when the tab closes; what was drawn stays as a draft.
  window.addEventListener("pagehide", () => {
    ahead.drop(true);
    const sample = state.sample;
    if (sample && !state.reviewing) state.api.request("POST", `/api/samples/${sample.sample_id}/release`,
      JSON.stringify({ annotator: state.annotator }), { "Content-Type": "application/json" }, true).catch(() => {});
  });
  $<HTMLInputElement>("token").value = sessionStorage.getItem("labelassist.token") || "";
  $<HTMLInputElement>("annotator").value = sessionStorage.getItem("labelassist.annotator") || "";
  selectTool("brush");
  updatePending().catch(() => {});
}

// For scripts and tests driving the page: what it holds, read-only.
(window as any).labelAssist = {
  label: () => state.label && { sample_id: state.sample?.sample_id, shape: state.label.shape,
                                values: Array.from(state.label.data) },
  lastStored: () => state.lastStored,
  lastReview: () => state.lastReview,
  agreement: () => ({ ...agreementPanel.loaded, lastAdjudicated: agreementPanel.lastAdjudicated }),
  reviewing: () => state.reviewing,
  classes: () => ({ current: state.palette.current, selected: state.palette.selected, image: state.palette.image,
                    objects: Object.fromEntries(state.palette.objects) }),
  findings: () => state.findings,
  timings: () => state.timings,
  ahead: () => ({ sample_id: ahead.sampleId, settled: ahead.settled }),
  strokeLatencies: () => ({ frame_ms: view.latencies.splice(0), drawn_ms: view.drawnLatencies.splice(0) }),
  strokeWork: () => ({ handler_ms: view.handlerMs.splice(0), draw_ms: view.drawMs.splice(0) }),
  pending: () => submits().then((items) => items.length),
  zoom: () => view.scale,
  imageToPage: (row: number, col: number) => {
    const rect = view.canvas.getBoundingClientRect();
    return [rect.left + view.tx + col * view.scale, rect.top + view.ty + row * view.scale];
  },
};

wire();
