// The next sample, leased while the annotator works on this one: its image
// drawn into a canvas and the label to start from fetched, so that Next
// shows both at once. An annotator holds at most this one lease more.

import { Api, RawArray, SampleView, leasedView } from "./api";
import { StoredLabel, draftKey, labelStore } from "./pending";

/** The label a sample starts from: the gateway's (label, pre-label or a computed one) and a draft kept here. */
export type Starting = [{ array: RawArray | null; headers: Headers }, StoredLabel | undefined];

export function startingLabel(api: Api, sampleId: number): Promise<Starting> {
  const starting = Promise.all([api.raw(`/api/samples/${sampleId}/mask`),
                                labelStore.get(draftKey(sampleId)).catch(() => undefined)]);
  starting.catch(() => undefined);  // answered where it is awaited
  return starting;
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
        lookup.starting = startingLabel(this.api(), lookup.sampleId);
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
