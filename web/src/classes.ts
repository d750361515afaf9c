// The classes of the label being made, without the DOM (the same behaviour as
// the desktop client's ClassPalette): the project's classes, the current
// class, each object's class and where it came from (the class model's guess
// with its confidence, the annotator, the current class when the object
// appeared, or the stored label), and the image's classes. Objects are keyed
// by their id in the label: an object keeps its class while its id is there,
// and gets it back when an undo brings the id back.

export interface ClassDefinition { name: string; colour: string; key: string; }
export interface ClassSchema { object_classes: ClassDefinition[]; image_classes: ClassDefinition[]; multi_label: boolean; }

/** The classes of a mask as the gateway sends them (the JSON its mask is framed behind): id -> [class, confidence]. */
export interface MaskClasses {
  guessed: boolean;
  objects: Record<string, [string, number]>;
  image: string[];
  model: string;
  note: string;
}

export type Source = "guessed" | "set" | "default" | "stored";
export interface ObjectClass { name: string; source: Source; confidence: number; }

/** What a draft or a waiting submit keeps of the classes: [id, class, source, confidence] and the image's. */
export interface SavedClasses { objects: [number, string, Source, number][]; image: string[]; }

/** Where an object lies: its centre (row, col), its pixels and its box [row0, col0, row1, col1). */
export interface ObjectPlace { row: number; col: number; count: number; box: [number, number, number, number]; }

export const NO_CLASSES: ClassSchema = { object_classes: [], image_classes: [], multi_label: false };
const UNCLASSIFIED: [number, number, number] = [200, 200, 200];
const DIGITS = "123456789";

/** "#rrggbb" as [r, g, b]; the unclassified grey for anything else. */
export function rgb(colour: string): [number, number, number] {
  const found = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour || "");
  return found ? [parseInt(found[1], 16), parseInt(found[2], 16), parseInt(found[3], 16)] : UNCLASSIFIED;
}

/** Key -> [kind, class]: the schema's own keys, then digits 1-9 in order for object classes without one. */
export function classKeys(schema: ClassSchema): Map<string, ["object" | "image", string]> {
  const keys = new Map<string, ["object" | "image", string]>();
  for (const [kind, classes] of [["object", schema.object_classes], ["image", schema.image_classes]] as const) {
    for (const definition of classes) {
      if (definition.key && !keys.has(definition.key)) keys.set(definition.key, [kind, definition.name]);
    }
  }
  const named = new Set([...keys.values()].map(([, name]) => name));
  const free = [...DIGITS].filter((digit) => !keys.has(digit));
  for (const definition of schema.object_classes) {
    if (named.has(definition.name)) continue;
    const digit = free.shift();
    if (digit === undefined) break;
    keys.set(digit, ["object", definition.name]);
  }
  return keys;
}

/** Each object's place in a label, in one pass over its pixels. */
export function objectPlaces(data: Uint32Array, width: number): Map<number, ObjectPlace> {
  const sums = new Map<number, [number, number, number, number, number, number, number]>();
  for (let i = 0, row = 0, col = 0; i < data.length; i++, col++) {
    if (col === width) { col = 0; row++; }
    const id = data[i];
    if (!id) continue;
    const s = sums.get(id);
    if (s === undefined) sums.set(id, [row, col, 1, row, col, row, col]);
    else {
      s[0] += row; s[1] += col; s[2]++;
      if (row < s[3]) s[3] = row; if (col < s[4]) s[4] = col; if (row > s[5]) s[5] = row; if (col > s[6]) s[6] = col;
    }
  }
  const places = new Map<number, ObjectPlace>();
  for (const [id, s] of sums) {
    places.set(id, { row: s[0] / s[2], col: s[1] / s[2], count: s[2], box: [s[3], s[4], s[5] + 1, s[6] + 1] });
  }
  return places;
}

export class ClassPalette {
  schema: ClassSchema = NO_CLASSES;
  current = "";
  objects = new Map<number, ObjectClass>();
  image: string[] = [];
  /** The object a class button or key re-classes (0: none). */
  selected = 0;
  /** The guesses' confidences, kept when the annotator decides them (to step through them in order). */
  private guessConfidence = new Map<number, number>();

  /** A project's schema; the current class stays when the new schema has it. */
  use(schema: ClassSchema): void {
    this.schema = schema;
    const names = this.names("object");
    if (!names.includes(this.current)) this.current = names[0] || "";
  }

  names(kind: "object" | "image"): string[] {
    return (kind === "object" ? this.schema.object_classes : this.schema.image_classes).map((c) => c.name);
  }

  get hasObjectClasses(): boolean { return this.schema.object_classes.length > 0; }
  get hasImageClasses(): boolean { return this.schema.image_classes.length > 0; }

  /** Make ``name`` the current class: new objects get it. */
  choose(name: string): void {
    this.require(name);
    this.current = name;
  }

  /** A new sample: the classes of the mask it starts from (a stored label's, or a pre-label's guesses). */
  start(classes: MaskClasses | null): void {
    this.objects = new Map();
    this.image = [];
    this.selected = 0;
    this.guessConfidence = new Map();
    if (!classes) return;
    for (const [id, [name, confidence]] of Object.entries(classes.objects)) {
      this.objects.set(Number(id), { name, source: classes.guessed ? "guessed" : "stored",
                                     confidence: classes.guessed ? confidence : 1 });
      if (classes.guessed) this.guessConfidence.set(Number(id), confidence);
    }
    if (!classes.guessed || this.hasImageClasses) this.image = [...classes.image];
  }

  /** Objects that appeared in the label: those without a class get the current one, and (with ``select``)
   * the newest becomes selected. Returns the ids that got a class. */
  appeared(ids: Iterable<number>, select = true): number[] {
    const given: number[] = [];
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
  classOf(id: number): string {
    return this.objects.get(id)?.name ?? this.current;
  }

  /** Give the selected object (or ``id``) class ``name`` (the current class by default), as the annotator's
   * decision; returns the object's id (0: none selected). */
  assign(name = this.current, id = this.selected): number {
    this.require(name);
    if (id > 0) {
      this.objects.set(id, { name, source: "set", confidence: 1 });
      this.selected = id;
    }
    return id;
  }

  /** A class button or key: an object class becomes current and re-classes the selected object. */
  pick(name: string): void {
    this.choose(name);
    if (this.selected) this.assign(name);
  }

  /** A class key: as :meth:`pick` for an object class, a toggle for an image class; null for no class's key. */
  press(key: string): ["object" | "image", string] | null {
    const keys = classKeys(this.schema);
    const found = keys.get(key) || keys.get(key.toLowerCase()) || null;
    if (!found) return null;
    if (found[0] === "object") this.pick(found[1]);
    else this.toggleImage(found[1], !this.image.includes(found[1]));
    return found;
  }

  /** Tick or untick an image class; a single-label schema keeps at most one. */
  toggleImage(name: string, on: boolean): void {
    if (!this.names("image").includes(name)) {
      throw new Error(`no image class ${name}; the project's image classes: ${this.names("image").join(", ") || "none"}`);
    }
    if (!on) this.image = this.image.filter((c) => c !== name);
    else if (this.schema.multi_label) this.image = this.names("image").filter((c) => c === name || this.image.includes(c));
    else this.image = [name];
  }

  /** The next guessed object in ``present`` not yet decided, the least confident first (after the guess of
   * object ``after``, cycling); 0 when every guess is decided. It becomes selected. */
  leastSure(present: Set<number>, after = this.selected): number {
    let open = [...this.objects].filter(([id, c]) => c.source === "guessed" && present.has(id))
      .map(([id, c]) => [c.confidence, id] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    if (!open.length) return 0;
    const from = this.guessConfidence.get(after);
    if (from !== undefined) {
      const later = open.filter(([c, id]) => c > from || (c === from && id > after));
      if (later.length) open = later;
    }
    this.selected = open[0][1];
    return this.selected;
  }

  /** What the canvas writes on an object: its id and class, with the confidence while it is a guess. */
  caption(id: number): string {
    const found = this.objects.get(id);
    if (!found) return String(id);
    return `${id} ${found.name}${found.source === "guessed" ? ` ${Math.round(found.confidence * 100)}%?` : ""}`;
  }

  /** An object's colour: its class's (the current class's while it has none). */
  colourOf(id: number): [number, number, number] {
    const name = this.classOf(id);
    const definition = this.schema.object_classes.find((c) => c.name === name);
    return definition ? rgb(definition.colour) : UNCLASSIFIED;
  }

  /** The objects of ``present`` per class, in the schema's order. */
  counts(present: Set<number>): Map<string, number> {
    const counts = new Map(this.names("object").map((name) => [name, 0]));
    for (const [id, c] of this.objects) if (present.has(id)) counts.set(c.name, (counts.get(c.name) || 0) + 1);
    return counts;
  }

  /** The classes to keep with a label of objects ``present`` (objects without a class are left out). */
  saved(present: Set<number>): SavedClasses {
    return { objects: [...this.objects].filter(([id]) => present.has(id)).sort((a, b) => a[0] - b[0])
      .map(([id, c]) => [id, c.name, c.source, c.confidence]), image: [...this.image] };
  }

  /** The classes a draft kept (a reload, a crash). */
  restore(saved: SavedClasses): void {
    this.start(null);
    for (const [id, name, source, confidence] of saved.objects) {
      this.objects.set(id, { name, source, confidence });
      if (source === "guessed") this.guessConfidence.set(id, confidence);
    }
    this.image = [...saved.image];
  }

  private require(name: string): void {
    if (!this.names("object").includes(name)) {
      throw new Error(`no object class ${name}; the project's object classes: ${this.names("object").join(", ") || "none"}`);
    }
  }
}

/** Saved classes as the gateway takes them with a label (the JSON of its framed body): ids grouped by class. */
export function labelClasses(saved: SavedClasses): { objects: Record<string, number[]>; image: string[] } {
  const grouped: Record<string, number[]> = {};
  for (const [id, name] of saved.objects) (grouped[name] ||= []).push(id);
  return { objects: grouped, image: saved.image };
}
