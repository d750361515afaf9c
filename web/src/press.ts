// A button acts when a finger, pen or mouse is released over it, and on the
// keyboard's click. Chromium may fold a tap that follows a stroke within its
// double-tap time into a gesture and send no click; the pointerup still comes.

export function onPress(button: HTMLElement, action: () => unknown): void {
  let pressed = false;
  const enabled = () => !(button as HTMLButtonElement).disabled;
  button.addEventListener("pointerdown", (e) => { pressed = e.button === 0; });
  button.addEventListener("pointercancel", () => { pressed = false; });
  button.addEventListener("pointerup", (e) => {
    if (pressed && e.button === 0 && enabled()) action();
    pressed = false;
  });
  button.addEventListener("click", (e) => { if (e.detail === 0 && enabled()) action(); });
}
