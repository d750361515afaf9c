"""How the main window's widgets reach its views: every action with its
shortcut, the tool bar, the panel's buttons and choices, and the menus.
One place to look for what a key or a button does."""

from __future__ import annotations

from labelassist.client.gui.layout import ToolBar
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

Menus = list[tuple[str, list]]


def wire(window) -> tuple[ToolBar, Menus]:
    """Connect ``window``'s widgets to its views; the tool bar, and the menus
    as (title, actions) for the shortcut sheet."""
    tools = _tool_bar(window)
    _panel(window)
    return tools, _menus(window, tools)


def _tool_bar(window) -> ToolBar:
    canvas, action, projects = window.canvas, window.action, window.projects
    canvas.edited.connect(window.on_edited)
    canvas.flood_requested.connect(window.assist.flood_fill)
    canvas.segment_requested.connect(window.assist.segment_object)
    tools = ToolBar(action, canvas.brush_radius, window)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, tools)
    for tool, tool_action in tools.tool_actions.items():
        tool_action.triggered.connect(lambda _=False, t=tool: window.set_tool(t))
    size, opacity = tools.brush_size, tools.opacity
    size.valueChanged.connect(lambda v: setattr(canvas, "brush_radius", float(v)))
    opacity.valueChanged.connect(lambda v: canvas.set_opacity(v / 100))
    action("Smaller brush", "[", lambda: size.setValue(max(1, size.value() - 2)))
    action("Larger brush", "]", lambda: size.setValue(size.value() + 2))
    action("Toggle overlay", "H", lambda: opacity.setValue(0 if opacity.value() else 45))
    tools.addAction(action("Undo", "Ctrl+Z", canvas.undo))
    tools.addAction(action("Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], canvas.redo))
    action("Close polygon / finish object", ["Return", "Enter"], canvas.close_polygon)
    tools.addSeparator()
    tools.addAction(action("New project…", "Ctrl+Shift+N", projects.open_new_project))
    tools.addAction(action("Inspection settings…", "Ctrl+Shift+I", projects.open_inspection_settings))
    tools.addAction(action("Assist settings…", "Ctrl+Shift+E", projects.open_assist_settings))
    tools.addAction(action("Settings…", "Ctrl+,", projects.open_settings))
    return tools


def _panel(window) -> None:
    panel, assist, review, projects, browser = window.panel, window.assist, window.review, window.projects, \
        window.browser
    handlers = {"Next": window.next_sample, "Skip": window.skip_sample, "Pre-label": assist.run_prelabel,
                "Refine": assist.refine, "Post-process": assist.postprocess, "Inspect": window.inspect,
                "Apply fix": assist.apply_fix, "Submit": window.submit}
    window.action("Accept label", "Ctrl+Shift+A", lambda: review.review(True))
    window.action("Reject label", "Ctrl+Shift+R", lambda: review.review(False))
    for (text, handler), key in zip(handlers.items(), ("N", "K", "P", "R", "O", "I", "Shift+F", "Ctrl+S")):
        window.action(text, key, handler)
    for button, handler in ((panel.next_button, window.next_sample), (panel.next_below, window.next_sample),
                            (panel.skip_button, window.skip_sample), (panel.release_button, window.release_sample),
                            (panel.prelabel_button, assist.run_prelabel), (panel.refine_button, assist.refine),
                            (panel.clear_scribbles_button, window.canvas.clear_scribbles),
                            (panel.postprocess_button, assist.postprocess), (panel.inspect_button, window.inspect),
                            (panel.fix_button, assist.apply_fix), (panel.submit_button, window.submit),
                            (panel.accept_button, lambda: review.review(True)),
                            (panel.reject_button, lambda: review.review(False)), (panel.train_button, assist.train)):
        button.clicked.connect(handler)
    panel.project_combo.currentTextChanged.connect(lambda _: projects.refresh_progress())
    panel.project_combo.currentTextChanged.connect(browser.show_project)
    panel.project_combo.currentTextChanged.connect(projects.show_project_name)
    panel.display_combo.currentTextChanged.connect(assist.apply_display)
    panel.warnings.currentRowChanged.connect(window.show_finding)
    panel.warnings.itemDoubleClicked.connect(lambda _: assist.apply_fix())
    panel.compare_combo.currentIndexChanged.connect(review.compare_with)
    browser.open_requested.connect(window.open_sample)
    window.channel_panel.changed.connect(window.canvas.set_display)
    window.action("Previous in the sample list", "PgUp", lambda: browser.step(-1))
    window.action("Next in the sample list", "PgDown", lambda: browser.step(1))
    window.calls.busy_changed.connect(lambda n: window.busy.setRange(0, 0 if n else 1))


def _menus(window, tools: ToolBar) -> Menus:
    """File, Edit, View, Tools, Label, Project and Help, holding every action of the window."""
    named, action, admin, transfer = window.named_actions, window.action, window.admin, window.transfer
    quit_action = action("Quit", "Ctrl+Q", window.close)
    shortcuts = action("Keyboard shortcuts", ["F1", "?"], window.show_shortcuts)
    large = action("Large targets for touch", "Ctrl+Shift+L", window.set_large_targets, checkable=True)
    about = action("About Label Assistant", [], window.show_about)
    export = action("Export labels…", "Ctrl+Shift+X", transfer.open_export_labels)
    imported = action("Import labels…", "Ctrl+Shift+O", transfer.open_import_labels)
    menus: list[tuple[str, list[QAction | None]]] = [
        ("&File", [named["New project…"], named["Inspection settings…"], named["Assist settings…"],
                   named["Settings…"], None, export, imported, None, quit_action]),
        ("&Edit", [named["Undo"], named["Redo"], named["Close polygon / finish object"]]),
        ("&View", [window.browser.toggleViewAction(), window.channel_panel.toggleViewAction(),
                   window.panel.toggleViewAction(), window.classes.toggleViewAction(),
                   named["Toggle overlay"], named["Smaller brush"], named["Larger brush"], None, large]),
        ("&Tools", list(tools.tool_actions.values())),
        ("&Label", [named[n] for n in ("Next", "Skip", "Pre-label", "Refine", "Post-process", "Inspect",
                                       "Submit", "Previous in the sample list", "Next in the sample list",
                                       "Accept label", "Reject label", "Least sure class next")]),
        ("&Project", [action("Rename project…", [], admin.open_rename_project),
                      action("Delete project…", [], admin.open_delete_project), None,
                      action("Delete sample…", [], admin.open_delete_sample), None,
                      action("Agreement over time…", [], window.agreement.open)]),
        ("&Help", [shortcuts, about]),
    ]
    for title, actions in menus:
        menu = window.menuBar().addMenu(title)
        for item in actions:
            menu.addSeparator() if item is None else menu.addAction(item)
    return [(title.replace("&", ""), [a for a in actions if a is not None]) for title, actions in menus]
