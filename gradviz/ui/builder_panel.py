"""The builder: make a function by clicking, and read the PyTorch code it means.

A palette (leaf tensors, constants and every op of the engine's registry, grouped), a small
graph of the nodes made so far, a form for the picked op or node, and the generated script.
Every edit is a `QUndoStack` command holding the model before and after, and every edit
rewrites the script (`codegen.to_code`): the code is what runs. Shape errors are PyTorch's
own messages (`builder_model.check` runs the nodes on the engine), shown on the node.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QKeySequence,
    QPainter,
    QPen,
    QTextCursor,
    QUndoCommand,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gradviz.ui import theme
from gradviz.ui.fonts import mono_font, ui_font

NODE_W, NODE_H = 156.0, 62.0
COL_GAP, ROW_GAP = 36.0, 20.0
MIN_SCALE = 0.6
LEAF_NAMES = ("x", "w", "b", "u", "v")
DTYPES = ("", "torch.float32", "torch.float64", "torch.int64")
ERROR_COLOR = QColor("#c5221f")
CUT_COLOR = QColor("#c5221f")
OUTPUT_COLOR = QColor("#188038")
KIND_ROLE = Qt.ItemDataRole.UserRole

# gradviz.core.builder_model loads the engine (~1 s cold): imported with the first panel,
# never at the window's start-up.
bm = None
cg = None


def _load_core() -> None:
    global bm, cg
    if bm is None:
        from gradviz.core import builder_model, codegen

        bm, cg = builder_model, codegen


# ----- undo ------------------------------------------------------------------------------------


class ModelEdit(QUndoCommand):
    """One builder edit: the model before and after (models are small; copies are cheap)."""

    def __init__(self, panel: BuilderPanel, text: str, before: bm.Model, after: bm.Model) -> None:
        super().__init__(text)
        self.panel, self.before, self.after = panel, before, after

    def redo(self) -> None:
        self.panel._set_model(self.after.copy())

    def undo(self) -> None:
        self.panel._set_model(self.before.copy())


# ----- the graph of nodes ------------------------------------------------------------------------


class NodeItem(QGraphicsItem):
    def __init__(self, name: str, title: str, detail: str, error: str | None, flags: set) -> None:
        super().__init__()
        self.name, self.title, self.detail, self.error, self.flags = (
            name,
            title,
            detail,
            error,
            flags,
        )
        self.selected = False
        self.setToolTip(error or detail)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return QRectF(-2, -2, NODE_W + 4, NODE_H + 4)

    def paint(self, p: QPainter, _option, _widget=None) -> None:
        pal = theme.PALETTE
        rect = QRectF(0, 0, NODE_W, NODE_H)
        fill = QColor(pal.caption_bg) if "no_grad" in self.flags else QColor(pal.canvas_bg)
        if "leaf" in self.flags:
            fill = QColor("#e8f0fe") if "grad" in self.flags else QColor("#f1f3f4")
        if self.error:
            fill = QColor("#fce8e6")
        border = ERROR_COLOR if self.error else QColor(pal.text_muted)
        width = 1.2
        if "output" in self.flags:
            border, width = OUTPUT_COLOR, 2.5
        if self.selected:
            border, width = QColor("#1a73e8"), 2.8
        pen = QPen(border, width)
        if "no_grad" in self.flags:
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(pen)
        p.setBrush(fill)
        p.drawRoundedRect(rect, 7, 7)
        p.setPen(QColor("#202124"))
        p.setFont(ui_font(9.5, bold=True))
        p.drawText(
            rect.adjusted(8, 4, -8, 0),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
            self.title,
        )
        p.setFont(mono_font(8))
        p.setPen(ERROR_COLOR if self.error else QColor("#3c4043"))
        text = self.error or self.detail
        p.drawText(
            rect.adjusted(8, 22, -6, -3),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
            text,
        )


class BuilderView(QGraphicsView):
    """The model's nodes in columns by depth; a click picks a node."""

    nodeClicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.items_by_name: dict[str, NodeItem] = {}
        self.message = ""

    def show_model(self, model: bm.Model, checks: dict, selected: str | None) -> None:
        scene = self.scene()
        scene.clear()
        self.items_by_name = {}
        scene.setBackgroundBrush(QColor(theme.PALETTE.canvas_bg))
        if self.message:
            text = scene.addText(self.message)
            text.setDefaultTextColor(ERROR_COLOR)
            text.setTextWidth(max(240, self.viewport().width() - 20))
            return
        depth: dict[str, int] = {}
        for name in model.names():
            ins = [r for r, _ in model.inputs_of(name) if r in depth]
            depth[name] = 1 + max((depth[r] for r in ins), default=-1)
        rows: dict[int, int] = {}
        pos: dict[str, QPointF] = {}
        for name in model.names():
            col = depth[name]
            row = rows.get(col, 0)
            rows[col] = row + 1
            pos[name] = QPointF(10 + col * (NODE_W + COL_GAP), 10 + row * (NODE_H + ROW_GAP))
        for name in model.names():
            for src, detached in model.inputs_of(name):
                if src not in pos:
                    continue
                a = pos[src] + QPointF(NODE_W, NODE_H / 2)
                b = pos[name] + QPointF(0, NODE_H / 2)
                pen = QPen(CUT_COLOR if detached else QColor("#5f6368"), 1.6)
                if detached:
                    pen.setStyle(Qt.PenStyle.DashLine)
                scene.addLine(a.x(), a.y(), b.x(), b.y(), pen)
                if detached:
                    label = scene.addSimpleText("detach()", mono_font(7.5))
                    label.setBrush(QBrush(CUT_COLOR))
                    mid = (a + b) / 2
                    label.setPos(mid.x() - 20, mid.y() - 14)
        output = model.output
        for s in model.stmts:
            if not isinstance(s, (bm.Leaf, bm.Assign)):
                continue
            check = checks.get(s.name)
            flags = set()
            if isinstance(s, bm.Leaf):
                flags.add("leaf")
                if s.requires_grad:
                    flags.add("grad")
                kind = "leaf" if s.requires_grad else "constant"
                detail = f"{kind} {_shape(check)}\n{_clip(s.value, 26)}"
            else:
                detail = f"{_clip(cg.expr_text(s.expr), 26)}\n{_shape(check)}"
            if s.no_grad is not None:
                flags.add("no_grad")
                detail += "  no_grad"
            if s.name == output:
                flags.add("output")
            title = s.name + ("   → backward()" if s.name == output else "")
            item = NodeItem(s.name, title, detail, check.error if check else None, flags)
            item.setPos(pos[s.name])
            item.selected = s.name == selected
            scene.addItem(item)
            self.items_by_name[s.name] = item
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-10, -10, 10, 10))
        self._fit()

    def _fit(self) -> None:
        """Shrink to show every node (down to a scale where text stays readable)."""
        rect = self.scene().sceneRect()
        view = self.viewport().size()
        if rect.width() <= 0 or rect.height() <= 0:
            return
        scale = min(1.0, view.width() / rect.width(), view.height() / rect.height())
        scale = max(MIN_SCALE, scale)
        self.resetTransform()
        self.scale(scale, scale)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def node_point(self, name: str):
        """The view position of a node's centre (for clicks, and tests)."""
        item = self.items_by_name[name]
        return self.mapFromScene(item.pos() + QPointF(NODE_W / 2, NODE_H / 2))

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        for item in self.items(event.position().toPoint()):
            if isinstance(item, NodeItem):
                self.nodeClicked.emit(item.name)
                return
        super().mousePressEvent(event)


def _shape(check) -> str:
    if check is None or check.shape is None:
        return ""
    dims = ", ".join(str(n) for n in check.shape)
    return f"{check.dtype} [{dims}]" if check.shape else f"{check.dtype} scalar"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# ----- the panel -----------------------------------------------------------------------------------


class BuilderPanel(QWidget):
    """Palette, node graph, form and generated code; emits `codeChanged` on every edit."""

    codeChanged = Signal(str)
    runRequested = Signal()
    codeModeRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _load_core()
        self.model = bm.Model()
        self.model.ensure_import()
        self.checks: dict = {}
        self.selected: str | None = None
        self.pending: tuple | None = None  # ("leaf" | "constant" | "op", entry)
        self.undo_stack = QUndoStack(self)
        self.expressible = True
        self.message = ""
        self._build()
        self._refresh()

    # -- construction ---------------------------------------------------------------------
    def _build(self) -> None:
        self.palette_tree = QTreeWidget()
        self.palette_tree.setHeaderHidden(True)
        self.palette_tree.setFont(ui_font(9))
        tensors = QTreeWidgetItem(["tensors"])
        for kind, label in (
            ("leaf", "leaf tensor (requires_grad)"),
            ("constant", "constant tensor"),
        ):
            item = QTreeWidgetItem([label])
            item.setData(0, KIND_ROLE, (kind, None))
            tensors.addChild(item)
        self.palette_tree.addTopLevelItem(tensors)
        for group, entries in bm.palette().items():
            top = QTreeWidgetItem([group])
            for entry in entries:
                item = QTreeWidgetItem([entry.label])
                item.setData(0, KIND_ROLE, ("op", entry.call))
                rules = "\n".join(entry.rules)
                item.setToolTip(0, f"{entry.call}: {len(entry.inputs)} input(s)\n{rules}".strip())
                top.addChild(item)
            self.palette_tree.addTopLevelItem(top)
        self.palette_tree.expandAll()
        self.palette_tree.itemClicked.connect(self._palette_clicked)

        self.view = BuilderView()
        self.view.setMinimumHeight(140)
        self.view.nodeClicked.connect(self._node_clicked)

        self.undo_button = QPushButton("Undo")
        self.undo_button.clicked.connect(self.undo_stack.undo)
        self.redo_button = QPushButton("Redo")
        self.redo_button.clicked.connect(self.undo_stack.redo)
        self.undo_stack.canUndoChanged.connect(self.undo_button.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_button.setEnabled)
        self.undo_action = self.undo_stack.createUndoAction(self, "Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.addActions([self.undo_action, self.redo_action])
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.run_button = QPushButton("Run ▶")
        self.run_button.clicked.connect(self.runRequested)
        self.code_button = QPushButton("Code")
        self.code_button.setToolTip("Back to the script editor")
        self.code_button.clicked.connect(self.codeModeRequested)
        bar = QHBoxLayout()
        for b in (self.undo_button, self.redo_button):
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(self.run_button)
        bar.addWidget(self.code_button)

        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("color: #c5221f;")
        self.message_label.hide()

        self.form_box = QGroupBox("Pick a leaf or an op in the palette")
        self.form = QFormLayout(self.form_box)
        self.form.setContentsMargins(6, 4, 6, 4)
        self.form_error = QLabel()
        self.form_error.setWordWrap(True)
        self.form_error.setStyleSheet("color: #c5221f;")

        self.code_view = QPlainTextEdit()
        self.code_view.setReadOnly(True)
        self.code_view.setFont(mono_font(9))
        self.code_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.code_view.setMinimumHeight(64)

        self.form_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.view)
        form_holder = QWidget()
        fl = QVBoxLayout(form_holder)
        fl.setContentsMargins(0, 0, 0, 0)
        fl.addWidget(self.form_box)
        fl.addWidget(self.form_error)
        fl.addStretch(1)
        # A short dock scrolls the form rather than squeezing its rows to nothing.
        form_scroll = QScrollArea()
        form_scroll.setWidget(form_holder)
        form_scroll.setWidgetResizable(True)
        form_scroll.setFrameShape(QFrame.Shape.NoFrame)
        form_scroll.setMinimumHeight(120)
        right.addWidget(form_scroll)
        right.addWidget(self.code_view)
        right.setStretchFactor(0, 3)
        right.setSizes([300, 210, 150])
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(self.palette_tree)
        body.addWidget(right)
        body.setStretchFactor(1, 1)
        body.setSizes([165, 455])
        self.splitters = (body, right)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self.message_label)
        layout.addWidget(body, 1)

    # -- model and code ------------------------------------------------------------------
    def code(self) -> str:
        return cg.to_code(self.model)

    def load_code(self, text: str) -> bool:
        """Show a script in the builder; False (and a plain message) if it cannot."""
        try:
            model = cg.from_code(text) if text.strip() else bm.Model()
        except cg.NotExpressible as exc:
            self.expressible = False
            self.message = str(exc)
            self.message_label.setText(self.message)
            self.message_label.show()
            self.view.message = self.message
            self.undo_stack.clear()  # nothing to undo in a view of code it cannot show
            self.selected, self.pending = None, None
            self._clear_form()
            self.form_box.setTitle("The script stays as code")
            self._refresh(emit=False)
            return False
        model.ensure_import()
        self.expressible = True
        self.message = ""
        self.message_label.hide()
        self.view.message = ""
        self.undo_stack.clear()
        self.model = model
        self.selected = None
        self._clear_form()
        self._refresh(emit=False)
        return True

    def _set_model(self, model: bm.Model) -> None:
        self.model = model
        if self.selected not in model.names():
            self.selected = None
        self._refresh()

    def apply(self, text: str, change) -> bool:
        """Run `change(model)` on a copy, as one undoable edit; False if it raised."""
        after = self.model.copy()
        try:
            change(after)
        except (ValueError, IndexError, KeyError) as exc:
            self.form_error.setText(str(exc))
            return False
        self.form_error.setText("")
        self.undo_stack.push(ModelEdit(self, text, self.model.copy(), after))
        return True

    def _refresh(self, emit: bool = True) -> None:
        self.checks = bm.check(self.model) if self.expressible else {}
        self.view.show_model(self.model, self.checks, self.selected)
        code = self.code() if self.expressible else ""
        self.code_view.setPlainText(code)
        self.setEnabled(True)
        self.palette_tree.setEnabled(self.expressible)
        self.form_box.setEnabled(self.expressible)
        if emit and self.expressible:
            self.codeChanged.emit(code)

    # -- palette and forms -------------------------------------------------------------------
    def palette_item(self, key: str) -> QTreeWidgetItem:
        """The palette entry for "leaf", "constant" or an op's call name."""
        for i in range(self.palette_tree.topLevelItemCount()):
            top = self.palette_tree.topLevelItem(i)
            for j in range(top.childCount()):
                item = top.child(j)
                kind, call = item.data(0, KIND_ROLE)
                if key in (kind, call):
                    return item
        raise KeyError(key)

    def _palette_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        data = item.data(0, KIND_ROLE)
        if not data:
            return
        kind, call = data
        if kind == "op":
            self.pending = ("op", bm.catalogue()[call])
            self._op_form(self.pending[1], None)
        else:
            self.pending = (kind, None)
            self._leaf_form(None, constant=kind == "constant")

    def _clear_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.inputs: list[QComboBox] = []
        self.detach_boxes: list[QCheckBox | None] = []
        self.params: dict[str, QLineEdit] = {}
        self.form_error.setText("")

    def _line(self, text: str = "", placeholder: str = "") -> QLineEdit:
        edit = QLineEdit(text)
        edit.setFont(mono_font(9))
        edit.setPlaceholderText(placeholder)
        return edit

    def _leaf_form(self, leaf: bm.Leaf | None, constant: bool = False) -> None:
        self._clear_form()
        editing = leaf is not None
        if leaf is None:
            taken = set(self.model.names())
            base = "c" if constant else next((n for n in LEAF_NAMES if n not in taken), None)
            name = base if base and base not in taken else self.model.fresh_name("a")
            leaf = bm.Leaf(name=name, value="[1.0, 2.0, 3.0]" if not constant else "2.0")
            if not constant:
                leaf.set_kw("requires_grad", "True")
        self.form_box.setTitle(
            f"{'Edit' if editing else 'New'} {'leaf' if leaf.requires_grad else 'constant'}: {leaf.name}"
        )
        self.name_edit = self._line(leaf.name)
        self.value_edit = self._line(leaf.value, "a number or a list, e.g. [1.0, 2.0]")
        self.dtype_box = QComboBox()
        self.dtype_box.addItems(["(default)", *DTYPES[1:]])
        if leaf.dtype in DTYPES:
            self.dtype_box.setCurrentIndex(DTYPES.index(leaf.dtype))
        self.grad_box = QCheckBox("requires_grad")
        self.grad_box.setChecked(leaf.requires_grad)
        self.form.addRow("name", self.name_edit)
        self.form.addRow("value", self.value_edit)
        self.form.addRow("dtype", self.dtype_box)
        self.form.addRow("", self.grad_box)
        self._buttons(editing)

    def _buttons(self, editing: bool) -> None:
        row = QHBoxLayout()
        self.add_button = QPushButton("Apply" if editing else "Add")
        self.add_button.clicked.connect(self.submit)
        row.addWidget(self.add_button)
        if editing:
            self.delete_button = QPushButton("Delete")
            self.delete_button.clicked.connect(self.delete_selected)
            self.output_button = QPushButton("Make output")
            self.output_button.setToolTip("Call .backward() on this node (with the seed, if any)")
            self.output_button.clicked.connect(self.make_output)
            row.addWidget(self.delete_button)
            row.addWidget(self.output_button)
        holder = QWidget()
        holder.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        self.form.addRow("", holder)

    def _op_form(self, entry: bm.PaletteOp, node: bm.Assign | None) -> None:
        self._clear_form()
        editing = node is not None
        call = node.expr if editing and isinstance(node.expr, bm.Call) else None
        title = f"{'Edit' if editing else 'New'} {entry.call}"
        self.form_box.setTitle(title + (f": {node.name}" if editing else ""))
        self.name_edit = self._line(node.name if editing else self.model.fresh_name("a"))
        self.form.addRow("name", self.name_edit)
        names = self.model.names()
        if editing:
            names = names[: names.index(node.name)]  # only nodes made above it
        args = list(call.args) if call is not None else []
        for i, slot in enumerate(entry.inputs):
            box = QComboBox()
            box.setEditable(True)
            box.addItems(names)
            arg = args[i] if i < len(args) else None
            inner = arg.inner if isinstance(arg, bm.Detach) else arg
            if arg is not None:
                box.setCurrentText(cg.expr_text(inner))
            elif i == 0 and len(entry.inputs) == 1 and self.selected in names:
                box.setCurrentText(self.selected)
            else:
                box.setCurrentText("")
            box.lineEdit().setPlaceholderText("a node (click it) or a number")
            self.inputs.append(box)
            detach = QCheckBox("detach()")
            detach.setToolTip("Cut the gradient on this edge: the input is used as a constant")
            detach.setChecked(isinstance(arg, bm.Detach))
            self.detach_boxes.append(detach)
            row = QHBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(box, 1)
            row.addWidget(detach)
            holder = QWidget()
            holder.setLayout(row)
            self.form.addRow(slot.name, holder)
        given = dict(call.kwargs) if call is not None else {}
        extra = ", ".join(cg.expr_text(a) for a in args[len(entry.inputs) :])
        for slot in entry.params:
            if slot.name.startswith("*"):
                text = extra
            else:
                text = cg.expr_text(given[slot.name]) if slot.name in given else ""
            edit = self._line(text, slot.default if slot.default else "")
            self.params[slot.name] = edit
            self.form.addRow(slot.name.lstrip("*"), edit)
        if editing:
            self.no_grad_box = QCheckBox("inside with torch.no_grad()")
            self.no_grad_box.setChecked(node.no_grad is not None)
            self.form.addRow("", self.no_grad_box)
            self.seed_edit = self._line("", "gradient= seed, e.g. torch.ones(3)")
            b = self.model.backward()
            if b is not None and b.gradient is not None and self.model.output == node.name:
                self.seed_edit.setText(cg.expr_text(b.gradient))
            self.form.addRow("seed", self.seed_edit)
        self._buttons(editing)

    # -- reading the form -------------------------------------------------------------------
    def _arg(self, text: str, names: list[str], old=None):
        text = text.strip()
        if old is not None and cg.expr_text(old) == text:
            return old  # unchanged (it may be a whole sub-expression)
        if text in names:
            return bm.Ref(text)
        if text and bm.literal_ok(text):
            return bm.Lit(text)
        raise ValueError(f"{text or 'an empty input'!r}: pick a node or type a number")

    def _call_from_form(
        self, entry: bm.PaletteOp, names: list[str], old: bm.Call | None
    ) -> bm.Call:
        old_args = list(old.args) if old is not None else []
        args = []
        for i, box in enumerate(self.inputs):
            prev = old_args[i] if i < len(old_args) else None
            prev_inner = prev.inner if isinstance(prev, bm.Detach) else prev
            arg = self._arg(box.currentText(), names, prev_inner)
            if self.detach_boxes[i].isChecked():
                if not isinstance(arg, bm.Ref):
                    raise ValueError("detach() needs a node as its input")
                arg = bm.Detach(arg)
            args.append(arg)
        params = {k: e.text().strip() for k, e in self.params.items() if e.text().strip()}
        for k, v in params.items():
            if not k.startswith("*") and not bm.literal_ok(v):
                raise ValueError(f"{k}={v}: type a Python value, e.g. 0 or True")
        call = bm.new_call(entry, args, params)
        if old is not None and old.style == call.style == "function":
            call.prefix = old.prefix  # keep torch.nn.functional as written
        return call

    def submit(self) -> bool:
        """The form's Add/Apply button."""
        name = self.name_edit.text().strip()
        if self.pending and self.pending[0] in ("leaf", "constant"):
            return self._submit_leaf(None, name)
        if self.pending and self.pending[0] == "op":
            entry = self.pending[1]
            try:
                call = self._call_from_form(entry, self.model.names(), None)
            except ValueError as exc:
                self.form_error.setText(str(exc))
                return False
            if not name.isidentifier() or name in self.model.names():
                self.form_error.setText(f"{name!r} is not a free variable name")
                return False
            ok = self.apply(f"add {entry.call}", lambda m: m.add(bm.Assign(name=name, expr=call)))
            if ok:
                self.select(name)
            return ok
        node = self.model.node(self.selected) if self.selected else None
        if isinstance(node, bm.Leaf):
            return self._submit_leaf(node, name)
        if isinstance(node, bm.Assign):
            return self._submit_op(node, name)
        return False

    def _submit_leaf(self, node: bm.Leaf | None, name: str) -> bool:
        value = self.value_edit.text().strip()
        if not bm.literal_ok(value):
            self.form_error.setText("Type the value as a Python number or list, e.g. [1.0, 2.0].")
            return False
        dtype = DTYPES[self.dtype_box.currentIndex()] or None
        grad = self.grad_box.isChecked()

        def change(m: bm.Model) -> None:
            leaf = m.node(node.name) if node is not None else bm.Leaf(name=name)
            leaf.value = value
            leaf.set_kw("dtype", dtype)
            leaf.set_kw("requires_grad", "True" if grad else None)
            if node is None:
                if not name.isidentifier() or name in m.names():
                    raise ValueError(f"{name!r} is not a free variable name")
                m.add(leaf)
            elif name != node.name:
                m.rename(node.name, name)

        ok = self.apply("add leaf" if node is None else f"edit {name}", change)
        if ok:
            self.select(name)
        return ok

    def _submit_op(self, node: bm.Assign, name: str) -> bool:
        entry = bm.catalogue().get(node.expr.op) if isinstance(node.expr, bm.Call) else None
        if entry is None:
            return False
        names = self.model.names()
        try:
            call = self._call_from_form(entry, names[: names.index(node.name)], node.expr)
        except ValueError as exc:
            self.form_error.setText(str(exc))
            return False
        if node.expr.style in ("method",) and call.style == "function":
            call.style, call.prefix = "method", ""
        no_grad = self.no_grad_box.isChecked()
        seed = self.seed_edit.text().strip()

        def change(m: bm.Model) -> None:
            target = m.node(node.name)
            target.expr = call
            if no_grad != (target.no_grad is not None):
                m.set_no_grad([node.name], no_grad)
            if m.output == node.name:
                b = m.backward()
                b.gradient = bm.Lit(seed) if seed else None
            if name != node.name:
                m.rename(node.name, name)

        ok = self.apply(f"edit {name}", change)
        if ok:
            self.select(name)
        return ok

    # -- node actions ------------------------------------------------------------------------
    def select(self, name: str | None) -> None:
        """Select a node and show its form (Apply, Delete, Make output)."""
        self.selected = name
        self.pending = None
        node = self.model.node(name) if name else None
        if isinstance(node, bm.Leaf):
            self._leaf_form(node)
        elif isinstance(node, bm.Assign):
            entry = bm.catalogue().get(node.expr.op) if isinstance(node.expr, bm.Call) else None
            if entry is not None:
                self._op_form(entry, node)
            else:
                self._clear_form()
                self.form_box.setTitle(f"{name} = {cg.expr_text(node.expr)}")
                self._buttons(True)
                self.add_button.setEnabled(False)
        else:
            self._clear_form()
        self._refresh(emit=False)
        check = self.checks.get(name) if name else None
        if check is not None and check.error:
            self.form_error.setText(check.error)  # in full (the node shows its start)

    def _node_clicked(self, name: str) -> None:
        # While an op's inputs are being picked, a click fills the next empty input.
        if self.pending and self.pending[0] == "op" and self.inputs:
            empty = [b for b in self.inputs if not b.currentText().strip()]
            (empty[0] if empty else self.inputs[-1]).setCurrentText(name)
            return
        self.select(name)

    def delete_selected(self) -> bool:
        name = self.selected
        if not name:
            return False
        self.selected = None
        return self.apply(f"delete {name}", lambda m: m.remove(name))

    def make_output(self) -> bool:
        name = self.selected
        if not name:
            return False
        seed = self.seed_edit.text().strip() if hasattr(self, "seed_edit") else ""
        try:
            seed_ok = not seed or compile(seed, "<seed>", "eval") is not None
        except SyntaxError:
            seed_ok = False
        if not seed_ok:
            self.form_error.setText("The seed must be an expression, e.g. torch.ones(3)")
            return False
        return self.apply(f"output {name}", lambda m: m.set_output(name, seed or None))


# ----- the main window's builder mode -------------------------------------------------------------


def set_editor_text(editor, text: str) -> None:
    """Replace the editor's text as one undoable edit (the editor keeps its history)."""
    if editor.toPlainText() == text:
        return
    cursor = QTextCursor(editor.document())
    cursor.select(QTextCursor.SelectionType.Document)
    cursor.insertText(text)


def install(window) -> None:
    """Put the builder next to the script editor (View → Builder, Ctrl+B). The panel (and
    the engine it loads for the palette) is made the first time the builder is opened."""
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QStackedWidget

    stack = QStackedWidget()
    dock = getattr(window, "editor_dock", None)
    if dock is None:  # the editor sits in a splitter: the stack takes its place there
        splitter = window.editor_panel.parentWidget()
        splitter.insertWidget(splitter.indexOf(window.editor_panel), stack)
    stack.addWidget(window.editor_panel)
    if dock is not None:
        dock.setWidget(stack)
    action = QAction("&Builder", window, checkable=True)
    action.setShortcut(QKeySequence("Ctrl+B"))
    action.setStatusTip("Build a function by clicking; the script follows every edit")
    window.builder, window.builder_action, window.builder_stack = None, action, stack

    def panel() -> BuilderPanel:
        if window.builder is None:
            made = BuilderPanel()
            stack.addWidget(made)
            made.codeChanged.connect(lambda code: set_editor_text(window.editor, code))
            made.runRequested.connect(window.run)
            made.codeModeRequested.connect(lambda: action.setChecked(False))
            window.builder = made
        return window.builder

    def toggle(on: bool) -> None:
        if on:
            panel().load_code(window.editor.toPlainText())
        stack.setCurrentWidget(panel() if on else window.editor_panel)
        if dock is not None:
            dock.setWindowTitle("Builder" if on else "Script")
            window.resizeDocks([dock], [640 if on else 360], Qt.Orientation.Horizontal)
            if on:  # the builder wants the column's height; the docks under it keep a little
                QTimer.singleShot(60, lambda: _tall(window, dock))
        line = on and not panel().expressible and _line_of(panel().message)
        if line:
            window.editor.select_line(line)
        action.setChecked(on)

    action.toggled.connect(toggle)
    _add_to_view_menu(window, action)
    toolbar = getattr(window, "toolbar", None)
    if toolbar is not None:
        toolbar.addAction(action)


def _tall(window, dock) -> None:
    """Give the builder most of its column; a dock split under it keeps a strip."""
    below = [
        d
        for d in window.findChildren(type(dock))
        if d is not dock
        and d.isVisible()
        and not d.isFloating()
        and window.dockWidgetArea(d) == window.dockWidgetArea(dock)
        and d.geometry().top() > dock.geometry().top()
    ]
    if below:
        tallest = max(below, key=lambda d: d.height())
        total = dock.height() + tallest.height()
        window.resizeDocks([dock, tallest], [total - 170, 170], Qt.Orientation.Vertical)


def _add_to_view_menu(window, action) -> None:
    for menu_action in window.menuBar().actions():
        if menu_action.text().replace("&", "") == "View" and menu_action.menu() is not None:
            menu_action.menu().addSeparator()
            menu_action.menu().addAction(action)
            return
    window.addAction(action)


def _line_of(message: str) -> int | None:
    if message.startswith("Line "):
        head = message[5:].split(":", 1)[0]
        return int(head) if head.isdigit() else None
    return None
