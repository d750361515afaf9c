// The class palette beside the canvas: a button per object class in its colour
// with its key (tap: it becomes current and the selected object gets it), the
// least sure guess next, the selected object's class and where it came from,
// and the image's classes as toggles (one at most for a single-label schema).

import { ClassPalette, classKeys } from "./classes";
import { onPress } from "./press";

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const SOURCE_WORDS = { set: "set by you", default: "the current class when drawn", stored: "stored" };

export class PalettePanel {
  private objectButtons = new Map<string, HTMLButtonElement>();
  private imageButtons = new Map<string, HTMLButtonElement>();

  /** ``changed``: the classes changed (redraw, keep a draft); ``leastSure``: select the least sure guess. */
  constructor(private palette: ClassPalette, private changed: () => void, leastSure: () => void) {
    onPress($("least-sure"), leastSure);
  }

  /** Buttons for the palette's schema; hidden for a project without classes. */
  build(): void {
    const { schema } = this.palette;
    const keyOf = new Map([...classKeys(schema)].map(([key, [, name]]) => [name, key]));
    const objects = $("object-classes"), images = $("image-classes");
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
    $("image-classes-title").textContent = schema.multi_label ? "Image classes (any)" : "Image class (one)";
    for (const id of ["object-classes", "least-sure", "selected-object"]) $(id).hidden = !this.palette.hasObjectClasses;
    for (const id of ["image-classes", "image-classes-title"]) $(id).hidden = !this.palette.hasImageClasses;
    $("classes-panel").hidden = !this.palette.hasObjectClasses && !this.palette.hasImageClasses;
  }

  /** The current class, the counts of the label's objects ``present``, the image's classes, the selection. */
  show(present: Set<number>): void {
    const palette = this.palette, counts = palette.counts(present);
    for (const [name, button] of this.objectButtons) {
      button.setAttribute("aria-pressed", String(name === palette.current));
      button.querySelector(".count")!.textContent = String(counts.get(name) || 0);
    }
    for (const [name, button] of this.imageButtons) button.setAttribute("aria-checked", String(palette.image.includes(name)));
    const found = palette.selected ? palette.objects.get(palette.selected) : undefined;
    $("selected-object").textContent = !found ? "Select (tool) and tap an object, then a class to re-class it" :
      `Object ${palette.selected}: ${found.name} (${found.source === "guessed"
        ? `the class model's guess, ${Math.round(found.confidence * 100)}% sure` : SOURCE_WORDS[found.source]})`;
  }
}

function classButton(name: string, key: string | undefined, colour: string): HTMLButtonElement {
  const button = document.createElement("button");
  button.className = "class";
  button.dataset.class = name;
  if (colour) {
    button.classList.add("object");
    button.style.borderLeftColor = colour;
  }
  const label = document.createElement("span");
  label.textContent = name;
  button.appendChild(label);
  if (colour) {
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
