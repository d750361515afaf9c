// The next sample, leased while the annotator works on this one: its image
// drawn into a canvas and the label to start from fetched and coloured, so
// that Next shows both at once. An annotator holds at most this one lease more.

import { Api, SampleView, leasedView } from "./api";
import type { MaskClasses, SavedClasses } from "./classes";
import { LabelImage } from "./labels";
import { draftKey, labelStore } from "./pending";

/** The label a sample starts from, built: a draft kept in this browser, else the gateway's (its label, its
 * pre-label or one made now); ``source`` says which ("draft", "label", "prelabel", "computed" or "none").
 * Its classes: a draft's, else the gateway's (the stored label's, or the class model's guesses). */
export interface Starting { label: LabelImage; source: string; classes: MaskClasses | null; saved?: SavedClasses; }

export async function startingLabel(api: Api, sampleId: number, width: number, height: number): Promise<Starting> {
  const [mask, draft] = await Promise.all([api.raw(`/api/samples/${sampleId}/mask`),
                                           labelStore.get(draftKey(sampleId)).catch(() => undefined)]);
  const restore = draft !== undefined && draft.shape[0] === height && draft.shape[1] === width;
  const label = new LabelImage(width, height, restore ? draft.data : mask.array?.data);
  label.objectCount();  // counted now, not when it is shown
  return { label, source: restore ? "draft" : mask.headers.get("X-Mask-Source") || "none",
           classes: mask.description as MaskClasses | null, saved: restore ? draft.classes : undefined };
}

interface Lookup {
  project: string;
  view: Promise<SampleView | null>;
  starting: Promise<Starting> | null;
  sampleId: number;
  settled: boolean;
}

export class LookAhead {
  private lookup: Lookup | null = null;
  // A sample given back before the next lookup asks: the selector offers an annotator's own leases first.
  private released: Promise<unknown> = Promise.resolve();

  constructor(private api: () => Api, private annotator: () => string) {}

  /** The sample leased ahead, once it is (0 before). */
  get sampleId(): number { return this.lookup?.sampleId || 0; }

  /** Whether nothing is on its way (read by benchmarks: the annotator has worked long enough). */
  get settled(): boolean { return this.lookup?.settled ?? true; }

  /** Lease the sample after ``current`` in ``project`` and fetch what Next will show. */
  start(project: string, current: number): void {
    if (this.lookup) return;
    const lookup: Lookup = { project, view: Promise.resolve(null), starting: null, sampleId: 0, settled: false };
    lookup.view = (async () => {
      await this.released;
      const answer = await this.api().request("POST", `/api/projects/${encodeURIComponent(project)}/next`,
        JSON.stringify({ annotator: this.annotator(), view: true, ahead_of: current }),
        { "Content-Type": "application/json" });
      const opened = await leasedView(answer);
      if (opened) {
        lookup.sampleId = opened.sample.sample_id;
        lookup.starting = startingLabel(this.api(), lookup.sampleId, opened.width, opened.height);
        lookup.starting.catch(() => undefined);  // answered when Next shows it
      }
      return opened;
    })().catch(() => null);  // Next leases as it would without one
    lookup.view.then((opened) => opened && lookup.starting).catch(() => undefined)
      .finally(() => { lookup.settled = true; });
    this.lookup = lookup;
  }

  /** What Next shows: the sample leased ahead in ``project`` (waited for when still coming), or null. */
  async take(project: string): Promise<{ opened: SampleView; starting: Promise<Starting> } | null> {
    const lookup = this.lookup;
    if (!lookup) return null;
    if (lookup.project !== project) {
      this.drop();
      return null;
    }
    this.lookup = null;
    const opened = await lookup.view;
    return opened && lookup.starting ? { opened, starting: lookup.starting } : null;
  }

  /** Give the sample leased ahead back (Release, a reviewer's queue, the tab closing: ``keepalive``). */
  drop(keepalive = false): void {
    const lookup = this.lookup;
    this.lookup = null;
    if (!lookup) return;
    if (lookup.sampleId) this.release(lookup.sampleId, false, keepalive);
    else lookup.view.then((opened) => opened && this.release(opened.sample.sample_id)).catch(() => undefined);
  }

  /** Give ``sampleId`` back now; the next lookup waits for it. */
  release(sampleId: number, skip = false, keepalive = false): void {
    this.released = this.api().request("POST", `/api/samples/${sampleId}/release`, JSON.stringify(
      { annotator: this.annotator(), skip, reason: skip ? "skipped in the browser" : "" }),
      { "Content-Type": "application/json" }, keepalive).catch(() => undefined);
  }
}
