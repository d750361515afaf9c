"""What the annotator reads: operations, strategies and failures in plain
words. The technical names (operation and strategy names, status codes,
the server's own message) stay available as details for the analyst, in
tooltips and the "Details" part of a message box."""

from __future__ import annotations

from collections.abc import Mapping

# Operation names as an annotator knows what they do; others show as they are.
OPERATION_NAMES = {
    "otsu": "Threshold (Otsu)",
    "li": "Threshold (Li)",
    "yen": "Threshold (Yen)",
    "triangle": "Threshold (triangle)",
    "mean": "Threshold (mean brightness)",
    "isodata": "Threshold (isodata)",
    "local": "Threshold, uneven background",
    "unet": "Trained model",
    "propagate": "Follow the neighbouring plane",
    "random_walker": "Grow from scribbles",
    "watershed": "Fill up to edges from scribbles",
    "flood_fill": "Fill similar brightness",
}
# What a project's pre-label runs without a chosen method, as the annotator sees it.
AUTOMATIC = "Automatic (project settings)"
AUTOMATIC_DETAILS = ("The project's assist settings, else its best measured pre-label source, else the default "
                     "pipeline: median (radius 2) -> li -> fill_holes -> remove_small_objects (30 px)")

# Failures by status code: what it means for the annotator and what to do.
PLAIN_FAILURES = {
    "UNAVAILABLE": "The Label Assistant services cannot be reached. Check their addresses in File ▸ Settings… "
                   "(Ctrl+,) and that they are running.",
    "DEADLINE_EXCEEDED": "The services took too long to answer. Try again in a moment.",
    "UNAUTHENTICATED": "The services did not accept the token. Enter yours in File ▸ Settings… (Ctrl+,).",
    "PERMISSION_DENIED": "Your account may not do this. Ask the project's owner for access.",
    "NOT_FOUND": "It is not there (any more). Pick another project or sample.",
    "INVALID_ARGUMENT": "The services could not use this input.",
    "FAILED_PRECONDITION": "This is not possible yet.",
    "RESOURCE_EXHAUSTED": "The services are busy or the image is too large. Try again in a moment.",
    "ALREADY_EXISTS": "It exists already.",
    "CANCELLED": "The request was cancelled.",
}
SERVER_FAULT = "The services hit a problem. Give the details below to whoever runs them."


def operation_name(name: str) -> str:
    """An operation's plain name (its technical name where it has none)."""
    return OPERATION_NAMES.get(name, name)


def split_failure(message: str, plain: Mapping[str, str] | None = None) -> tuple[str, str]:
    """A failure as (what the annotator reads, the technical details).

    ``message`` is the worker's text: "STATUS: the server's message" for a
    call the services refused, "ExceptionType: text" for a local one. The
    server's own message names what to do for input it rejects, so it is
    kept for those; transport errors (a refused connection, gRPC's debug
    text) become a sentence, the raw text their details. ``plain`` words
    some statuses for one action (a refused deletion is about the admin
    role, not about access in general)."""
    words = {**PLAIN_FAILURES, **(plain or {})}
    status, _, said = message.partition(": ")
    if status in ("INVALID_ARGUMENT", "FAILED_PRECONDITION", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED"):
        return f"{words[status]}\n{_first_line(said)}", message
    if status in words:
        return words[status], message
    if status in ("INTERNAL", "UNKNOWN", "DATA_LOSS", "UNIMPLEMENTED"):
        return SERVER_FAULT, message
    return _first_line(said or message), message


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


__all__ = ["AUTOMATIC", "AUTOMATIC_DETAILS", "OPERATION_NAMES", "operation_name", "split_failure"]


def class_guesses_text(guesses) -> tuple[str, str]:
    """A pre-label's class guesses (``ClassPrelabels``) for the status bar,
    and each object's class and confidence for its tooltip."""
    counts: dict[str, int] = {}
    for guess in guesses.objects.values():
        counts[guess.predicted_class] = counts.get(guess.predicted_class, 0) + 1
    parts = [", ".join(f"{name} {count}" for name, count in sorted(counts.items()))]
    if guesses.objects:
        least = min(guesses.objects.values(), key=lambda guess: guess.confidence)
        parts.append(f"least sure: object {least.object_id} ({least.predicted_class}, {least.confidence:.0%})")
    if guesses.image_classes:
        parts.append(f"image: {', '.join(guesses.image_classes)}")
    if guesses.note:
        parts.append(guesses.note)
    details = "\n".join(f"object {guess.object_id}: {guess.predicted_class} {guess.confidence:.0%}"
                        for _, guess in sorted(guesses.objects.items()))
    return f"classes by {guesses.model}: " + "; ".join(p for p in parts if p), details
