// Agreement in the browser: the project's agreement (F1, boundary F1, PQ with
// their 95 % intervals), each annotator's estimated quality (an admin sees
// everyone, anyone else themselves: the selector decides), and for reviewers
// the adjudication queue, most disputed first, each sample's labels side by
// side with the consensus: accept the consensus, pick one, or edit.

import { Api, ApiError, RawArray, SampleView, readArray, readView } from "./api";
import { colour } from "./labels";
import { onPress } from "./press";

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const MEASURES: [string, string][] = [["f1", "F1"], ["boundary_f1", "boundary F1"], ["panoptic_quality", "PQ"]];
const KINDS = ["missed", "extra", "merged", "split", "wide", "narrow"];
// Thumbnails of the labels side by side: at most this many pixels wide each.
const THUMB_PX = 240;

type Interval = [number, number, number];
interface Window { labels: number; f1: Interval; boundary_f1: Interval; panoptic_quality: Interval }
interface Version { version: number; annotator: string; origin: string }
interface Item {
  sample_id: number; stem: string; disagreement: number; mean_f1: number; mean_boundary_f1: number;
  review: string; consensus_version: number; labels: Version[];
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text = "", className = ""
                                                       ): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  if (text) made.textContent = text;
  if (className) made.className = className;
  return made;
}

function interval(value: Interval | undefined): string {
  return value ? `${value[0].toFixed(3)} [${value[1].toFixed(3)}, ${value[2].toFixed(3)}]` : "–";
}

function row(cells: (string | HTMLElement)[], header = false): HTMLTableRowElement {
  const line = element("tr");
  for (const cell of cells) {
    const td = element(header ? "th" : "td");
    if (typeof cell === "string") td.textContent = cell; else td.appendChild(cell);
    line.appendChild(td);
  }
  return line;
}

/** The image with a label's outlines in its objects' colours, at most ``THUMB_PX`` wide. */
export function outlined(view: SampleView, label: RawArray): HTMLCanvasElement {
  const { width, height, picture } = view;
  const full = element("canvas");
  full.width = width;
  full.height = height;
  const context = full.getContext("2d")!;
  context.drawImage(picture, 0, 0);
  const pixels = context.getImageData(0, 0, width, height);
  const data = label.data;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const i = r * width + c, id = data[i];
      if (!id) continue;
      const edge = c === 0 || r === 0 || c === width - 1 || r === height - 1 || data[i - 1] !== id
        || data[i + 1] !== id || data[i - width] !== id || data[i + width] !== id;
      if (!edge) continue;
      const [red, green, blue] = colour(id);
      pixels.data.set([red, green, blue, 255], i * 4);
    }
  }
  context.putImageData(pixels, 0, 0);
  const scale = Math.min(1, THUMB_PX / width);
  const thumb = element("canvas", "", "label-thumb");
  thumb.width = Math.round(width * scale);
  thumb.height = Math.round(height * scale);
  thumb.getContext("2d")!.drawImage(full, 0, 0, thumb.width, thumb.height);
  return thumb;
}

export class AgreementPanel {
  /** The last adjudication (for scripts and tests). */
  lastAdjudicated: null | { sample_id: number; version: number; sources: number[] } = null;
  /** What the panel shows: "agreement" once loaded, "queue" once the queue (or its refusal) came. */
  loaded = { agreement: false, queue: false };

  private project = "";

  constructor(private api: () => Api, private reviewer: () => string,
              private status: (text: string, error?: boolean) => void,
              private edit: (sampleId: number) => Promise<void>) {
    onPress($("agreement-close"), () => { $("agreement-panel").hidden = true; });
    onPress($("build-consensus"), () => this.buildConsensus());
  }

  async show(project: string): Promise<void> {
    this.project = project;
    this.loaded = { agreement: false, queue: false };
    $("agreement-panel").hidden = false;
    $("agreement-title").textContent = `Agreement · ${project}`;
    await Promise.all([this.loadAgreement(), this.loadQueue()]);
  }

  private path(tail: string): string {
    return `/api/projects/${encodeURIComponent(this.project)}/${tail}`;
  }

  private async loadAgreement(): Promise<void> {
    const summary = $("agreement-summary"), table = $("annotator-quality") as HTMLTableElement;
    summary.replaceChildren();
    table.replaceChildren();
    try {
      const found = await this.api().json("GET", this.path("agreement"));
      const whole: Window | null = found.agreement;
      summary.appendChild(element("p", whole
        ? `${whole.labels} samples labelled by two or more annotators; mean [95 % interval]`
        : "No agreement yet: it needs samples that two or more annotators labelled"));
      if (whole) {
        const measures = element("table", "", "measures");
        measures.appendChild(row(MEASURES.map(([, name]) => name), true));
        measures.appendChild(row(MEASURES.map(([key]) => interval(whole[key as keyof Window] as Interval))));
        summary.appendChild(measures);
      }
      table.appendChild(row(["annotator", "accuracy", "samples", "F1 with the others", "boundary F1", "PQ",
                             "accepted / rejected", ...KINDS], true));
      for (const q of found.annotators) {
        const agreement: Window | null = q.agreement;
        table.appendChild(row([q.annotator, q.accuracy.toFixed(3), String(q.samples),
                               interval(agreement?.f1), interval(agreement?.boundary_f1),
                               interval(agreement?.panoptic_quality), `${q.accepted} / ${q.rejected}`,
                               ...KINDS.map((k) => String(q.kinds[k]))]));
      }
    } catch (error) {
      summary.appendChild(element("p", `Agreement: ${error instanceof Error ? error.message : error}`, "error"));
    }
    this.loaded.agreement = true;
  }

  private async loadQueue(): Promise<void> {
    const queue = $("adjudication");
    queue.replaceChildren();
    $("build-consensus").hidden = true;
    try {
      const found = await this.api().json("GET", this.path("adjudication"));
      $("build-consensus").hidden = false;
      if (!found.items.length) {
        queue.appendChild(element("p", "Nothing to adjudicate: no sample has two annotators' labels"));
      }
      for (const item of found.items as Item[]) queue.appendChild(this.itemRow(item));
    } catch (error) {
      const refused = error instanceof ApiError && error.status === 403;
      queue.appendChild(element("p", refused ? "The adjudication queue is for the project's reviewers and admins."
        : `Adjudication: ${error instanceof Error ? error.message : error}`, refused ? "" : "error"));
    }
    this.loaded.queue = true;
  }

  private itemRow(item: Item): HTMLElement {
    const box = element("div", "", "adjudication-item");
    box.dataset.sampleId = String(item.sample_id);
    const heading = element("div", "", "adjudication-heading");
    const review = item.review ? ` · ${item.review}` : "";
    heading.appendChild(element("span", `${item.stem} (#${item.sample_id}) · disagreement `
      + `${item.disagreement.toFixed(2)} · F1 ${item.mean_f1.toFixed(3)} · boundary F1 `
      + `${item.mean_boundary_f1.toFixed(3)}${review}`));
    const show = element("button", "Compare");
    const edit = element("button", "Edit");
    onPress(show, () => this.compare(item, box));
    onPress(edit, () => { $("agreement-panel").hidden = true; return this.edit(item.sample_id); });
    heading.append(show, edit);
    box.appendChild(heading);
    return box;
  }

  /** The sample's labels side by side (each annotator's, then the consensus), each with its choice. */
  private async compare(item: Item, box: HTMLElement): Promise<void> {
    box.querySelector(".side-by-side")?.remove();
    const strip = element("div", "", "side-by-side");
    box.appendChild(strip);
    try {
      const view = await readView(await this.api().request("GET", `/api/samples/${item.sample_id}/view`));
      const shown: [Version, string][] = item.labels.map((v) => [v, v.annotator]);
      if (item.consensus_version) {
        shown.push([{ version: item.consensus_version, annotator: "consensus", origin: "consensus" }, "consensus"]);
      }
      for (const [version, name] of shown) {
        const label = await readArray(await this.api().request("GET",
          `/api/samples/${item.sample_id}/labels/${version.version}`));
        const figure = element("figure", "", "label-choice");
        figure.dataset.version = String(version.version);
        figure.appendChild(outlined(view, label));
        const choose = element("button", name === "consensus" ? "Accept consensus" : `Pick ${name}`,
                               name === "consensus" ? "primary" : "");
        onPress(choose, () => this.adjudicate(item, version.version));
        const caption = element("figcaption", `${name} · v${version.version}`);
        caption.appendChild(choose);
        figure.appendChild(caption);
        strip.appendChild(figure);
      }
      if (!item.consensus_version) strip.appendChild(element("p", "No consensus yet: Build consensus makes one."));
    } catch (error) {
      strip.appendChild(element("p", `Compare: ${error instanceof Error ? error.message : error}`, "error"));
    }
  }

  private async adjudicate(item: Item, version: number): Promise<void> {
    try {
      const chosen = await this.api().json("POST", `/api/samples/${item.sample_id}/adjudicate`,
                                           { version, reviewer: this.reviewer() });
      this.lastAdjudicated = { sample_id: item.sample_id, version: chosen.version, sources: chosen.sources };
      this.status(`${item.stem}: v${version} chosen, stored as v${chosen.version} and accepted`);
      await this.loadQueue();
    } catch (error) {
      this.status(`Adjudicate: ${error instanceof Error ? error.message : error}`, true);
    }
  }

  private async buildConsensus(): Promise<void> {
    try {
      const built = await this.api().json("POST", this.path("consensus"));
      this.status(`Consensus: ${built.built} built, ${built.unchanged} already up to date`);
      await this.loadQueue();
    } catch (error) {
      this.status(`Consensus: ${error instanceof Error ? error.message : error}`, true);
    }
  }
}
