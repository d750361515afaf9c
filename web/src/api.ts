// The gateway's HTTP API (docs/web.md): JSON for small calls, raw little-endian
// arrays with X-Array-Shape / X-Array-Dtype headers for images and labels, and
// a sample's 8-bit view as raw bytes written straight into canvas pixels. An
// array with a description of any size (a sample and its class schema, a
// label's classes) is framed: a 4-byte little-endian length, the JSON, the array.

import type { ClassSchema } from "./classes";

export class ApiError extends Error {
  constructor(public status: number, message: string, public code: string) {
    super(message);
  }
}

/** The network failed (gateway down, Wi-Fi gone): the call may be retried. */
export class NetworkError extends Error {}

export interface SampleMeta {
  sample_id: number;
  project: string;
  stem: string;
  labeled: boolean;
  label_version: number;
  lease_expires_at: number;
  review: string;
  review_comment: string;
  /** The project's class schema (a view's answer; empty lists for segmentation alone). */
  classes?: ClassSchema;
}

export interface Finding {
  criterion: string;
  severity: string;
  message: string;
  object_ids: number[];
  boxes: number[][];
  fix: { name: string; parameters: Record<string, unknown> } | null;
}

export interface RawArray {
  shape: number[];
  dtype: string;
  data: Uint8Array | Uint16Array | Uint32Array | Float32Array | Int16Array | Int32Array;
}

export const FRAMED_TYPE = "application/vnd.labelassist.framed";

const TYPED: Record<string, any> = {
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, int16: Int16Array, int32: Int32Array,
  float32: Float32Array, bool: Uint8Array,
};

export class Api {
  constructor(public token: string) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}`, ...extra } : extra;
  }

  async request(method: string, path: string, body?: BodyInit, headers: Record<string, string> = {},
                keepalive = false): Promise<Response> {
    let response: Response;
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
        // a proxy's page, not the gateway's JSON
      }
      if (response.status === 502 || response.status === 503 || response.status === 504) {
        if (!code || code === "UNAVAILABLE") throw new NetworkError(message);
      }
      throw new ApiError(response.status, message, code);
    }
    return response;
  }

  async json(method: string, path: string, payload?: unknown): Promise<any> {
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const response = await this.request(method, path, body, body ? { "Content-Type": "application/json" } : {});
    return response.json();
  }

  /** An array answer, with the JSON it was framed behind (null for a raw one). */
  async raw(path: string): Promise<{ array: RawArray | null; description: any; headers: Headers }> {
    const response = await this.request("GET", path);
    if (response.status === 204) return { array: null, description: null, headers: response.headers };
    return { ...(await readDescribed(response)), headers: response.headers };
  }

  /** POST a label (lossless, gzip where the browser can), framed behind ``description`` where
   * there is one, and return the response. */
  async postLabel(path: string, label: LabelValues, shape: number[], extra: Record<string, string> = {},
                  description?: unknown): Promise<Response> {
    const { bytes, dtype } = narrowest(label);
    const headers: Record<string, string> = {
      "Content-Type": description === undefined ? "application/octet-stream" : FRAMED_TYPE,
      "X-Array-Shape": shape.join(","), "X-Array-Dtype": dtype, ...extra,
    };
    const payload = description === undefined ? bytes : framed(description, bytes);
    let body: BodyInit = payload;
    if (typeof CompressionStream !== "undefined") {
      const stream = new Blob([payload]).stream().pipeThrough(new CompressionStream("gzip"));
      body = await new Response(stream).arrayBuffer();
      headers["Content-Encoding"] = "gzip";
    }
    return this.request("POST", path, body, headers);
  }
}

/** A sample and its image as the view first shows it, ready to draw; ``timing``: when its answer's headers came,
 * its body was read into pixels, and the pixels were in the canvas (performance.now()), and the gateway's steps
 * (its Server-Timing header). */
export interface SampleView {
  sample: SampleMeta;
  picture: HTMLCanvasElement;
  width: number;
  height: number;
  timing: ViewTiming;
}

export interface ViewTiming { headers: number; body: number; pixels: number; server: Record<string, number>; }

/** A Server-Timing header's steps: name → milliseconds. */
export function serverTiming(header: string | null): Record<string, number> {
  const steps: Record<string, number> = {};
  for (const item of (header || "").split(",")) {
    const [name, ...parameters] = item.trim().split(";");
    const duration = parameters.find((p) => p.trim().startsWith("dur="));
    if (name && duration) steps[name] = Number(duration.trim().slice(4));
  }
  return steps;
}

/** Read a sample's view answer (the sample as the frame's JSON, then 8-bit grey or RGB bytes) into a canvas:
 * each piece of the body written into the pixels as it arrives, while the rest is on its way; no image decoder. */
export async function readView(response: Response): Promise<SampleView> {
  const headers = performance.now();
  const [height, width, colours = 1] = (response.headers.get("X-Array-Shape") || "").split(",").map(Number);
  const rgba = new Uint8ClampedArray(width * height * 4);
  const pixels = new Uint32Array(rgba.buffer);  // one pixel per element, ABGR on little-endian machines
  const reader = response.body!.getReader();
  let head: Uint8Array = new Uint8Array(0), description: any = null, written = 0;
  for (let piece = await reader.read(); !piece.done; piece = await reader.read()) {
    let bytes: Uint8Array = piece.value;
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
  picture.getContext("2d")!.putImageData(new ImageData(rgba, width, height), 0, 0);
  const server = serverTiming(response.headers.get("Server-Timing"));
  return { sample: description as SampleMeta, picture, width, height,
           timing: { headers, body, pixels: performance.now(), server } };
}

function joined(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!a.length) return b;
  const both = new Uint8Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  return both;
}

/** Write ``bytes`` (the view's, from byte ``at`` on: grey, or ``colours`` a pixel) into RGBA ``pixels``. */
function writePixels(pixels: Uint32Array, bytes: Uint8Array, at: number, colours: number): number {
  if (colours === 1) {
    for (let i = 0; i < bytes.length; i++) pixels[at + i] = 0xff000000 | (bytes[i] * 0x010101);
  } else {
    for (let i = 0; i < bytes.length; i++) {
      const k = at + i, p = (k / colours) | 0, c = k - p * colours;
      if (c < 3) pixels[p] |= 0xff000000 | (bytes[i] << (8 * c));
    }
  }
  return at + bytes.length;
}

/** A lease's answer with its view: null when nothing is left to lease (a JSON answer). */
export async function leasedView(response: Response): Promise<SampleView | null> {
  if (response.headers.get("Content-Type")?.startsWith("application/json")) return null;
  return readView(response);
}

export async function readArray(response: Response): Promise<RawArray> {
  return (await readDescribed(response)).array;
}

/** An array answer and, for a framed one, the JSON ahead of it (else null). */
export async function readDescribed(response: Response): Promise<{ array: RawArray; description: any }> {
  const shape = (response.headers.get("X-Array-Shape") || "").split(",").map(Number);
  const dtype = response.headers.get("X-Array-Dtype") || "uint8";
  const Typed = TYPED[dtype];
  if (!Typed) throw new ApiError(500, `the gateway sent an array of type ${dtype}`, "INTERNAL");
  let buffer = await response.arrayBuffer();
  let description: any = null;
  let offset = 0;
  if ((response.headers.get("Content-Type") || "").split(";")[0].trim() === FRAMED_TYPE) {
    const length = new DataView(buffer).getUint32(0, true);
    description = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
    offset = 4 + length;
    // Typed arrays start on a multiple of their element size: a copy where the JSON leaves it off one.
    if (offset % Typed.BYTES_PER_ELEMENT) [buffer, offset] = [buffer.slice(offset), 0];
  }
  return { array: { shape, dtype, data: new Typed(buffer, offset) }, description };
}

/** ``description`` as UTF-8 JSON behind its 4-byte little-endian length, then ``bytes``. */
export function framed(description: unknown, bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const text = new TextEncoder().encode(JSON.stringify(description));
  const body = new Uint8Array(4 + text.length + bytes.length);
  new DataView(body.buffer).setUint32(0, text.length, true);
  body.set(text, 4);
  body.set(bytes, 4 + text.length);
  return body;
}

export type LabelValues = Uint8Array | Uint16Array | Uint32Array;

/** A copy of the label in the smallest unsigned type that holds its largest id. */
export function narrowed(label: LabelValues): LabelValues {
  let top = 0;
  for (let i = 0; i < label.length; i++) if (label[i] > top) top = label[i];
  return top < 256 ? new Uint8Array(label) : top < 65536 ? new Uint16Array(label) : new Uint32Array(label);
}

/** The label's bytes in the smallest unsigned type that holds its largest id, little-endian. */
export function narrowest(label: LabelValues): { bytes: Uint8Array<ArrayBuffer>; dtype: string } {
  const values = narrowed(label);
  const dtype = values instanceof Uint8Array ? "uint8" : values instanceof Uint16Array ? "uint16" : "uint32";
  return { bytes: new Uint8Array(values.buffer as ArrayBuffer), dtype };
}
