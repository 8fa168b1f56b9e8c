"""The evaluation graph as Mermaid or Graphviz DOT text (`starrules graph`)."""

from __future__ import annotations

from .graph import Graph, Node

_SHAPES_MERMAID = {"fact": ('[/"', '"/]'), "let": ('(["', '"])'), "clause": ('["', '"]'), "item": ('["', '"]'),
                   "section": ('[["', '"]]'), "bonus": ('[["', '"]]'), "penalty": ('[["', '"]]'),
                   "total": ('(("', '"))'), "regular": ('(("', '"))'), "below_pass": ('(["', '"])'),
                   "veto": ('{{"', '"}}'), "evidence": ('[/"', '"/]')}
_SHAPES_DOT = {"fact": "parallelogram", "let": "ellipse", "clause": "note", "item": "box", "section": "box3d",
               "bonus": "box3d", "penalty": "box3d", "total": "doublecircle", "regular": "circle",
               "below_pass": "ellipse", "veto": "hexagon", "evidence": "parallelogram"}
FORMATS = ("mermaid", "dot")


def _label(node: Node) -> str:
    if node.kind == "clause":
        return f"{node.name} 第{node.span.line}行"
    return node.id


def _evidence_inputs(graph: Graph) -> list[str]:
    """Inputs that are not nodes: the assessor's 酌情 / 分档 entries."""
    known = {n.id for n in graph.nodes}
    return list(dict.fromkeys(i for n in graph.nodes for i in n.inputs if i not in known))


def to_mermaid(graph: Graph) -> str:
    ids = {n.id: f"n{i}" for i, n in enumerate(graph.nodes)}
    for extra in _evidence_inputs(graph):
        ids[extra] = f"n{len(ids)}"
    lines = ["flowchart LR"]
    kinds = {n.id: n.kind for n in graph.nodes}
    labels = {n.id: _label(n) for n in graph.nodes}
    for node_id, short in ids.items():
        open_, close = _SHAPES_MERMAID[kinds.get(node_id, "evidence")]
        lines.append(f"    {short}{open_}{_escape_mermaid(labels.get(node_id, node_id))}{close}")
    for node in graph.nodes:
        lines.extend(f"    {ids[source]} --> {ids[node.id]}" for source in node.inputs)
    return "\n".join(lines) + "\n"


def to_dot(graph: Graph) -> str:
    lines = [f"digraph {_quote(graph.rubric)} {{", "    rankdir=LR;", '    node [fontname="sans-serif"];']
    for node in graph.nodes:
        lines.append(f"    {_quote(node.id)} [label={_quote(_label(node))}, shape={_SHAPES_DOT[node.kind]}];")
    for extra in _evidence_inputs(graph):
        lines.append(f"    {_quote(extra)} [shape={_SHAPES_DOT['evidence']}];")
    for node in graph.nodes:
        lines.extend(f"    {_quote(source)} -> {_quote(node.id)};" for source in node.inputs)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(graph: Graph, form: str) -> str:
    return to_dot(graph) if form == "dot" else to_mermaid(graph)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _escape_mermaid(text: str) -> str:
    return text.replace('"', "#quot;")
