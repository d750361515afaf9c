"use strict";
(() => {
  // src/api.ts
  var ApiError = class extends Error {
    constructor(status2, message, code) {
      super(message);
      this.status = status2;
      this.code = code;
    }
  };
  var NetworkError = class extends Error {
  };
  var FRAMED_TYPE = "application/vnd.labelassist.framed";
  var TYPED = {
    uint8: Uint8Array,
    uint16: Uint16Array,
    uint32: Uint32Array,
    int16: Int16Array,
    int32: Int32Array,
    float32: Float32Array,
    bool: Uint8Array
  };
  var Api = class {
    constructor(token) {
      this.token = token;
    }
    headers(extra = {}) {
      return this.token ? { Authorization: `Bearer ${this.token}`, ...extra } : extra;
    }
    async request(method, path, body, headers = {}, keepalive = false) {
      let response;
      try {
        response = await fetch(path, { method, body, headers: this.headers(headers), keepalive, cache: "no-store" });
      } catch (error) {
        throw new NetworkError(`the gateway cannot be reached (${error})`);
      }
      if (!response.ok) {
        let message = `HTTP ${response.status}`;
        let code = "";
        try {
          const problem = await response.json();
          message = problem.error || message;
          code = problem.status || "";
        } catch {
        }
        if (response.status === 502 || response.status === 503 || response.status === 504) {
          if (!code || code === "UNAVAILABLE") throw new NetworkError(message);
        }
        throw new ApiError(response.status, message, code);
      }
      return response;
    }
    async json(method, path, payload) {
      const body = payload === void 0 ? void 0 : JSON.stringify(payload);
      const response = await this.request(method, path, body, body ? { "Content-Type": "application/json" } : {});
      return response.json();
    }
    /** An array answer, with the JSON it was framed behind (null for a raw one). */
    async raw(path) {
      const response = await this.request("GET", path);
      if (response.status === 204) return { array: null, description: null, headers: response.headers };
      return { ...await readDescribed(response), headers: response.headers };
    }
    /** POST a label (lossless, gzip where the browser can), framed behind ``description`` where
     * there is one, and return the response. */
    async postLabel(path, label, shape, extra = {}, description) {
      const { bytes, dtype } = narrowest(label);
      const headers = {
        "Content-Type": description === void 0 ? "application/octet-stream" : FRAMED_TYPE,
        "X-Array-Shape": shape.join(","),
        "X-Array-Dtype": dtype,
        ...extra
      };
      const payload = description === void 0 ? bytes : framed(description, bytes);
      let body = payload;
      if (typeof CompressionStream !== "undefined") {
        const stream = new Blob([payload]).stream().pipeThrough(new CompressionStream("gzip"));
        body = await new Response(stream).arrayBuffer();
        headers["Content-Encoding"] = "gzip";
      }
      return this.request("POST", path, body, headers);
    }
  };
  function serverTiming(header) {
    const steps = {};
    for (const item of (header || "").split(",")) {
      const [name, ...parameters] = item.trim().split(";");
      const duration = parameters.find((p) => p.trim().startsWith("dur="));
      if (name && duration) steps[name] = Number(duration.trim().slice(4));
    }
    return steps;
  }
  async function readView(response) {
    const headers = performance.now();
    const [height, width, colours = 1] = (response.headers.get("X-Array-Shape") || "").split(",").map(Number);
    const rgba = new Uint8ClampedArray(width * height * 4);
    const pixels = new Uint32Array(rgba.buffer);
    const reader = response.body.getReader();
    let head = new Uint8Array(0), description = null, written = 0;
    for (let piece = await reader.read(); !piece.done; piece = await reader.read()) {
      let bytes = piece.value;
      if (description === null) {
        head = joined(head, bytes);
        const length = head.length >= 4 ? new DataView(head.buffer, head.byteOffset).getUint32(0, true) : Infinity;
        if (head.length < 4 + length) continue;
        description = JSON.parse(new TextDecoder().decode(head.subarray(4, 4 + length)));
        bytes = head.subarray(4 + length);
      }
      if (written + bytes.length > width * height * colours) break;
      written = writePixels(pixels, bytes, written, colours);
    }
    if (description === null || written !== width * height * colours) {
      throw new ApiError(500, `the gateway's view of a ${width}×${height} image ends after ${written} bytes`, "INTERNAL");
    }
    const body = performance.now();
    const picture = document.createElement("canvas");
    picture.width = width;
    picture.height = height;
    picture.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
    const server = serverTiming(response.headers.get("Server-Timing"));
    return {
      sample: description,
      picture,
      width,
      height,
      timing: { headers, body, pixels: performance.now(), server }
    };
  }
  function joined(a, b) {
    if (!a.length) return b;
    const both = new Uint8Array(a.length + b.length);
    both.set(a);
    both.set(b, a.length);
    return both;
  }
  function writePixels(pixels, bytes, at, colours) {
    if (colours === 1) {
      for (let i = 0; i < bytes.length; i++) pixels[at + i] = 4278190080 | bytes[i] * 65793;
    } else {
      for (let i = 0; i < bytes.length; i++) {
        const k = at + i, p = k / colours | 0, c = k - p * colours;
        if (c < 3) pixels[p] |= 4278190080 | bytes[i] << 8 * c;
      }
    }
    return at + bytes.length;
  }
  async function leasedView(response) {
    if (response.headers.get("Content-Type")?.startsWith("application/json")) return null;
    return readView(response);
  }
  async function readArray(response) {
    return (await readDescribed(response)).array;
  }
  async function readDescribed(response) {
    const shape = (response.headers.get("X-Array-Shape") || "").split(",").map(Number);
    const dtype = response.headers.get("X-Array-Dtype") || "uint8";
    const Typed = TYPED[dtype];
    if (!Typed) throw new ApiError(500, `the gateway sent an array of type ${dtype}`, "INTERNAL");
    let buffer = await response.arrayBuffer();
    let description = null;
    let offset = 0;
    if ((response.headers.get("Content-Type") || "").split(";")[0].trim() === FRAMED_TYPE) {
      const length = new DataView(buffer).getUint32(0, true);
      description = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
      offset = 4 + length;
      if (offset % Typed.BYTES_PER_ELEMENT) [buffer, offset] = [buffer.slice(offset), 0];
    }
    return { array: { shape, dtype, data: new Typed(buffer, offset) }, description };
  }
  function framed(description, bytes) {
    const text = new TextEncoder().encode(JSON.stringify(description));
    const body = new Uint8Array(4 + text.length + bytes.length);
    new DataView(body.buffer).setUint32(0, text.length, true);
    body.set(text, 4);
    body.set(bytes, 4 + text.length);
    return body;
  }
  function narrowed(label) {
    let top = 0;
    for (let i = 0; i < label.length; i++) if (label[i] > top) top = label[i];
    return top < 256 ? new Uint8Array(label) : top < 65536 ? new Uint16Array(label) : new Uint32Array(label);
  }
  function narrowest(label) {
    const values = narrowed(label);
    const dtype = values instanceof Uint8Array ? "uint8" : values instanceof Uint16Array ? "uint16" : "uint32";
    return { bytes: new Uint8Array(values.buffer), dtype };
  }

  // src/labels.ts
  var TILE = 64;
  var ALPHA = 110;
  function colour(id) {
    const hue = id * 0.618033988749895 % 1;
    const s = 0.75, v = 1;
    const i = Math.floor(hue * 6), f = hue * 6 - i;
    const p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
    const [r, g, b] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][i % 6];
    return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
  }
  var packedColours = /* @__PURE__ */ new Map();
  function packedColour(id) {
    let found = packedColours.get(id);
    if (found === void 0) {
      const [r, g, b] = colour(id);
      found = (ALPHA << 24 | b << 16 | g << 8 | r) >>> 0;
      packedColours.set(id, found);
    }
    return found;
  }
  var LabelImage = class {
    constructor(width, height, initial) {
      this.width = width;
      this.height = height;
      this.open = null;
      this.undoStack = [];
      this.redoStack = [];
      this.dirty = null;
      this.counted = { revision: -1, count: 0 };
      // Colours by object class where the project has classes; each id's own colour otherwise.
      this.colourOf = null;
      this.classColours = /* @__PURE__ */ new Map();
      this.revision = 0;
      this.data = new Uint32Array(width * height);
      if (initial) this.data.set(initial);
      this.overlay = document.createElement("canvas");
      this.overlay.width = width;
      this.overlay.height = height;
      this.ctx = this.overlay.getContext("2d");
      this.pixels = this.ctx.createImageData(width, height);
      this.packed = new Uint32Array(this.pixels.data.buffer);
      this.mark(0, 0, width, height);
      this.flush();
    }
    get shape() {
      return [this.height, this.width];
    }
    maxId() {
      let top = 0;
      for (let i = 0; i < this.data.length; i++) if (this.data[i] > top) top = this.data[i];
      return top;
    }
    at(row2, col) {
      if (row2 < 0 || col < 0 || row2 >= this.height || col >= this.width) return 0;
      return this.data[row2 * this.width + col];
    }
    objectCount() {
      if (this.counted.revision === this.revision) return this.counted.count;
      const ids = /* @__PURE__ */ new Set();
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
    begin() {
      if (!this.open) this.open = /* @__PURE__ */ new Map();
    }
    /** Revert the open step's changes so far, keeping it open (a click model's next answer). */
    revertOpen() {
      if (!this.open) return;
      for (const [index, tile] of this.open) this.writeTile(index, tile.before);
    }
    end() {
      const patch = this.open;
      this.open = null;
      if (!patch || patch.size === 0) return;
      for (const [index, tile] of patch) tile.after = this.readTile(index);
      this.undoStack.push(patch);
      if (this.undoStack.length > 100) this.undoStack.shift();
      this.redoStack = [];
    }
    /** Drop the open step's changes (a stroke that became a two-finger pan). */
    cancel() {
      this.revertOpen();
      this.open = null;
    }
    undo() {
      return this.step(this.undoStack, this.redoStack, "before");
    }
    redo() {
      return this.step(this.redoStack, this.undoStack, "after");
    }
    get canUndo() {
      return this.undoStack.length > 0;
    }
    get canRedo() {
      return this.redoStack.length > 0;
    }
    step(from, to, side) {
      this.end();
      const patch = from.pop();
      if (!patch) return false;
      for (const [index, tile] of patch) this.writeTile(index, tile[side]);
      to.push(patch);
      this.flush();
      return true;
    }
    /** Set the pixels of a disc to ``id`` (0 erases): those whose centre lies within ``radius``. */
    stamp(row2, col, radius2, id) {
      const r = Math.max(radius2, 0.5), r2 = r * r;
      const top = Math.max(0, Math.floor(row2 - r)), bottom = Math.min(this.height - 1, Math.ceil(row2 + r));
      const left = Math.max(0, Math.floor(col - r)), right = Math.min(this.width - 1, Math.ceil(col + r));
      if (top > bottom || left > right) return;
      this.backup(top, left, bottom, right);
      for (let y = top; y <= bottom; y++) {
        const dy = y + 0.5 - row2, reach = r2 - dy * dy;
        if (reach < 0) continue;
        const half = Math.sqrt(reach);
        const from = Math.max(left, Math.ceil(col - half - 0.5)), to = Math.min(right, Math.floor(col + half - 0.5));
        if (from <= to) this.data.fill(id, y * this.width + from, y * this.width + to + 1);
      }
      this.mark(left, top, right - left + 1, bottom - top + 1);
    }
    /** Stamps from one point to the next, close enough to leave no gaps. */
    line(r0, c0, r1, c1, radius2, id) {
      const steps = Math.max(1, Math.ceil(Math.hypot(r1 - r0, c1 - c0) / Math.max(radius2 / 2, 0.5)));
      for (let i = 1; i <= steps; i++) {
        const t = i / steps;
        this.stamp(r0 + (r1 - r0) * t, c0 + (c1 - c0) * t, radius2, id);
      }
    }
    /** Write ``mask`` (1 = object) placed at (top, left) as object ``id``. */
    place(mask, rows, cols, top, left, id) {
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
    fillPolygon(points, id) {
      if (points.length < 3) return 0;
      const rows = points.map((p) => p[0]), cols = points.map((p) => p[1]);
      const top = Math.max(0, Math.floor(Math.min(...rows))), bottom = Math.min(this.height - 1, Math.ceil(Math.max(...rows)));
      const left = Math.max(0, Math.floor(Math.min(...cols))), right = Math.min(this.width - 1, Math.ceil(Math.max(...cols)));
      if (top > bottom || left > right) return 0;
      this.backup(top, left, bottom, right);
      let set = 0;
      const crossings = [];
      for (let y = top; y <= bottom; y++) {
        const yc = y + 0.5;
        crossings.length = 0;
        for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
          const [ri, ci] = points[i], [rj, cj] = points[j];
          if (ri <= yc !== rj <= yc) crossings.push(ci + (yc - ri) / (rj - ri) * (cj - ci));
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
    floodFill(row2, col, id) {
      const w = this.width;
      if (row2 < 0 || col < 0 || row2 >= this.height || col >= w) return 0;
      const target = this.data[row2 * w + col];
      if (target === id) return 0;
      const region = [];
      const seen = new Uint8Array(this.data.length);
      const stack = [row2 * w + col];
      seen[row2 * w + col] = 1;
      let top = row2, bottom = row2, left = col, right = col;
      while (stack.length) {
        const i = stack.pop();
        region.push(i);
        const y = i / w | 0, x = i - y * w;
        if (y < top) top = y;
        else if (y > bottom) bottom = y;
        if (x < left) left = x;
        else if (x > right) right = x;
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
    replace(values) {
      this.begin();
      this.backup(0, 0, this.height - 1, this.width - 1);
      this.data.set(values);
      this.mark(0, 0, this.width, this.height);
      this.end();
      this.flush();
    }
    backup(top, left, bottom, right) {
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
    tileBox(index) {
      const tilesWide = Math.ceil(this.width / TILE);
      const y = Math.floor(index / tilesWide) * TILE, x = index % tilesWide * TILE;
      return [y, x, Math.min(TILE, this.height - y), Math.min(TILE, this.width - x)];
    }
    readTile(index) {
      const [y, x, h, w] = this.tileBox(index);
      const out = new Uint32Array(h * w);
      for (let r = 0; r < h; r++) out.set(this.data.subarray((y + r) * this.width + x, (y + r) * this.width + x + w), r * w);
      return out;
    }
    writeTile(index, values) {
      const [y, x, h, w] = this.tileBox(index);
      for (let r = 0; r < h; r++) this.data.set(values.subarray(r * w, (r + 1) * w), (y + r) * this.width + x);
      this.revision++;
      this.mark(x, y, w, h);
    }
    // -- the overlay ---------------------------------------------------------------
    /** Colour each object by ``colourOf`` (its class's colour), or by its id (null); the next flush repaints. */
    recolour(colourOf) {
      this.colourOf = colourOf;
      this.classColours.clear();
      this.mark(0, 0, this.width, this.height);
    }
    pixelOf(id) {
      if (!this.colourOf) return packedColour(id);
      let found = this.classColours.get(id);
      if (found === void 0) {
        const [r, g, b] = this.colourOf(id);
        found = (ALPHA << 24 | b << 16 | g << 8 | r) >>> 0;
        this.classColours.set(id, found);
      }
      return found;
    }
    /** Mark a box whose ids changed; the next flush colours it. */
    mark(x, y, w, h) {
      const d = this.dirty;
      this.dirty = d ? [Math.min(d[0], x), Math.min(d[1], y), Math.max(d[2], x + w), Math.max(d[3], y + h)] : [x, y, x + w, y + h];
    }
    /** Colour what changed and copy it into the overlay canvas; returns the box that did, [x0, y0, x1, y1), or null. */
    flush() {
      const d = this.dirty;
      if (!d) return null;
      this.dirty = null;
      const packed = this.packed, data = this.data;
      let previous = 0, pixel = 0;
      for (let row2 = d[1]; row2 < d[3]; row2++) {
        for (let i = row2 * this.width + d[0], stop = row2 * this.width + d[2]; i < stop; i++) {
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
  };

  // src/press.ts
  function onPress(button, action) {
    let pressed = false;
    const enabled = () => !button.disabled;
    button.addEventListener("pointerdown", (e) => {
      pressed = e.button === 0;
    });
    button.addEventListener("pointercancel", () => {
      pressed = false;
    });
    button.addEventListener("pointerup", (e) => {
      if (pressed && e.button === 0 && enabled()) action();
      pressed = false;
    });
    button.addEventListener("click", (e) => {
      if (e.detail === 0 && enabled()) action();
    });
  }

  // src/agreement.ts
  var $ = (id) => document.getElementById(id);
  var MEASURES = [["f1", "F1"], ["boundary_f1", "boundary F1"], ["panoptic_quality", "PQ"]];
  var KINDS = ["missed", "extra", "merged", "split", "wide", "narrow"];
  var THUMB_PX = 240;
  function element(tag, text = "", className = "") {
    const made = document.createElement(tag);
    if (text) made.textContent = text;
    if (className) made.className = className;
    return made;
  }
  function interval(value) {
    return value ? `${value[0].toFixed(3)} [${value[1].toFixed(3)}, ${value[2].toFixed(3)}]` : "–";
  }
  function row(cells, header = false) {
    const line = element("tr");
    for (const cell of cells) {
      const td = element(header ? "th" : "td");
      if (typeof cell === "string") td.textContent = cell;
      else td.appendChild(cell);
      line.appendChild(td);
    }
    return line;
  }
  function outlined(view2, label) {
    const { width, height, picture } = view2;
    const full = element("canvas");
    full.width = width;
    full.height = height;
    const context = full.getContext("2d");
    context.drawImage(picture, 0, 0);
    const pixels = context.getImageData(0, 0, width, height);
    const data = label.data;
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const i = r * width + c, id = data[i];
        if (!id) continue;
        const edge = c === 0 || r === 0 || c === width - 1 || r === height - 1 || data[i - 1] !== id || data[i + 1] !== id || data[i - width] !== id || data[i + width] !== id;
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
    thumb.getContext("2d").drawImage(full, 0, 0, thumb.width, thumb.height);
    return thumb;
  }
  var AgreementPanel = class {
    constructor(api, reviewer, status2, edit) {
      this.api = api;
      this.reviewer = reviewer;
      this.status = status2;
      this.edit = edit;
      /** The last adjudication (for scripts and tests). */
      this.lastAdjudicated = null;
      /** What the panel shows: "agreement" once loaded, "queue" once the queue (or its refusal) came. */
      this.loaded = { agreement: false, queue: false };
      this.project = "";
      onPress($("agreement-close"), () => {
        $("agreement-panel").hidden = true;
      });
      onPress($("build-consensus"), () => this.buildConsensus());
    }
    async show(project) {
      this.project = project;
      this.loaded = { agreement: false, queue: false };
      $("agreement-panel").hidden = false;
      $("agreement-title").textContent = `Agreement · ${project}`;
      await Promise.all([this.loadAgreement(), this.loadQueue()]);
    }
    path(tail) {
      return `/api/projects/${encodeURIComponent(this.project)}/${tail}`;
    }
    async loadAgreement() {
      const summary = $("agreement-summary"), table = $("annotator-quality");
      summary.replaceChildren();
      table.replaceChildren();
      try {
        const found = await this.api().json("GET", this.path("agreement"));
        const whole = found.agreement;
        summary.appendChild(element("p", whole ? `${whole.labels} samples labelled by two or more annotators; mean [95 % interval]` : "No agreement yet: it needs samples that two or more annotators labelled"));
        if (whole) {
          const measures = element("table", "", "measures");
          measures.appendChild(row(MEASURES.map(([, name]) => name), true));
          measures.appendChild(row(MEASURES.map(([key]) => interval(whole[key]))));
          summary.appendChild(measures);
        }
        table.appendChild(row([
          "annotator",
          "accuracy",
          "samples",
          "F1 with the others",
          "boundary F1",
          "PQ",
          "accepted / rejected",
          ...KINDS
        ], true));
        for (const q of found.annotators) {
          const agreement = q.agreement;
          table.appendChild(row([
            q.annotator,
            q.accuracy.toFixed(3),
            String(q.samples),
            interval(agreement?.f1),
            interval(agreement?.boundary_f1),
            interval(agreement?.panoptic_quality),
            `${q.accepted} / ${q.rejected}`,
            ...KINDS.map((k) => String(q.kinds[k]))
          ]));
        }
      } catch (error) {
        summary.appendChild(element("p", `Agreement: ${error instanceof Error ? error.message : error}`, "error"));
      }
      this.loaded.agreement = true;
    }
    async loadQueue() {
      const queue = $("adjudication");
      queue.replaceChildren();
      $("build-consensus").hidden = true;
      try {
        const found = await this.api().json("GET", this.path("adjudication"));
        $("build-consensus").hidden = false;
        if (!found.items.length) {
          queue.appendChild(element("p", "Nothing to adjudicate: no sample has two annotators' labels"));
        }
        for (const item of found.items) queue.appendChild(this.itemRow(item));
      } catch (error) {
        const refused = error instanceof ApiError && error.status === 403;
        queue.appendChild(element("p", refused ? "The adjudication queue is for the project's reviewers and admins." : `Adjudication: ${error instanceof Error ? error.message : error}`, refused ? "" : "error"));
      }
      this.loaded.queue = true;
    }
    itemRow(item) {
      const box = element("div", "", "adjudication-item");
      box.dataset.sampleId = String(item.sample_id);
      const heading = element("div", "", "adjudication-heading");
      const review = item.review ? ` · ${item.review}` : "";
      heading.appendChild(element("span", `${item.stem} (#${item.sample_id}) · disagreement ${item.disagreement.toFixed(2)} · F1 ${item.mean_f1.toFixed(3)} · boundary F1 ${item.mean_boundary_f1.toFixed(3)}${review}`));
      const show = element("button", "Compare");
      const edit = element("button", "Edit");
      onPress(show, () => this.compare(item, box));
      onPress(edit, () => {
        $("agreement-panel").hidden = true;
        return this.edit(item.sample_id);
      });
      heading.append(show, edit);
      box.appendChild(heading);
      return box;
    }
    /** The sample's labels side by side (each annotator's, then the consensus), each with its choice. */
    async compare(item, box) {
      box.querySelector(".side-by-side")?.remove();
      const strip = element("div", "", "side-by-side");
      box.appendChild(strip);
      try {
        const view2 = await readView(await this.api().request("GET", `/api/samples/${item.sample_id}/view`));
        const shown = item.labels.map((v) => [v, v.annotator]);
        if (item.consensus_version) {
          shown.push([{ version: item.consensus_version, annotator: "consensus", origin: "consensus" }, "consensus"]);
        }
        for (const [version, name] of shown) {
          const label = await readArray(await this.api().request(
            "GET",
            `/api/samples/${item.sample_id}/labels/${version.version}`
          ));
          const figure = element("figure", "", "label-choice");
          figure.dataset.version = String(version.version);
          figure.appendChild(outlined(view2, label));
          const choose = element(
            "button",
            name === "consensus" ? "Accept consensus" : `Pick ${name}`,
            name === "consensus" ? "primary" : ""
          );
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
    async adjudicate(item, version) {
      try {
        const chosen = await this.api().json(
          "POST",
          `/api/samples/${item.sample_id}/adjudicate`,
          { version, reviewer: this.reviewer() }
        );
        this.lastAdjudicated = { sample_id: item.sample_id, version: chosen.version, sources: chosen.sources };
        this.status(`${item.stem}: v${version} chosen, stored as v${chosen.version} and accepted`);
        await this.loadQueue();
      } catch (error) {
        this.status(`Adjudicate: ${error instanceof Error ? error.message : error}`, true);
      }
    }
    async buildConsensus() {
      try {
        const built = await this.api().json("POST", this.path("consensus"));
        this.status(`Consensus: ${built.built} built, ${built.unchanged} already up to date`);
        await this.loadQueue();
      } catch (error) {
        this.status(`Consensus: ${error instanceof Error ? error.message : error}`, true);
      }
    }
  };

  // src/pending.ts
  var DB = "labelassist";
  var STORE = "labels";
  function opened() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  async function transact(mode, work) {
    const db = await opened();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const request = work(tx.objectStore(STORE));
        tx.oncomplete = () => resolve(request.result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  }
  var labelStore = {
    put: (item) => transact("readwrite", (s) => s.put(item)),
    remove: (key) => transact("readwrite", (s) => s.delete(key)),
    get: (key) => transact("readonly", (s) => s.get(key)),
    all: () => transact("readonly", (s) => s.getAll())
  };
  var draftKey = (sampleId) => `draft:${sampleId}`;
  async function submits() {
    return (await labelStore.all()).filter((item) => item.kind === "submit").sort((a, b) => a.created - b.created);
  }

  // src/ahead.ts
  async function startingLabel(api, sampleId, width, height) {
    const [mask, draft] = await Promise.all([
      api.raw(`/api/samples/${sampleId}/mask`),
      labelStore.get(draftKey(sampleId)).catch(() => void 0)
    ]);
    const restore = draft !== void 0 && draft.shape[0] === height && draft.shape[1] === width;
    const label = new LabelImage(width, height, restore ? draft.data : mask.array?.data);
    label.objectCount();
    return {
      label,
      source: restore ? "draft" : mask.headers.get("X-Mask-Source") || "none",
      classes: mask.description,
      saved: restore ? draft.classes : void 0
    };
  }
  var LookAhead = class {
    constructor(api, annotator) {
      this.api = api;
      this.annotator = annotator;
      this.lookup = null;
      // A sample given back before the next lookup asks: the selector offers an annotator's own leases first.
      this.released = Promise.resolve();
    }
    /** The sample leased ahead, once it is (0 before). */
    get sampleId() {
      return this.lookup?.sampleId || 0;
    }
    /** Whether nothing is on its way (read by benchmarks: the annotator has worked long enough). */
    get settled() {
      return this.lookup?.settled ?? true;
    }
    /** Lease the sample after ``current`` in ``project`` and fetch what Next will show. */
    start(project, current) {
      if (this.lookup) return;
      const lookup = { project, view: Promise.resolve(null), starting: null, sampleId: 0, settled: false };
      lookup.view = (async () => {
        await this.released;
        const answer = await this.api().request(
          "POST",
          `/api/projects/${encodeURIComponent(project)}/next`,
          JSON.stringify({ annotator: this.annotator(), view: true, ahead_of: current }),
          { "Content-Type": "application/json" }
        );
        const opened2 = await leasedView(answer);
        if (opened2) {
          lookup.sampleId = opened2.sample.sample_id;
          lookup.starting = startingLabel(this.api(), lookup.sampleId, opened2.width, opened2.height);
          lookup.starting.catch(() => void 0);
        }
        return opened2;
      })().catch(() => null);
      lookup.view.then((opened2) => opened2 && lookup.starting).catch(() => void 0).finally(() => {
        lookup.settled = true;
      });
      this.lookup = lookup;
    }
    /** What Next shows: the sample leased ahead in ``project`` (waited for when still coming), or null. */
    async take(project) {
      const lookup = this.lookup;
      if (!lookup) return null;
      if (lookup.project !== project) {
        this.drop();
        return null;
      }
      this.lookup = null;
      const opened2 = await lookup.view;
      return opened2 && lookup.starting ? { opened: opened2, starting: lookup.starting } : null;
    }
    /** Give the sample leased ahead back (Release, a reviewer's queue, the tab closing: ``keepalive``). */
    drop(keepalive = false) {
      const lookup = this.lookup;
      this.lookup = null;
      if (!lookup) return;
      if (lookup.sampleId) this.release(lookup.sampleId, false, keepalive);
      else lookup.view.then((opened2) => opened2 && this.release(opened2.sample.sample_id)).catch(() => void 0);
    }
    /** Give ``sampleId`` back now; the next lookup waits for it. */
    release(sampleId, skip = false, keepalive = false) {
      this.released = this.api().request(
        "POST",
        `/api/samples/${sampleId}/release`,
        JSON.stringify(
          { annotator: this.annotator(), skip, reason: skip ? "skipped in the browser" : "" }
        ),
        { "Content-Type": "application/json" },
        keepalive
      ).catch(() => void 0);
    }
  };

  // src/classes.ts
  var NO_CLASSES = { object_classes: [], image_classes: [], multi_label: false };
  var UNCLASSIFIED = [200, 200, 200];
  var DIGITS = "123456789";
  function rgb(colour2) {
    const found = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour2 || "");
    return found ? [parseInt(found[1], 16), parseInt(found[2], 16), parseInt(found[3], 16)] : UNCLASSIFIED;
  }
  function classKeys(schema) {
    const keys = /* @__PURE__ */ new Map();
    for (const [kind, classes] of [["object", schema.object_classes], ["image", schema.image_classes]]) {
      for (const definition of classes) {
        if (definition.key && !keys.has(definition.key)) keys.set(definition.key, [kind, definition.name]);
      }
    }
    const named = new Set([...keys.values()].map(([, name]) => name));
    const free = [...DIGITS].filter((digit) => !keys.has(digit));
    for (const definition of schema.object_classes) {
      if (named.has(definition.name)) continue;
      const digit = free.shift();
      if (digit === void 0) break;
      keys.set(digit, ["object", definition.name]);
    }
    return keys;
  }
  function objectPlaces(data, width) {
    const sums = /* @__PURE__ */ new Map();
    for (let i = 0, row2 = 0, col = 0; i < data.length; i++, col++) {
      if (col === width) {
        col = 0;
        row2++;
      }
      const id = data[i];
      if (!id) continue;
      const s = sums.get(id);
      if (s === void 0) sums.set(id, [row2, col, 1, row2, col, row2, col]);
      else {
        s[0] += row2;
        s[1] += col;
        s[2]++;
        if (row2 < s[3]) s[3] = row2;
        if (col < s[4]) s[4] = col;
        if (row2 > s[5]) s[5] = row2;
        if (col > s[6]) s[6] = col;
      }
    }
    const places = /* @__PURE__ */ new Map();
    for (const [id, s] of sums) {
      places.set(id, { row: s[0] / s[2], col: s[1] / s[2], count: s[2], box: [s[3], s[4], s[5] + 1, s[6] + 1] });
    }
    return places;
  }
  var ClassPalette = class {
    constructor() {
      this.schema = NO_CLASSES;
      this.current = "";
      this.objects = /* @__PURE__ */ new Map();
      this.image = [];
      /** The object a class button or key re-classes (0: none). */
      this.selected = 0;
      /** The guesses' confidences, kept when the annotator decides them (to step through them in order). */
      this.guessConfidence = /* @__PURE__ */ new Map();
    }
    /** A project's schema; the current class stays when the new schema has it. */
    use(schema) {
      this.schema = schema;
      const names = this.names("object");
      if (!names.includes(this.current)) this.current = names[0] || "";
    }
    names(kind) {
      return (kind === "object" ? this.schema.object_classes : this.schema.image_classes).map((c) => c.name);
    }
    get hasObjectClasses() {
      return this.schema.object_classes.length > 0;
    }
    get hasImageClasses() {
      return this.schema.image_classes.length > 0;
    }
    /** Make ``name`` the current class: new objects get it. */
    choose(name) {
      this.require(name);
      this.current = name;
    }
    /** A new sample: the classes of the mask it starts from (a stored label's, or a pre-label's guesses). */
    start(classes) {
      this.objects = /* @__PURE__ */ new Map();
      this.image = [];
      this.selected = 0;
      this.guessConfidence = /* @__PURE__ */ new Map();
      if (!classes) return;
      for (const [id, [name, confidence]] of Object.entries(classes.objects)) {
        this.objects.set(Number(id), {
          name,
          source: classes.guessed ? "guessed" : "stored",
          confidence: classes.guessed ? confidence : 1
        });
        if (classes.guessed) this.guessConfidence.set(Number(id), confidence);
      }
      if (!classes.guessed || this.hasImageClasses) this.image = [...classes.image];
    }
    /** Objects that appeared in the label: those without a class get the current one, and (with ``select``)
     * the newest becomes selected. Returns the ids that got a class. */
    appeared(ids, select = true) {
      const given = [];
      for (const id of [...ids].filter((i) => i > 0).sort((a, b) => a - b)) {
        if (!this.objects.has(id) && this.current) {
          this.objects.set(id, { name: this.current, source: "default", confidence: 1 });
          given.push(id);
        }
      }
      if (given.length && select) this.selected = given[given.length - 1];
      return given;
    }
    /** The class object ``id`` has, else the current class (the one a new object gets). */
    classOf(id) {
      return this.objects.get(id)?.name ?? this.current;
    }
    /** Give the selected object (or ``id``) class ``name`` (the current class by default), as the annotator's
     * decision; returns the object's id (0: none selected). */
    assign(name = this.current, id = this.selected) {
      this.require(name);
      if (id > 0) {
        this.objects.set(id, { name, source: "set", confidence: 1 });
        this.selected = id;
      }
      return id;
    }
    /** A class button or key: an object class becomes current and re-classes the selected object. */
    pick(name) {
      this.choose(name);
      if (this.selected) this.assign(name);
    }
    /** A class key: as :meth:`pick` for an object class, a toggle for an image class; null for no class's key. */
    press(key) {
      const keys = classKeys(this.schema);
      const found = keys.get(key) || keys.get(key.toLowerCase()) || null;
      if (!found) return null;
      if (found[0] === "object") this.pick(found[1]);
      else this.toggleImage(found[1], !this.image.includes(found[1]));
      return found;
    }
    /** Tick or untick an image class; a single-label schema keeps at most one. */
    toggleImage(name, on) {
      if (!this.names("image").includes(name)) {
        throw new Error(`no image class ${name}; the project's image classes: ${this.names("image").join(", ") || "none"}`);
      }
      if (!on) this.image = this.image.filter((c) => c !== name);
      else if (this.schema.multi_label) this.image = this.names("image").filter((c) => c === name || this.image.includes(c));
      else this.image = [name];
    }
    /** The next guessed object in ``present`` not yet decided, the least confident first (after the guess of
     * object ``after``, cycling); 0 when every guess is decided. It becomes selected. */
    leastSure(present, after = this.selected) {
      let open2 = [...this.objects].filter(([id, c]) => c.source === "guessed" && present.has(id)).map(([id, c]) => [c.confidence, id]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      if (!open2.length) return 0;
      const from = this.guessConfidence.get(after);
      if (from !== void 0) {
        const later = open2.filter(([c, id]) => c > from || c === from && id > after);
        if (later.length) open2 = later;
      }
      this.selected = open2[0][1];
      return this.selected;
    }
    /** What the canvas writes on an object: its id and class, with the confidence while it is a guess. */
    caption(id) {
      const found = this.objects.get(id);
      if (!found) return String(id);
      return `${id} ${found.name}${found.source === "guessed" ? ` ${Math.round(found.confidence * 100)}%?` : ""}`;
    }
    /** An object's colour: its class's (the current class's while it has none). */
    colourOf(id) {
      const name = this.classOf(id);
      const definition = this.schema.object_classes.find((c) => c.name === name);
      return definition ? rgb(definition.colour) : UNCLASSIFIED;
    }
    /** The objects of ``present`` per class, in the schema's order. */
    counts(present) {
      const counts = new Map(this.names("object").map((name) => [name, 0]));
      for (const [id, c] of this.objects) if (present.has(id)) counts.set(c.name, (counts.get(c.name) || 0) + 1);
      return counts;
    }
    /** The classes to keep with a label of objects ``present`` (objects without a class are left out). */
    saved(present) {
      return { objects: [...this.objects].filter(([id]) => present.has(id)).sort((a, b) => a[0] - b[0]).map(([id, c]) => [id, c.name, c.source, c.confidence]), image: [...this.image] };
    }
    /** The classes a draft kept (a reload, a crash). */
    restore(saved) {
      this.start(null);
      for (const [id, name, source, confidence] of saved.objects) {
        this.objects.set(id, { name, source, confidence });
        if (source === "guessed") this.guessConfidence.set(id, confidence);
      }
      this.image = [...saved.image];
    }
    require(name) {
      if (!this.names("object").includes(name)) {
        throw new Error(`no object class ${name}; the project's object classes: ${this.names("object").join(", ") || "none"}`);
      }
    }
  };
  function labelClasses(saved) {
    const grouped = {};
    for (const [id, name] of saved.objects) (grouped[name] || (grouped[name] = [])).push(id);
    return { objects: grouped, image: saved.image };
  }

  // src/contrast.ts
  function channels(raw) {
    return raw.shape.length === 3 ? raw.shape[2] : 1;
  }
  function autoWindow(raw, channel) {
    const c = channels(raw), n = raw.shape[0] * raw.shape[1];
    const step = Math.max(1, Math.floor(n / 65536));
    const sample = [];
    for (let i = 0; i < n; i += step) {
      if (channel < 0) for (let k = 0; k < Math.min(c, 3); k++) sample.push(raw.data[i * c + k]);
      else sample.push(raw.data[i * c + channel]);
    }
    sample.sort((a, b) => a - b);
    const at = (q) => sample[Math.min(sample.length - 1, Math.floor(q * sample.length))];
    return { channel, low: at(5e-3), high: Math.max(at(0.995), at(5e-3) + 1e-6) };
  }
  function range(raw) {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < raw.data.length; i++) {
      const v = raw.data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return [lo, hi];
  }
  function render(raw, window2, into) {
    const [h, w] = raw.shape, c = channels(raw);
    into.width = w;
    into.height = h;
    const ctx = into.getContext("2d");
    const pixels = ctx.createImageData(w, h);
    const out = pixels.data, scale = 255 / (window2.high - window2.low);
    const value = (v) => Math.max(0, Math.min(255, (v - window2.low) * scale));
    for (let i = 0; i < w * h; i++) {
      const o = i * 4;
      if (window2.channel < 0 && c > 1) {
        out[o] = value(raw.data[i * c]);
        out[o + 1] = value(raw.data[i * c + 1]);
        out[o + 2] = c > 2 ? value(raw.data[i * c + 2]) : 0;
      } else {
        const v = value(raw.data[i * c + Math.max(window2.channel, 0)]);
        out[o] = out[o + 1] = out[o + 2] = v;
      }
      out[o + 3] = 255;
    }
    ctx.putImageData(pixels, 0, 0);
  }

  // src/palette.ts
  var $2 = (id) => document.getElementById(id);
  var SOURCE_WORDS = { set: "set by you", default: "the current class when drawn", stored: "stored" };
  var PalettePanel = class {
    /** ``changed``: the classes changed (redraw, keep a draft); ``leastSure``: select the least sure guess. */
    constructor(palette, changed2, leastSure2) {
      this.palette = palette;
      this.changed = changed2;
      this.objectButtons = /* @__PURE__ */ new Map();
      this.imageButtons = /* @__PURE__ */ new Map();
      onPress($2("least-sure"), leastSure2);
    }
    /** Buttons for the palette's schema; hidden for a project without classes. */
    build() {
      const { schema } = this.palette;
      const keyOf = new Map([...classKeys(schema)].map(([key, [, name]]) => [name, key]));
      const objects = $2("object-classes"), images = $2("image-classes");
      objects.replaceChildren();
      images.replaceChildren();
      this.objectButtons.clear();
      this.imageButtons.clear();
      for (const definition of schema.object_classes) {
        const button = classButton(definition.name, keyOf.get(definition.name), definition.colour);
        onPress(button, () => {
          this.palette.pick(definition.name);
          this.changed();
        });
        objects.appendChild(button);
        this.objectButtons.set(definition.name, button);
      }
      for (const definition of schema.image_classes) {
        const button = classButton(definition.name, keyOf.get(definition.name), "");
        button.setAttribute("role", schema.multi_label ? "checkbox" : "radio");
        onPress(button, () => {
          this.palette.toggleImage(definition.name, !this.palette.image.includes(definition.name));
          this.changed();
        });
        images.appendChild(button);
        this.imageButtons.set(definition.name, button);
      }
      $2("image-classes-title").textContent = schema.multi_label ? "Image classes (any)" : "Image class (one)";
      for (const id of ["object-classes", "least-sure", "selected-object"]) $2(id).hidden = !this.palette.hasObjectClasses;
      for (const id of ["image-classes", "image-classes-title"]) $2(id).hidden = !this.palette.hasImageClasses;
      $2("classes-panel").hidden = !this.palette.hasObjectClasses && !this.palette.hasImageClasses;
    }
    /** The current class, the counts of the label's objects ``present``, the image's classes, the selection. */
    show(present) {
      const palette = this.palette, counts = palette.counts(present);
      for (const [name, button] of this.objectButtons) {
        button.setAttribute("aria-pressed", String(name === palette.current));
        button.querySelector(".count").textContent = String(counts.get(name) || 0);
      }
      for (const [name, button] of this.imageButtons) button.setAttribute("aria-checked", String(palette.image.includes(name)));
      const found = palette.selected ? palette.objects.get(palette.selected) : void 0;
      $2("selected-object").textContent = !found ? "Select (tool) and tap an object, then a class to re-class it" : `Object ${palette.selected}: ${found.name} (${found.source === "guessed" ? `the class model's guess, ${Math.round(found.confidence * 100)}% sure` : SOURCE_WORDS[found.source]})`;
    }
  };
  function classButton(name, key, colour2) {
    const button = document.createElement("button");
    button.className = "class";
    button.dataset.class = name;
    if (colour2) {
      button.classList.add("object");
      button.style.borderLeftColor = colour2;
    }
    const label = document.createElement("span");
    label.textContent = name;
    button.appendChild(label);
    if (colour2) {
      const count = document.createElement("span");
      count.className = "count";
      button.appendChild(count);
    }
    if (key) {
      const shown = document.createElement("kbd");
      shown.textContent = key;
      button.appendChild(shown);
    }
    return button;
  }

  // src/view.ts
  var PALM_MS = 800;
  var View = class {
    constructor(parent, stroke) {
      this.stroke = stroke;
      this.image = null;
      this.overlay = null;
      this.imageWidth = 0;
      this.imageHeight = 0;
      this.boxes = [];
      this.captions = [];
      this.clicks = [];
      /** A polygon or lasso being drawn, as image (row, col) points. */
      this.path = [];
      this.scale = 1;
      /** Milliseconds from each drawing pointer move's event to its pixels drawn in the canvas (``drawnLatencies``)
       * and to the start of the frame after them (``latencies``), and the page's own work: each such event's
       * handler, each drawing of a stroke (read by benchmarks). */
      this.latencies = [];
      this.drawnLatencies = [];
      this.handlerMs = [];
      this.drawMs = [];
      this.tx = 0;
      this.ty = 0;
      this.pending = false;
      // What the next frame repaints: everything, or the overlay within image boxes (x0, y0, x1, y1).
      this.full = false;
      this.marks = false;
      this.pointers = /* @__PURE__ */ new Map();
      this.drawing = null;
      this.gesture = null;
      this.panning = null;
      this.penSeen = 0;
      // Whether the annotator has panned or zoomed: until then a resize fits the image again.
      this.moved = false;
      // Chromium's pointerrawupdate comes as soon as the pointer moves, where pointermove waits for the next frame.
      this.rawUpdates = false;
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
        c.addEventListener("pointerrawupdate", (e) => {
          if (this.drawing === e.pointerId) this.strokeMove(e);
        });
      }
      c.addEventListener("pointerup", (e) => this.up(e));
      c.addEventListener("pointercancel", (e) => this.up(e, true));
      c.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
      c.addEventListener("contextmenu", (e) => e.preventDefault());
    }
    show(image, width, height) {
      this.image = image;
      this.imageWidth = width;
      this.imageHeight = height;
      this.fit();
    }
    fit() {
      const rect = this.canvas.getBoundingClientRect();
      if (!this.imageWidth || !rect.width) return;
      this.moved = false;
      this.scale = Math.min(rect.width / this.imageWidth, rect.height / this.imageHeight);
      this.tx = (rect.width - this.imageWidth * this.scale) / 2;
      this.ty = (rect.height - this.imageHeight * this.scale) / 2;
      this.redraw();
    }
    /** Centre and zoom on a box (row0, col0, row1, col1) of the image. */
    focus(box) {
      const rect = this.canvas.getBoundingClientRect();
      const h = Math.max(box[2] - box[0], 8), w = Math.max(box[3] - box[1], 8);
      this.moved = true;
      this.scale = Math.min(rect.width / (w * 3), rect.height / (h * 3), 16);
      this.tx = rect.width / 2 - (box[1] + box[3]) / 2 * this.scale;
      this.ty = rect.height / 2 - (box[0] + box[2]) / 2 * this.scale;
      this.redraw();
    }
    resize() {
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
    redraw() {
      this.full = true;
      this.schedule();
    }
    /** Repaint the top canvas alone in the next frame (a lasso being drawn, clicks). */
    redrawMarks() {
      this.marks = true;
      this.schedule();
    }
    /** Repaint only what the label changed in the next frame (a stroke). */
    redrawOverlay() {
      this.schedule();
    }
    schedule() {
      if (this.pending) return;
      this.pending = true;
      requestAnimationFrame(() => {
        this.pending = false;
        this.draw();
      });
    }
    draw() {
      const started = performance.now();
      const full = this.full, marks = this.marks, dirty = this.overlay?.flush() ?? null;
      this.full = this.marks = false;
      if (!full && !marks && !dirty) return;
      if (full) this.drawBase();
      const ctx = this.canvas.getContext("2d");
      const dpr = window.devicePixelRatio || 1;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.save();
      if (!full && !marks && dirty) {
        const s = dpr * this.scale, x = Math.floor(dpr * this.tx + dirty[0] * s) - 1, y = Math.floor(dpr * this.ty + dirty[1] * s) - 1;
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
      if (this.drawing !== null && this.drawMs.length < 1e4) this.drawMs.push(performance.now() - started);
    }
    drawBase() {
      const ctx = this.base.getContext("2d");
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
    drawMarks(ctx, dpr, within) {
      if (!this.image) return;
      ctx.setTransform(dpr * this.scale, 0, 0, dpr * this.scale, dpr * this.tx, dpr * this.ty);
      if (this.overlay) {
        ctx.imageSmoothingEnabled = false;
        const m = within ? Math.ceil(4 / (dpr * this.scale)) + 1 : 0;
        const [x0, y0, x1, y1] = within ? [
          Math.max(0, within[0] - m),
          Math.max(0, within[1] - m),
          Math.min(this.imageWidth, within[2] + m),
          Math.min(this.imageHeight, within[3] + m)
        ] : [0, 0, this.imageWidth, this.imageHeight];
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
        for (const [row2, col] of this.path) ctx.lineTo(col, row2);
        ctx.stroke();
        for (const [row2, col] of this.path.length < 64 ? this.path : [this.path[0]]) {
          ctx.fillRect(col - 3 / this.scale, row2 - 3 / this.scale, 6 / this.scale, 6 / this.scale);
        }
      }
      for (const [row2, col, positive] of this.clicks) {
        ctx.fillStyle = positive ? "#3f6" : "#f36";
        ctx.beginPath();
        ctx.arc(col, row2, 5 / this.scale, 0, Math.PI * 2);
        ctx.fill();
      }
    }
    /** Each object's id and class, legible on any image (white on a dark edge), at a size the zoom leaves alone. */
    drawCaptions(ctx) {
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
    toImage(clientX, clientY, rect = this.canvas.getBoundingClientRect()) {
      return [(clientY - rect.top - this.ty) / this.scale, (clientX - rect.left - this.tx) / this.scale];
    }
    down(e) {
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
        const [row2, col] = this.toImage(e.clientX, e.clientY);
        this.stroke.start(row2, col, pressureOf(e), e.pointerType);
      }
    }
    move(e) {
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
    strokeMove(e) {
      const started = performance.now();
      const events = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
      const rect = this.canvas.getBoundingClientRect();
      for (const one of events.length ? events : [e]) {
        const [row2, col] = this.toImage(one.clientX, one.clientY, rect);
        this.stroke.move(row2, col, pressureOf(one));
      }
      if (!this.full && !this.marks) this.draw();
      const drawn2 = performance.now(), at = e.timeStamp;
      if (this.handlerMs.length < 1e4) {
        this.handlerMs.push(drawn2 - started);
        this.drawnLatencies.push(drawn2 - at);
      }
      requestAnimationFrame(() => {
        if (this.latencies.length < 1e4) this.latencies.push(performance.now() - at);
      });
    }
    up(e, cancelled = false) {
      if (!this.pointers.delete(e.pointerId)) return;
      if (this.drawing === e.pointerId) {
        this.drawing = null;
        if (cancelled) this.stroke.cancel();
        else this.stroke.end();
      }
      if (this.panning && e.pointerType === "mouse") this.panning = null;
      if (this.gesture && [...this.pointers.values()].filter((p) => p.type === "touch").length < 2) {
        if (this.pointers.size === 0) this.gesture = null;
      }
    }
    /** The pen came down: touches already on the glass are a palm that landed first. Its stroke is undone, and
     * it neither draws nor pans until it lifts and touches again. */
    dropTouches() {
      const drawing = this.drawing === null ? void 0 : this.pointers.get(this.drawing);
      if (drawing?.type === "touch") {
        this.stroke.cancel();
        this.drawing = null;
      }
      for (const [id, pointer] of this.pointers) if (pointer.type === "touch") this.pointers.delete(id);
      this.gesture = null;
    }
    wheel(e) {
      e.preventDefault();
      this.moved = true;
      const rect = this.canvas.getBoundingClientRect();
      const factor = Math.exp(-e.deltaY * 15e-4);
      const mx = e.clientX - rect.left, my = e.clientY - rect.top;
      this.tx = mx - (mx - this.tx) * factor;
      this.ty = my - (my - this.ty) * factor;
      this.scale *= factor;
      this.redraw();
    }
    measure(touches) {
      const [a, b] = touches;
      return { distance: Math.hypot(a.x - b.x, a.y - b.y), mx: (a.x + b.x) / 2, my: (a.y + b.y) / 2 };
    }
  };
  function pressureOf(e) {
    return e.pointerType === "pen" && e.pressure > 0 ? e.pressure : 0.5;
  }

  // src/main.ts
  var $3 = (id) => document.getElementById(id);
  var RETRY_MS = [2e3, 4e3, 8e3, 15e3, 3e4];
  var DRAG_PX = 10;
  var CLOSE_PX = 22;
  var MAX_CAPTIONS = 400;
  var state = {
    api: new Api(""),
    annotator: "",
    projects: /* @__PURE__ */ new Map(),
    sample: null,
    label: null,
    imageCanvas: document.createElement("canvas"),
    raw: null,
    tool: "brush",
    negative: false,
    forceNew: false,
    brushId: 0,
    last: null,
    segment: null,
    polygon: [],
    drag: null,
    reviewing: false,
    reviewedUpTo: 0,
    lastReview: null,
    // Milliseconds from pressing Next to the image, and to the label to start from, on screen; and on the way to
    // the image: its answer's headers, its body, its pixels ready (from Next), and the gateway's steps.
    nextPressed: 0,
    timings: {},
    findings: [],
    inspectedRevision: -1,
    startedFrom: "none",
    startRevision: 0,
    renewTimer: 0,
    retryTimer: 0,
    sending: false,
    lastStored: null,
    // The label's classes (a project with classes), and where each of its objects lies.
    palette: new ClassPalette(),
    places: /* @__PURE__ */ new Map()
  };
  var ahead = new LookAhead(() => state.api, () => state.annotator);
  function status(text, error = false) {
    const line = $3("status");
    line.textContent = text;
    line.classList.toggle("error", error);
  }
  function explain(error) {
    if (error instanceof ApiError || error instanceof NetworkError) return error.message;
    return String(error);
  }
  var view = new View($3("canvas-area"), {
    start(row2, col, pressure) {
      const label = state.label;
      if (!label) return;
      if (state.tool === "click") {
        addClick(row2, col);
        return;
      }
      endSegment();
      if (state.tool === "select") {
        selectAt(row2, col);
        return;
      }
      if (state.tool === "lasso") {
        state.drag = [[row2, col]];
        return;
      }
      if (state.tool === "fill") {
        fillAt(row2, col);
        return;
      }
      state.brushId = state.tool === "eraser" ? 0 : objectAt(row2, col, label);
      label.begin();
      label.stamp(row2, col, radius(pressure), state.brushId);
      state.last = [row2, col];
      drawn();
    },
    move(row2, col, pressure) {
      const label = state.label;
      if (state.drag) {
        state.drag.push([row2, col]);
        view.path = [...state.polygon, ...state.drag];
        view.redrawMarks();
        return;
      }
      if (!label || !state.last || state.tool === "click") return;
      label.line(state.last[0], state.last[1], row2, col, radius(pressure), state.brushId);
      state.last = [row2, col];
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
    }
  });
  function radius(pressure) {
    const size = Number($3("size").value);
    return size / 2 * (0.3 + 1.4 * pressure);
  }
  function drawn() {
    view.redrawOverlay();
  }
  function changed(marks = true) {
    const label = state.label;
    if (showClasses() || marks) view.redrawMarks();
    else view.redrawOverlay();
    $3("undo").disabled = !label?.canUndo;
    $3("redo").disabled = !label?.canRedo;
    const id = state.segment ? state.segment.id : state.brushId;
    $3("object").textContent = label ? `object ${id || "-"} · ${label.objectCount()} objects` : "";
  }
  var palettePanel = new PalettePanel(state.palette, () => {
    changed();
    saveDraft();
  }, leastSure);
  function showClasses(select = true) {
    const { label, palette } = state;
    if (!label || !palette.hasObjectClasses) {
      palettePanel.show(/* @__PURE__ */ new Set());
      return false;
    }
    state.places = objectPlaces(label.data, label.width);
    palette.appeared(state.places.keys(), select);
    label.recolour((id) => palette.colourOf(id));
    view.captions = state.places.size > MAX_CAPTIONS ? [] : [...state.places].map(([id, place]) => ({ row: place.row, col: place.col, text: palette.caption(id), box: id === palette.selected ? place.box : void 0 }));
    palettePanel.show(new Set(state.places.keys()));
    return true;
  }
  function objectClass(id) {
    return state.palette.hasObjectClasses ? state.palette.classOf(id) : "";
  }
  function selectAt(row2, col) {
    if (!state.label || !state.palette.hasObjectClasses) return;
    state.palette.selected = state.label.at(Math.floor(row2), Math.floor(col));
    changed();
  }
  function leastSure() {
    const found = state.palette.leastSure(new Set(state.places.keys()));
    if (!found) {
      status("Every class guess is decided: Submit stores them");
      return;
    }
    view.focus(state.places.get(found).box);
    changed();
  }
  function selectTool(tool) {
    endSegment();
    endPolygon();
    state.tool = tool;
    for (const button of document.querySelectorAll("[data-tool]")) {
      button.setAttribute("aria-pressed", String(button.dataset.tool === tool));
    }
    $3("negative").hidden = tool !== "click";
  }
  async function addClick(row2, col) {
    const label = state.label, sample = state.sample;
    if (!label || !sample) return;
    if (row2 < 0 || col < 0 || row2 >= label.height || col >= label.width) return;
    if (!state.segment) {
      if (state.negative) {
        status("Start an object with a positive click; negative clicks then take parts away.", true);
        return;
      }
      state.segment = { id: label.maxId() + 1, clicks: [], asked: 0 };
      label.begin();
    }
    const segment = state.segment;
    segment.clicks.push([row2, col, !state.negative]);
    view.clicks = segment.clicks;
    const asked = ++segment.asked;
    changed();
    try {
      const response = await state.api.request(
        "POST",
        `/api/samples/${sample.sample_id}/segment`,
        JSON.stringify({ clicks: segment.clicks, object_class: objectClass(segment.id) }),
        { "Content-Type": "application/json" }
      );
      const crop = await readArray(response);
      if (state.segment !== segment || asked !== segment.asked || state.label !== label) return;
      label.revertOpen();
      label.place(
        crop.data,
        crop.shape[0],
        crop.shape[1],
        Number(response.headers.get("X-Crop-Top")),
        Number(response.headers.get("X-Crop-Left")),
        segment.id
      );
      changed();
      status(`Object ${segment.id}: ${response.headers.get("X-Object-Area")} pixels from ${segment.clicks.length} clicks`);
    } catch (error) {
      segment.clicks.pop();
      view.clicks = segment.clicks;
      view.redraw();
      status(`Click-to-segment: ${explain(error)}`, true);
    }
  }
  function endSegment() {
    if (!state.segment || !state.label) return;
    state.label.end();
    state.segment = null;
    view.clicks = [];
    changed();
    saveDraft();
  }
  function objectAt(row2, col, label) {
    const under = label.at(Math.floor(row2), Math.floor(col));
    const id = !state.forceNew && under || label.maxId() + 1;
    state.forceNew = false;
    return id;
  }
  function lassoEnd(drag) {
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
  function closeShape(points) {
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
  function endPolygon() {
    if (state.polygon.length >= 3) closeShape(state.polygon);
    state.polygon = [];
    view.path = [];
  }
  function fillAt(row2, col) {
    const label = state.label;
    if (!label) return;
    const id = state.forceNew || !state.brushId ? label.maxId() + 1 : state.brushId;
    state.forceNew = false;
    label.begin();
    const set = label.floodFill(Math.floor(row2), Math.floor(col), id);
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
  var draftTimer = 0;
  function saveDraft() {
    clearTimeout(draftTimer);
    draftTimer = window.setTimeout(() => {
      const { sample, label } = state;
      if (!sample || !label) return;
      if (state.last || state.drag) {
        saveDraft();
        return;
      }
      labelStore.put(stored("draft", sample, label)).catch(() => status("The browser cannot keep a draft here", true));
    }, 300);
  }
  function stored(kind, sample, label) {
    const key = kind === "draft" ? draftKey(sample.sample_id) : `submit:${sample.sample_id}:${Date.now()}`;
    const palette = state.palette, classified = palette.hasObjectClasses || palette.hasImageClasses;
    return {
      key,
      kind,
      sample_id: sample.sample_id,
      project: sample.project,
      annotator: state.annotator,
      origin: origin(label),
      shape: label.shape,
      data: narrowed(label.data),
      created: Date.now(),
      attempts: 0,
      classes: classified ? palette.saved(new Set(objectPlaces(label.data, label.width).keys())) : void 0
    };
  }
  function origin(label) {
    if (state.startedFrom !== "prelabel" && state.startedFrom !== "computed") return "manual";
    return label.revision === state.startRevision ? "accepted_prelabel" : "edited_prelabel";
  }
  async function updatePending() {
    const waiting = (await submits()).length;
    const badge = $3("pending");
    badge.textContent = waiting ? `${waiting} waiting to send` : "all sent";
    badge.classList.toggle("waiting", waiting > 0);
    return waiting;
  }
  async function sendPending() {
    if (state.sending) return;
    state.sending = true;
    clearTimeout(state.retryTimer);
    let retryIn = 0;
    try {
      for (const item of await submits()) {
        try {
          const response = await state.api.postLabel(
            `/api/samples/${item.sample_id}/label?annotator=${encodeURIComponent(item.annotator)}&origin=${item.origin}`,
            item.data,
            item.shape,
            item.attempts ? { "X-Submit-Retry": "1" } : {},
            item.classes ? labelClasses(item.classes) : void 0
          );
          const answer = await response.json();
          await labelStore.remove(item.key);
          state.lastStored = {
            sample_id: item.sample_id,
            version: answer.version,
            shape: item.shape,
            values: Array.from(item.data),
            classes: item.classes
          };
          status(`Sample ${item.sample_id}: stored as label version ${answer.version}`);
        } catch (error) {
          if (error instanceof NetworkError) {
            item.attempts++;
            await labelStore.put(item);
            retryIn = RETRY_MS[Math.min(item.attempts - 1, RETRY_MS.length - 1)];
            status(`Offline: the label of sample ${item.sample_id} waits in this browser and is sent when the gateway answers (${explain(error)})`, true);
            break;
          }
          await labelStore.remove(item.key);
          const denied = error instanceof ApiError && error.status === 403;
          status(`Sample ${item.sample_id} was not stored: ${denied ? "this token may not submit labels here (a reviewer's accepts or rejects them); " : ""}${explain(error)}`, true);
        }
      }
    } finally {
      state.sending = false;
      await updatePending();
      if (retryIn) state.retryTimer = window.setTimeout(sendPending, retryIn);
    }
  }
  async function signIn(event) {
    event.preventDefault();
    const token = $3("token").value.trim();
    state.annotator = $3("annotator").value.trim();
    state.api = new Api(token);
    try {
      const { projects } = await state.api.json("GET", "/api/projects");
      sessionStorage.setItem("labelassist.token", token);
      sessionStorage.setItem("labelassist.annotator", state.annotator);
      const select = $3("project");
      select.replaceChildren();
      for (const project of projects) {
        state.projects.set(project.name, project);
        select.add(new Option(`${project.name} (${project.labeled}/${project.total})`, project.name));
      }
      $3("signin").hidden = true;
      $3("app").hidden = false;
      view.fit();
      status(projects.length ? "Choose a project and press Next" : "No project yet: an admin creates one");
      await sendPending();
    } catch (error) {
      $3("signin-error").textContent = explain(error);
    }
  }
  async function next(skip = false) {
    state.nextPressed = performance.now();
    state.timings = {};
    const project = $3("project").value;
    if (!project) return;
    endSegment();
    endPolygon();
    const held = state.sample && !state.reviewing ? state.sample : null;
    status("Leasing the next sample…");
    try {
      const leased = await ahead.take(project);
      if (leased && held) ahead.release(held.sample_id, skip);
      const opened2 = leased ? leased.opened : await leasedView(await state.api.request(
        "POST",
        `/api/projects/${encodeURIComponent(project)}/next`,
        JSON.stringify({
          annotator: state.annotator,
          view: true,
          give_back: held?.sample_id || 0,
          skip,
          reason: skip ? "skipped in the browser" : ""
        }),
        { "Content-Type": "application/json" }
      ));
      if (held) labelStore.remove(draftKey(held.sample_id)).catch(() => void 0);
      if (!opened2) {
        clearSample();
        status("Nothing left: every sample is labelled or leased");
        return;
      }
      await open(opened2, false, leased?.starting);
    } catch (error) {
      status(`Next: ${explain(error)}`, true);
    }
  }
  async function reviewNext() {
    await giveBack();
    const project = $3("project").value;
    if (!project) return;
    status("Finding the next label to review…");
    try {
      const found = await state.api.json("GET", `/api/projects/${encodeURIComponent(project)}/review?after=${state.reviewedUpTo}`);
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
  async function editSample(sampleId) {
    await giveBack();
    try {
      await open(await readView(await state.api.request("GET", `/api/samples/${sampleId}/view`)), true);
    } catch (error) {
      status(`Edit: ${explain(error)}`, true);
    }
  }
  var agreementPanel = new AgreementPanel(() => state.api, () => state.annotator, status, editSample);
  async function verdict(accept) {
    const sample = state.sample;
    if (!sample || !state.reviewing) return;
    const comment = $3("review-comment");
    try {
      const reviewed = await state.api.json(
        "POST",
        `/api/samples/${sample.sample_id}/review`,
        { reviewer: state.annotator, accept, comment: comment.value.trim() }
      );
      state.reviewedUpTo = sample.sample_id;
      comment.value = "";
      await reviewNext();
      state.lastReview = { sample_id: reviewed.sample_id, review: reviewed.review, label_version: reviewed.label_version };
      status(`${reviewed.stem}: label v${reviewed.label_version} ${reviewed.review}. ${$3("status").textContent}`);
    } catch (error) {
      status(`Review: ${explain(error)}`, true);
    }
  }
  async function open(opened2, reviewing = false, fetched) {
    const { sample, picture, width, height } = opened2;
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
    $3("review-panel").hidden = !reviewing;
    $3("review-info").textContent = reviewing ? `Label v${sample.label_version} of ${sample.stem}` : "";
    showFindings();
    view.overlay = null;
    view.show(picture, width, height);
    const { timing } = opened2;
    Object.assign(state.timings, {
      next_to_headers_ms: timing.headers - asked,
      next_to_body_ms: timing.body - asked,
      next_to_pixels_ms: timing.pixels - asked,
      server: timing.server
    });
    const painted = afterPaint();
    painted.then((now) => {
      state.timings.next_to_image_ms = now - asked;
    });
    const starting = fetched || painted.then(() => startingLabel(state.api, sample.sample_id, width, height));
    $3("contrast-panel").hidden = true;
    $3("sample").textContent = `${sample.project} · ${sample.stem} (#${sample.sample_id})`;
    status(`Sample ${sample.stem}: ${width}×${height}, loading the label to start from…`);
    if (reviewing) clearInterval(state.renewTimer);
    else renewWhileOpen();
    const { label, source, classes, saved } = await starting;
    if (state.sample !== sample) return;
    state.label = label;
    view.overlay = label;
    state.startedFrom = source;
    state.startRevision = label.revision;
    if (saved) state.palette.restore(saved);
    else state.palette.start(classes);
    showClasses(false);
    const shown = { draft: "your unsent drawing, kept in this browser", none: "an empty label" }[source];
    const note = classes?.note ? ` (classes: ${classes.note})` : "";
    status(`Sample ${sample.stem}: ${width}×${height}, starting from ${shown || source}${note}`);
    changed();
    afterPaint().then((now) => {
      state.timings.next_to_prelabel_ms = now - asked;
    });
    if (!reviewing) ahead.start(sample.project, sample.sample_id);
  }
  function afterPaint() {
    return new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0)));
  }
  function clearSample() {
    state.sample = null;
    state.reviewing = false;
    $3("review-panel").hidden = true;
    state.label = null;
    view.overlay = null;
    view.image = null;
    view.boxes = [];
    view.captions = [];
    state.palette.start(null);
    view.redraw();
    $3("sample").textContent = "";
    clearInterval(state.renewTimer);
    changed();
  }
  function renewWhileOpen() {
    clearInterval(state.renewTimer);
    const lease = state.projects.get(state.sample?.project || "")?.lease_seconds || 1800;
    const every = Math.max(5, Math.min(lease / 3, 300)) * 1e3;
    state.renewTimer = window.setInterval(async () => {
      const sample = state.sample;
      if (!sample) return;
      try {
        if (ahead.sampleId) state.api.json(
          "POST",
          `/api/samples/${ahead.sampleId}/renew`,
          { annotator: state.annotator }
        ).catch(() => void 0);
        const answer = await state.api.json(
          "POST",
          `/api/samples/${sample.sample_id}/renew`,
          { annotator: state.annotator }
        );
        if (!answer.renewed) status("The lease on this sample has ended: Submit still stores it, or press Next", true);
      } catch {
      }
    }, every);
  }
  async function giveBack() {
    ahead.drop();
    endSegment();
    endPolygon();
    const sample = state.sample;
    if (!sample) return;
    if (state.reviewing) {
      clearSample();
      return;
    }
    try {
      await state.api.json("POST", `/api/samples/${sample.sample_id}/release`, { annotator: state.annotator });
    } catch (error) {
      status(`Release: ${explain(error)}`, true);
    }
    await labelStore.remove(draftKey(sample.sample_id)).catch(() => void 0);
    clearSample();
  }
  async function inspect() {
    const { sample, label } = state;
    if (!sample || !label) return 0;
    const response = await state.api.postLabel(`/api/samples/${sample.sample_id}/inspect`, label.data, label.shape);
    const report = await response.json();
    state.findings = report.findings;
    state.inspectedRevision = label.revision;
    showFindings();
    return report.warnings;
  }
  async function submit() {
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
    if (await labelStore.get(item.key) === void 0 && state.lastStored?.sample_id !== sample.sample_id) {
      return;
    }
    const reviewing = state.reviewing;
    clearSample();
    await (reviewing ? reviewNext() : next());
  }
  function showFindings() {
    const list = $3("findings");
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
    $3("findings-panel").hidden = state.findings.length === 0;
    view.redraw();
  }
  async function applyFix(finding) {
    const label = state.label;
    if (!label || !finding.fix) return;
    try {
      const query = `step=${encodeURIComponent(finding.fix.name)}&parameters=${encodeURIComponent(JSON.stringify(finding.fix.parameters || {}))}`;
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
  async function toggleContrast() {
    const panel = $3("contrast-panel");
    panel.hidden = !panel.hidden;
    const sample = state.sample;
    if (panel.hidden || !sample || state.raw) return;
    try {
      const { array } = await state.api.raw(`/api/samples/${sample.sample_id}/image`);
      if (!array || state.sample !== sample) return;
      state.raw = array;
      const select = $3("channel");
      select.replaceChildren(new Option(channels(array) > 1 ? "All (RGB)" : "Grey", "-1"));
      for (let c = 0; c < channels(array) && channels(array) > 1; c++) select.add(new Option(`Channel ${c + 1}`, String(c)));
      const [lo, hi] = range(array);
      for (const id of ["low", "high"]) {
        const input = $3(id);
        input.min = String(lo);
        input.max = String(hi);
        input.step = array.dtype.startsWith("float") ? String((hi - lo) / 1e3) : "1";
      }
      autoContrast();
    } catch (error) {
      status(`Contrast: ${explain(error)}`, true);
    }
  }
  function autoContrast() {
    if (!state.raw) return;
    const window2 = autoWindow(state.raw, Number($3("channel").value));
    $3("low").value = String(window2.low);
    $3("high").value = String(window2.high);
    applyContrast();
  }
  function applyContrast() {
    const raw = state.raw;
    if (!raw) return;
    const low = Number($3("low").value), high = Number($3("high").value);
    render(
      raw,
      { channel: Number($3("channel").value), low, high: Math.max(high, low + 1e-6) },
      state.imageCanvas
    );
    view.image = state.imageCanvas;
    view.redraw();
  }
  function wire() {
    $3("signin").addEventListener("submit", signIn);
    onPress($3("next"), next);
    onPress($3("skip"), () => next(true));
    onPress($3("release"), async () => {
      await giveBack();
      status("Sample given back");
    });
    onPress($3("submit"), submit);
    onPress($3("review"), reviewNext);
    onPress($3("agreement"), () => {
      const project = $3("project").value;
      if (project) return agreementPanel.show(project);
    });
    onPress($3("accept"), () => verdict(true));
    onPress($3("reject"), () => verdict(false));
    onPress($3("check"), () => inspect().catch((e) => status(`Inspection: ${explain(e)}`, true)));
    onPress($3("undo"), () => {
      if (state.polygon.length) {
        state.polygon.pop();
        view.redraw();
        return;
      }
      endSegment();
      state.label?.undo();
      changed();
      saveDraft();
    });
    onPress($3("redo"), () => {
      state.label?.redo();
      changed();
      saveDraft();
    });
    onPress($3("new-object"), () => {
      endSegment();
      state.forceNew = true;
      status("The next stroke starts a new object");
    });
    onPress($3("negative"), () => {
      state.negative = !state.negative;
      $3("negative").setAttribute("aria-pressed", String(state.negative));
    });
    onPress($3("fit"), () => view.fit());
    onPress($3("contrast"), toggleContrast);
    $3("channel").addEventListener("change", autoContrast);
    onPress($3("auto"), autoContrast);
    $3("low").addEventListener("input", applyContrast);
    $3("high").addEventListener("input", applyContrast);
    for (const button of document.querySelectorAll("[data-tool]")) {
      onPress(button, () => selectTool(button.dataset.tool));
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
      if (e.shiftKey) state.label?.redo();
      else state.label?.undo();
      changed();
    });
    window.addEventListener("online", sendPending);
    window.addEventListener("pagehide", () => {
      ahead.drop(true);
      const sample = state.sample;
      if (sample && !state.reviewing) state.api.request(
        "POST",
        `/api/samples/${sample.sample_id}/release`,
        JSON.stringify({ annotator: state.annotator }),
        { "Content-Type": "application/json" },
        true
      ).catch(() => {
      });
    });
    $3("token").value = sessionStorage.getItem("labelassist.token") || "";
    $3("annotator").value = sessionStorage.getItem("labelassist.annotator") || "";
    selectTool("brush");
    updatePending().catch(() => {
    });
  }
  window.labelAssist = {
    label: () => state.label && {
      sample_id: state.sample?.sample_id,
      shape: state.label.shape,
      values: Array.from(state.label.data)
    },
    lastStored: () => state.lastStored,
    lastReview: () => state.lastReview,
    agreement: () => ({ ...agreementPanel.loaded, lastAdjudicated: agreementPanel.lastAdjudicated }),
    reviewing: () => state.reviewing,
    classes: () => ({
      current: state.palette.current,
      selected: state.palette.selected,
      image: state.palette.image,
      objects: Object.fromEntries(state.palette.objects)
    }),
    findings: () => state.findings,
    timings: () => state.timings,
    ahead: () => ({ sample_id: ahead.sampleId, settled: ahead.settled }),
    strokeLatencies: () => ({ frame_ms: view.latencies.splice(0), drawn_ms: view.drawnLatencies.splice(0) }),
    strokeWork: () => ({ handler_ms: view.handlerMs.splice(0), draw_ms: view.drawMs.splice(0) }),
    pending: () => submits().then((items) => items.length),
    zoom: () => view.scale,
    imageToPage: (row2, col) => {
      const rect = view.canvas.getBoundingClientRect();
      return [rect.left + view.tx + col * view.scale, rect.top + view.ty + row2 * view.scale];
    }
  };
  wire();
})();
