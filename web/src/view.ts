// The canvas: the image and the label overlay under one pan/zoom transform,
// and pointer events sorted into drawing (one finger, a pen, the mouse) and
// navigation (two fingers pan and pinch, the wheel zooms). The image and the
// overlay are two stacked canvases, so a brush stroke repaints only the
// overlay's changed box and never the image under it; the label colours its
// changes once per frame, however many pointer events the frame had.

export interface Stroke {
  /** A drawing pointer went down at image (row, col) with this pressure (0..1). */
  start(row: number, col: number, pressure: number, pointerType: string): void;
  move(row: number, col: number, pressure: number): void;
  end(): void;
  /** A second finger arrived: the stroke becomes a gesture and is undone. */
  cancel(): void;
}

export interface Box { start: number[]; stop: number[]; severity: string; }

/** Text written on an object (its id and class) at image (row, col); ``box`` outlines a selected one. */
export interface Caption { row: number; col: number; text: string; box?: number[]; }

/** The label's coloured layer: its canvas (image-sized), and what changed since the last frame. */
export interface Layer {
  readonly overlay: HTMLCanvasElement;
  /** Bring the canvas up to date; the image box [x0, y0, x1, y1) that changed, or null. */
  flush(): [number, number, number, number] | null;
}

// A touch within this long after the pen was seen is a palm, not a finger.
const PALM_MS = 800;

type Box4 = [number, number, number, number];

export class View {
  /** The overlay's canvas, on top: it takes the pointer events. */
  readonly canvas: HTMLCanvasElement;
  private base: HTMLCanvasElement;
  image: CanvasImageSource | null = null;
  overlay: Layer | null = null;
  imageWidth = 0;
  imageHeight = 0;
  boxes: Box[] = [];
  captions: Caption[] = [];
  clicks: [number, number, boolean][] = [];
  /** A polygon or lasso being drawn, as image (row, col) points. */
  path: [number, number][] = [];
  scale = 1;
  /** Milliseconds from each drawing pointer move's event to its pixels drawn in the canvas (``drawnLatencies``)
   * and to the start of the frame after them (``latencies``), and the page's own work: each such event's
   * handler, each drawing of a stroke (read by benchmarks). */
  latencies: number[] = [];
  drawnLatencies: number[] = [];
  handlerMs: number[] = [];
  drawMs: number[] = [];
  tx = 0;
  ty = 0;
  private pending = false;
  // What the next frame repaints: everything, or the overlay within image boxes (x0, y0, x1, y1).
  private full = false;
  private marks = false;
  private pointers = new Map<number, { x: number; y: number; type: string }>();
  private drawing: number | null = null;
  private gesture: { distance: number; mx: number; my: number } | null = null;
  private panning: { x: number; y: number } | null = null;
  private penSeen = 0;
  // Whether the annotator has panned or zoomed: until then a resize fits the image again.
  private moved = false;
  // Chromium's pointerrawupdate comes as soon as the pointer moves, where pointermove waits for the next frame.
  private rawUpdates = false;

  constructor(parent: HTMLElement, private stroke: Stroke) {
    this.base = document.createElement("canvas");
    this.base.className = "view base";
    this.canvas = document.createElement("canvas");
    this.canvas.className = "view";
    parent.append(this.base, this.canvas);
    new ResizeObserver(() => this.resize()).observe(parent);
    const c = this.canvas;
    c.addEventListener("pointerdown", (e) => this.down(e));
    c.addEventListener("pointermove", (e) => this.move(e));
    if ("onpointerrawupdate" in c) {
      this.rawUpdates = true;
      c.addEventListener("pointerrawupdate" as "pointermove", (e) => {
        if (this.drawing === e.pointerId) this.strokeMove(e);
      });
    }
    c.addEventListener("pointerup", (e) => this.up(e));
    c.addEventListener("pointercancel", (e) => this.up(e, true));
    c.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    c.addEventListener("contextmenu", (e) => e.preventDefault());
  }

  show(image: CanvasImageSource, width: number, height: number): void {
    this.image = image;
    this.imageWidth = width;
    this.imageHeight = height;
    this.fit();
  }

  fit(): void {
    const rect = this.canvas.getBoundingClientRect();
    if (!this.imageWidth || !rect.width) return;
    this.moved = false;
    this.scale = Math.min(rect.width / this.imageWidth, rect.height / this.imageHeight);
    this.tx = (rect.width - this.imageWidth * this.scale) / 2;
    this.ty = (rect.height - this.imageHeight * this.scale) / 2;
    this.redraw();
  }

  /** Centre and zoom on a box (row0, col0, row1, col1) of the image. */
  focus(box: number[]): void {
    const rect = this.canvas.getBoundingClientRect();
    const h = Math.max(box[2] - box[0], 8), w = Math.max(box[3] - box[1], 8);
    this.moved = true;
    this.scale = Math.min(rect.width / (w * 3), rect.height / (h * 3), 16);
    this.tx = rect.width / 2 - ((box[1] + box[3]) / 2) * this.scale;
    this.ty = rect.height / 2 - ((box[0] + box[2]) / 2) * this.scale;
    this.redraw();
  }

  private resize(): void {
    const rect = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    for (const canvas of [this.base, this.canvas]) {
      canvas.width = Math.max(1, Math.round(rect.width * dpr));
      canvas.height = Math.max(1, Math.round(rect.height * dpr));
    }
    if (this.moved) this.redraw();
    else this.fit();
  }

  /** Repaint everything in the next frame (the image, the view moved, the marks). */
  redraw(): void {
    this.full = true;
    this.schedule();
  }

  /** Repaint the top canvas alone in the next frame (a lasso being drawn, clicks). */
  redrawMarks(): void {
    this.marks = true;
    this.schedule();
  }

  /** Repaint only what the label changed in the next frame (a stroke). */
  redrawOverlay(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  draw(): void {
    const started = performance.now();
    const full = this.full, marks = this.marks, dirty = this.overlay?.flush() ?? null;
    this.full = this.marks = false;
    if (!full && !marks && !dirty) return;
    if (full) this.drawBase();
    const ctx = this.canvas.getContext("2d")!;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.save();
    if (!full && !marks && dirty) {
      // The box on screen, widened to whole device pixels; what lies outside is already right.
      const s = dpr * this.scale, x = Math.floor(dpr * this.tx + dirty[0] * s) - 1,
            y = Math.floor(dpr * this.ty + dirty[1] * s) - 1;
      const w = Math.ceil((dirty[2] - dirty[0]) * s) + 3, h = Math.ceil((dirty[3] - dirty[1]) * s) + 3;
      ctx.beginPath();
      ctx.rect(x, y, w, h);
      ctx.clip();
      ctx.clearRect(x, y, w, h);
    } else {
      ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    }
    this.drawMarks(ctx, dpr, full || marks ? null : dirty);
    ctx.restore();
    if (this.drawing !== null && this.drawMs.length < 10000) this.drawMs.push(performance.now() - started);
  }

  private drawBase(): void {
    const ctx = this.base.getContext("2d")!;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#111";
    ctx.fillRect(0, 0, this.base.width, this.base.height);
    if (!this.image) return;
    ctx.setTransform(dpr * this.scale, 0, 0, dpr * this.scale, dpr * this.tx, dpr * this.ty);
    ctx.imageSmoothingEnabled = this.scale < 1;
    ctx.drawImage(this.image, 0, 0);
  }

  /** The overlay, the findings' boxes, the clicks and an open polygon, on the top canvas. */
  private drawMarks(ctx: CanvasRenderingContext2D, dpr: number, within: Box4 | null): void {
    if (!this.image) return;
    ctx.setTransform(dpr * this.scale, 0, 0, dpr * this.scale, dpr * this.tx, dpr * this.ty);
    if (this.overlay) {
      ctx.imageSmoothingEnabled = false;
      // Within a box only its own pixels are read, and enough around it to cover the clip's widened edge.
      const m = within ? Math.ceil(4 / (dpr * this.scale)) + 1 : 0;
      const [x0, y0, x1, y1] = within ? [Math.max(0, within[0] - m), Math.max(0, within[1] - m),
        Math.min(this.imageWidth, within[2] + m), Math.min(this.imageHeight, within[3] + m)]
        : [0, 0, this.imageWidth, this.imageHeight];
      ctx.drawImage(this.overlay.overlay, x0, y0, x1 - x0, y1 - y0, x0, y0, x1 - x0, y1 - y0);
    }
    ctx.lineWidth = 2 / this.scale;
    this.drawCaptions(ctx);
    for (const box of this.boxes) {
      ctx.strokeStyle = box.severity === "info" ? "#6cf" : box.severity === "error" ? "#f33" : "#fc3";
      ctx.strokeRect(box.start[1], box.start[0], box.stop[1] - box.start[1], box.stop[0] - box.start[0]);
    }
    if (this.path.length) {
      ctx.strokeStyle = "#fff";
      ctx.fillStyle = "#fff";
      ctx.beginPath();
      for (const [row, col] of this.path) ctx.lineTo(col, row);
      ctx.stroke();
      for (const [row, col] of this.path.length < 64 ? this.path : [this.path[0]]) {
        ctx.fillRect(col - 3 / this.scale, row - 3 / this.scale, 6 / this.scale, 6 / this.scale);
      }
    }
    for (const [row, col, positive] of this.clicks) {
      ctx.fillStyle = positive ? "#3f6" : "#f36";
      ctx.beginPath();
      ctx.arc(col, row, 5 / this.scale, 0, Math.PI * 2);
      ctx.fill();
    }
  }

  /** Each object's id and class, legible on any image (white on a dark edge), at a size the zoom leaves alone. */
  private drawCaptions(ctx: CanvasRenderingContext2D): void {
    if (!this.captions.length) return;
    ctx.font = `${13 / this.scale}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.lineJoin = "round";
    for (const caption of this.captions) {
      if (caption.box) {
        const [r0, c0, r1, c1] = caption.box;
        ctx.strokeStyle = "#fff";
        ctx.strokeRect(c0 - 1, r0 - 1, c1 - c0 + 2, r1 - r0 + 2);
      }
      ctx.strokeStyle = "rgba(0, 0, 0, 0.8)";
      ctx.lineWidth = 3 / this.scale;
      ctx.strokeText(caption.text, caption.col, caption.row);
      ctx.fillStyle = "#fff";
      ctx.fillText(caption.text, caption.col, caption.row);
      ctx.lineWidth = 2 / this.scale;
    }
  }

  /** Image (row, col) under a page point (``rect``: the canvas's, when already known). */
  toImage(clientX: number, clientY: number, rect: DOMRect = this.canvas.getBoundingClientRect()): [number, number] {
    return [(clientY - rect.top - this.ty) / this.scale, (clientX - rect.left - this.tx) / this.scale];
  }

  private down(e: PointerEvent): void {
    // A finger's pointerdown keeps its default: touch-action: none already keeps the browser's own panning off
    // the canvas, and once the first finger's pointerdown is default-prevented, Firefox sends no pointermove of
    // any other finger (two fingers would neither pinch nor pan there).
    if (e.pointerType !== "touch") e.preventDefault();
    if (e.pointerType === "pen") {
      this.penSeen = performance.now();
      this.dropTouches();
    }
    if (e.pointerType === "touch" && performance.now() - this.penSeen < PALM_MS) return;
    this.canvas.setPointerCapture(e.pointerId);
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY, type: e.pointerType });
    if (e.pointerType === "mouse" && e.button !== 0) {
      this.panning = { x: e.clientX, y: e.clientY };
      return;
    }
    const touches = [...this.pointers.values()].filter((p) => p.type === "touch");
    if (touches.length >= 2) {
      if (this.drawing !== null) {
        this.stroke.cancel();
        this.drawing = null;
      }
      this.gesture = this.measure(touches);
      return;
    }
    if (this.pointers.size === 1 && !this.gesture) {
      this.drawing = e.pointerId;
      const [row, col] = this.toImage(e.clientX, e.clientY);
      this.stroke.start(row, col, pressureOf(e), e.pointerType);
    }
  }

  private move(e: PointerEvent): void {
    if (e.pointerType === "pen") this.penSeen = performance.now();
    const known = this.pointers.get(e.pointerId);
    if (!known) return;
    known.x = e.clientX;
    known.y = e.clientY;
    if (this.panning || this.gesture) this.moved = true;
    if (this.panning) {
      this.tx += e.clientX - this.panning.x;
      this.ty += e.clientY - this.panning.y;
      this.panning = { x: e.clientX, y: e.clientY };
      this.redraw();
    } else if (this.gesture) {
      const touches = [...this.pointers.values()].filter((p) => p.type === "touch");
      if (touches.length < 2) return;
      const now = this.measure(touches);
      const factor = now.distance / Math.max(this.gesture.distance, 1);
      const rect = this.canvas.getBoundingClientRect();
      const mx = now.mx - rect.left, my = now.my - rect.top;
      this.tx = mx - (this.gesture.mx - rect.left - this.tx) * factor;
      this.ty = my - (this.gesture.my - rect.top - this.ty) * factor;
      this.scale *= factor;
      this.gesture = now;
      this.redraw();
    } else if (this.drawing === e.pointerId && !this.rawUpdates) {
      this.strokeMove(e);
    }
  }

  /** A drawing pointer moved: the stroke follows it and its changed box is drawn now, not in the next frame's
   * callback, so the pixels are in the canvas before that frame begins. */
  private strokeMove(e: PointerEvent): void {
    const started = performance.now();
    const events = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
    const rect = this.canvas.getBoundingClientRect();
    for (const one of events.length ? events : [e]) {
      const [row, col] = this.toImage(one.clientX, one.clientY, rect);
      this.stroke.move(row, col, pressureOf(one));
    }
    if (!this.full && !this.marks) this.draw();
    const drawn = performance.now(), at = e.timeStamp;
    if (this.handlerMs.length < 10000) {
      this.handlerMs.push(drawn - started);
      this.drawnLatencies.push(drawn - at);
    }
    requestAnimationFrame(() => {
      if (this.latencies.length < 10000) this.latencies.push(performance.now() - at);
    });
  }

  private up(e: PointerEvent, cancelled = false): void {
    if (!this.pointers.delete(e.pointerId)) return;
    if (this.drawing === e.pointerId) {
      this.drawing = null;
      if (cancelled) this.stroke.cancel();
      else this.stroke.end();
    }
    if (this.panning && e.pointerType === "mouse") this.panning = null;
    if (this.gesture && [...this.pointers.values()].filter((p) => p.type === "touch").length < 2) {
      // The gesture ends when the fingers lift; a finger left behind does not start drawing.
      if (this.pointers.size === 0) this.gesture = null;
    }
  }

  /** The pen came down: touches already on the glass are a palm that landed first. Its stroke is undone, and
   * it neither draws nor pans until it lifts and touches again. */
  private dropTouches(): void {
    const drawing = this.drawing === null ? undefined : this.pointers.get(this.drawing);
    if (drawing?.type === "touch") {
      this.stroke.cancel();
      this.drawing = null;
    }
    for (const [id, pointer] of this.pointers) if (pointer.type === "touch") this.pointers.delete(id);
    this.gesture = null;
  }

  private wheel(e: WheelEvent): void {
    e.preventDefault();
    this.moved = true;
    const rect = this.canvas.getBoundingClientRect();
    const factor = Math.exp(-e.deltaY * 0.0015);
    const mx = e.clientX - rect.left, my = e.clientY - rect.top;
    this.tx = mx - (mx - this.tx) * factor;
    this.ty = my - (my - this.ty) * factor;
    this.scale *= factor;
    this.redraw();
  }

  private measure(touches: { x: number; y: number }[]): { distance: number; mx: number; my: number } {
    const [a, b] = touches;
    return { distance: Math.hypot(a.x - b.x, a.y - b.y), mx: (a.x + b.x) / 2, my: (a.y + b.y) / 2 };
  }
}

/** A pen's pressure; fingers and mice press at 0.5 (the full brush). */
function pressureOf(e: PointerEvent): number {
  return e.pointerType === "pen" && e.pressure > 0 ? e.pressure : 0.5;
}
