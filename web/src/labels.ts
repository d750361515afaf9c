// The label being drawn: one id per object in a Uint32Array, its coloured
// overlay, and undo/redo as patches of the 64x64 tiles a change touched.
// A change only marks its box; the overlay's pixels are coloured and copied
// to its canvas once per frame (flush), for the box all changes since touched.

const TILE = 64;
const ALPHA = 110;

interface TilePatch { before: Uint32Array; after?: Uint32Array; }
export type Patch = Map<number, TilePatch>;

/** A distinct colour per object id (golden-ratio hues), as RGB. */
export function colour(id: number): [number, number, number] {
  const hue = (id * 0.618033988749895) % 1;
  const s = 0.75, v = 1.0;
  const i = Math.floor(hue * 6), f = hue * 6 - i;
  const p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  const [r, g, b] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][i % 6];
  return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
}

const packedColours = new Map<number, number>();

/** The overlay's pixel for an object id, as one 32-bit RGBA word (little-endian: A B G R). */
function packedColour(id: number): number {
  let found = packedColours.get(id);
  if (found === undefined) {
    const [r, g, b] = colour(id);
    found = ((ALPHA << 24) | (b << 16) | (g << 8) | r) >>> 0;
    packedColours.set(id, found);
  }
  return found;
}

export class LabelImage {
  readonly data: Uint32Array;
  readonly overlay: HTMLCanvasElement;
  private pixels: ImageData;
  private packed: Uint32Array;
  private ctx: CanvasRenderingContext2D;
  private open: Patch | null = null;
  private undoStack: Patch[] = [];
  private redoStack: Patch[] = [];
  private dirty: [number, number, number, number] | null = null;
  private counted = { revision: -1, count: 0 };
  // Colours by object class where the project has classes; each id's own colour otherwise.
  private colourOf: ((id: number) => [number, number, number]) | null = null;
  private classColours = new Map<number, number>();
  revision = 0;

  constructor(readonly width: number, readonly height: number, initial?: ArrayLike<number>) {
    this.data = new Uint32Array(width * height);
    if (initial) this.data.set(initial);
    this.overlay = document.createElement("canvas");
    this.overlay.width = width;
    this.overlay.height = height;
    this.ctx = this.overlay.getContext("2d")!;
    this.pixels = this.ctx.createImageData(width, height);
    this.packed = new Uint32Array(this.pixels.data.buffer);
    this.mark(0, 0, width, height);
    this.flush();
  }

  get shape(): number[] { return [this.height, this.width]; }

  maxId(): number {
    let top = 0;
    for (let i = 0; i < this.data.length; i++) if (this.data[i] > top) top = this.data[i];
    return top;
  }

  at(row: number, col: number): number {
    if (row < 0 || col < 0 || row >= this.height || col >= this.width) return 0;
    return this.data[row * this.width + col];
  }

  objectCount(): number {
    if (this.counted.revision === this.revision) return this.counted.count;
    // Labels run in long stretches of one id: a set sees each stretch once, not each pixel.
    const ids = new Set<number>();
    let previous = -1;
    for (let i = 0; i < this.data.length; i++) {
      const id = this.data[i];
      if (id !== previous) {
        ids.add(id);
        previous = id;
      }
    }
    this.counted = { revision: this.revision, count: ids.size - (ids.has(0) ? 1 : 0) };
    return this.counted.count;
  }

  // -- changes, grouped into one undo step between begin() and end() ----------

  begin(): void {
    if (!this.open) this.open = new Map();
  }

  /** Revert the open step's changes so far, keeping it open (a click model's next answer). */
  revertOpen(): void {
    if (!this.open) return;
    for (const [index, tile] of this.open) this.writeTile(index, tile.before);
  }

  end(): void {
    const patch = this.open;
    this.open = null;
    if (!patch || patch.size === 0) return;
    for (const [index, tile] of patch) tile.after = this.readTile(index);
    this.undoStack.push(patch);
    if (this.undoStack.length > 100) this.undoStack.shift();
    this.redoStack = [];
  }

  /** Drop the open step's changes (a stroke that became a two-finger pan). */
  cancel(): void {
    this.revertOpen();
    this.open = null;
  }

  undo(): boolean { return this.step(this.undoStack, this.redoStack, "before"); }
  redo(): boolean { return this.step(this.redoStack, this.undoStack, "after"); }
  get canUndo(): boolean { return this.undoStack.length > 0; }
  get canRedo(): boolean { return this.redoStack.length > 0; }

  private step(from: Patch[], to: Patch[], side: "before" | "after"): boolean {
    this.end();
    const patch = from.pop();
    if (!patch) return false;
    for (const [index, tile] of patch) this.writeTile(index, tile[side]!);
    to.push(patch);
    this.flush();
    return true;
  }

  /** Set the pixels of a disc to ``id`` (0 erases): those whose centre lies within ``radius``. */
  stamp(row: number, col: number, radius: number, id: number): void {
    const r = Math.max(radius, 0.5), r2 = r * r;
    const top = Math.max(0, Math.floor(row - r)), bottom = Math.min(this.height - 1, Math.ceil(row + r));
    const left = Math.max(0, Math.floor(col - r)), right = Math.min(this.width - 1, Math.ceil(col + r));
    if (top > bottom || left > right) return;
    this.backup(top, left, bottom, right);
    for (let y = top; y <= bottom; y++) {
      const dy = y + 0.5 - row, reach = r2 - dy * dy;
      if (reach < 0) continue;
      const half = Math.sqrt(reach);
      const from = Math.max(left, Math.ceil(col - half - 0.5)), to = Math.min(right, Math.floor(col + half - 0.5));
      if (from <= to) this.data.fill(id, y * this.width + from, y * this.width + to + 1);
    }
    this.mark(left, top, right - left + 1, bottom - top + 1);
  }

  /** Stamps from one point to the next, close enough to leave no gaps. */
  line(r0: number, c0: number, r1: number, c1: number, radius: number, id: number): void {
    const steps = Math.max(1, Math.ceil(Math.hypot(r1 - r0, c1 - c0) / Math.max(radius / 2, 0.5)));
    for (let i = 1; i <= steps; i++) {
      const t = i / steps;
      this.stamp(r0 + (r1 - r0) * t, c0 + (c1 - c0) * t, radius, id);
    }
  }

  /** Write ``mask`` (1 = object) placed at (top, left) as object ``id``. */
  place(mask: ArrayLike<number>, rows: number, cols: number, top: number, left: number, id: number): void {
    if (rows === 0 || cols === 0) return;
    const bottom = Math.min(this.height - 1, top + rows - 1), right = Math.min(this.width - 1, left + cols - 1);
    this.backup(top, left, bottom, right);
    for (let y = top; y <= bottom; y++) {
      for (let x = left; x <= right; x++) {
        if (mask[(y - top) * cols + (x - left)]) this.data[y * this.width + x] = id;
      }
    }
    this.mark(left, top, right - left + 1, bottom - top + 1);
  }

  /** Fill the inside of a closed polygon of image (row, col) points with ``id``
   * (even-odd rule, pixel centres); returns the pixels set. */
  fillPolygon(points: [number, number][], id: number): number {
    if (points.length < 3) return 0;
    const rows = points.map((p) => p[0]), cols = points.map((p) => p[1]);
    const top = Math.max(0, Math.floor(Math.min(...rows))), bottom = Math.min(this.height - 1, Math.ceil(Math.max(...rows)));
    const left = Math.max(0, Math.floor(Math.min(...cols))), right = Math.min(this.width - 1, Math.ceil(Math.max(...cols)));
    if (top > bottom || left > right) return 0;
    this.backup(top, left, bottom, right);
    let set = 0;
    const crossings: number[] = [];
    for (let y = top; y <= bottom; y++) {
      const yc = y + 0.5;
      crossings.length = 0;
      for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
        const [ri, ci] = points[i], [rj, cj] = points[j];
        if ((ri <= yc) !== (rj <= yc)) crossings.push(ci + ((yc - ri) / (rj - ri)) * (cj - ci));
      }
      crossings.sort((a, b) => a - b);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        const from = Math.max(left, Math.ceil(crossings[k] - 0.5)), to = Math.min(right, Math.floor(crossings[k + 1] - 0.5));
        for (let x = from; x <= to; x++) {
          this.data[y * this.width + x] = id;
          set++;
        }
      }
    }
    this.mark(left, top, right - left + 1, bottom - top + 1);
    return set;
  }

  /** Set the 4-connected region of equal ids around (row, col) to ``id``;
   * returns the pixels set (0 when the region already is ``id``). */
  floodFill(row: number, col: number, id: number): number {
    const w = this.width;
    if (row < 0 || col < 0 || row >= this.height || col >= w) return 0;
    const target = this.data[row * w + col];
    if (target === id) return 0;
    const region: number[] = [];
    const seen = new Uint8Array(this.data.length);
    const stack = [row * w + col];
    seen[row * w + col] = 1;
    let top = row, bottom = row, left = col, right = col;
    while (stack.length) {
      const i = stack.pop()!;
      region.push(i);
      const y = (i / w) | 0, x = i - y * w;
      if (y < top) top = y; else if (y > bottom) bottom = y;
      if (x < left) left = x; else if (x > right) right = x;
      for (const n of [x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < this.height - 1 ? i + w : -1]) {
        if (n >= 0 && !seen[n] && this.data[n] === target) {
          seen[n] = 1;
          stack.push(n);
        }
      }
    }
    this.backup(top, left, bottom, right);
    for (const i of region) this.data[i] = id;
    this.mark(left, top, right - left + 1, bottom - top + 1);
    return region.length;
  }

  /** Replace the whole label (a finding's fix), as one undo step. */
  replace(values: ArrayLike<number>): void {
    this.begin();
    this.backup(0, 0, this.height - 1, this.width - 1);
    this.data.set(values);
    this.mark(0, 0, this.width, this.height);
    this.end();
    this.flush();
  }

  private backup(top: number, left: number, bottom: number, right: number): void {
    this.revision++;
    if (!this.open) return;
    const tilesWide = Math.ceil(this.width / TILE);
    for (let ty = Math.floor(top / TILE); ty <= Math.floor(bottom / TILE); ty++) {
      for (let tx = Math.floor(left / TILE); tx <= Math.floor(right / TILE); tx++) {
        const index = ty * tilesWide + tx;
        if (!this.open.has(index)) this.open.set(index, { before: this.readTile(index) });
      }
    }
  }

  private tileBox(index: number): [number, number, number, number] {
    const tilesWide = Math.ceil(this.width / TILE);
    const y = Math.floor(index / tilesWide) * TILE, x = (index % tilesWide) * TILE;
    return [y, x, Math.min(TILE, this.height - y), Math.min(TILE, this.width - x)];
  }

  private readTile(index: number): Uint32Array {
    const [y, x, h, w] = this.tileBox(index);
    const out = new Uint32Array(h * w);
    for (let r = 0; r < h; r++) out.set(this.data.subarray((y + r) * this.width + x, (y + r) * this.width + x + w), r * w);
    return out;
  }

  private writeTile(index: number, values: Uint32Array): void {
    const [y, x, h, w] = this.tileBox(index);
    for (let r = 0; r < h; r++) this.data.set(values.subarray(r * w, (r + 1) * w), (y + r) * this.width + x);
    this.revision++;
    this.mark(x, y, w, h);
  }

  // -- the overlay ---------------------------------------------------------------

  /** Colour each object by ``colourOf`` (its class's colour), or by its id (null); the next flush repaints. */
  recolour(colourOf: ((id: number) => [number, number, number]) | null): void {
    this.colourOf = colourOf;
    this.classColours.clear();
    this.mark(0, 0, this.width, this.height);
  }

  private pixelOf(id: number): number {
    if (!this.colourOf) return packedColour(id);
    let found = this.classColours.get(id);
    if (found === undefined) {
      const [r, g, b] = this.colourOf(id);
      found = ((ALPHA << 24) | (b << 16) | (g << 8) | r) >>> 0;
      this.classColours.set(id, found);
    }
    return found;
  }

  /** Mark a box whose ids changed; the next flush colours it. */
  private mark(x: number, y: number, w: number, h: number): void {
    const d = this.dirty;
    this.dirty = d ? [Math.min(d[0], x), Math.min(d[1], y), Math.max(d[2], x + w), Math.max(d[3], y + h)]
                   : [x, y, x + w, y + h];
  }

  /** Colour what changed and copy it into the overlay canvas; returns the box that did, [x0, y0, x1, y1), or null. */
  flush(): [number, number, number, number] | null {
    const d = this.dirty;
    if (!d) return null;
    this.dirty = null;
    const packed = this.packed, data = this.data;
    // Labels run in stretches of one id: look its colour up once per stretch.
    let previous = 0, pixel = 0;
    for (let row = d[1]; row < d[3]; row++) {
      for (let i = row * this.width + d[0], stop = row * this.width + d[2]; i < stop; i++) {
        const id = data[i];
        if (id !== previous) {
          previous = id;
          pixel = id === 0 ? 0 : this.pixelOf(id);
        }
        packed[i] = pixel;
      }
    }
    this.ctx.putImageData(this.pixels, 0, 0, d[0], d[1], d[2] - d[0], d[3] - d[1]);
    return d;
  }
}
