"""Inheritance (继承, LANGUAGE.md §8): a child rubric's body laid over its parent's.

A section (or bonus/penalty section) with a parent's name merges into it: the child's header
wins, its items replace same-named items and new ones are appended. Facts, derived values and
single settings (满分, 精度, 标题, 主体 …) with the parent's name or kind replace the parent's.
`删除 项目 X` / `删除 类型 X` remove one. Vetoes add up.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ..lang import ast
from ..core.reporter import Reporter, did_you_mean
from .applies import check_applies_once

_SINGLE = (ast.MaxScore, ast.TotalUnused, ast.Rescale, ast.Precision, ast.DefaultSchemes, ast.Raters, ast.Applies, ast.Subject)


def flatten(rubric: ast.Rubric, rubrics: dict[str, ast.Rubric], reporter: Reporter,
            chain: tuple[str, ...] = ()) -> ast.Rubric:
    if not chain:  # once per standard, not again as each child's parent
        check_applies_once(rubric, reporter)
    if rubric.parent is None:
        for statement in rubric.body:
            if isinstance(statement, ast.Remove):
                reporter.report("E107", f"“删除”只能用在继承其他标准的标准中:“{statement.name}”", statement.span)
        return attrs.evolve(rubric, body=tuple(s for s in rubric.body if not isinstance(s, ast.Remove)))
    parent = rubrics.get(rubric.parent)
    if parent is None:
        reporter.report("E105", f"未知的父标准“{rubric.parent}”", rubric.name_span,
                        did_you_mean(rubric.parent, list(rubrics)))
        return attrs.evolve(rubric, parent=None, body=tuple(s for s in rubric.body if not isinstance(s, ast.Remove)))
    if parent.name in (*chain, rubric.name):
        reporter.report("E106", f"循环继承:{' → '.join((*chain, rubric.name, parent.name))}", rubric.name_span)
        return attrs.evolve(rubric, parent=None, body=())
    base = flatten(parent, rubrics, reporter, (*chain, rubric.name))
    body = list(base.body)
    for statement in rubric.body:
        _overlay(body, statement, reporter)
    return attrs.evolve(rubric, body=tuple(body))


def _overlay(body: list[ast.RubricStatement], statement: ast.RubricStatement, reporter: Reporter) -> None:
    if isinstance(statement, ast.Remove):
        _remove(body, statement, reporter)
        return
    index = _find_same(body, statement)
    if index is None:
        body.append(statement)
    elif isinstance(statement, ast.Section):
        base = body[index]
        assert isinstance(base, ast.Section)
        body[index] = _merge_section(base, statement)
    elif isinstance(statement, ast.ExtraSection):
        body[index] = attrs.evolve(statement, items=_merge_items(body[index].items, statement.items))  # type: ignore[union-attr]
    else:
        body[index] = statement


def _find_same(body: Sequence[ast.RubricStatement], statement: ast.RubricStatement) -> int | None:
    for index, existing in enumerate(body):
        if type(existing) is not type(statement):
            continue
        if isinstance(statement, _SINGLE):
            return index
        if isinstance(statement, ast.Meta) and existing.key == statement.key:  # type: ignore[union-attr]
            return index
        if isinstance(statement, (ast.Fact, ast.Let, ast.Section)) and existing.name == statement.name:  # type: ignore[union-attr]
            return index
        if isinstance(statement, ast.ExtraSection) and (existing.kind, existing.display_name) == (  # type: ignore[union-attr]
                statement.kind, statement.display_name):
            return index
    return None


def _merge_choices(base: tuple[ast.Choice, ...], child: tuple[ast.Choice, ...],
                   items: tuple[ast.Item, ...]) -> tuple[ast.Choice, ...]:
    """The parent's 取其高 / 任选其一 groups (with the child's versions of their items) and the
    child's own; a child group of the same name replaces the parent's."""
    merged = {item.name: item for item in items}
    replaced = {c.name for c in child}
    kept = tuple(attrs.evolve(c, paths=tuple(attrs.evolve(p, items=tuple(merged.get(i.name, i) for i in p.items))
                                             for p in c.paths))
                 for c in base if c.name not in replaced)
    return kept + child


def _merge_section(base: ast.Section, child: ast.Section) -> ast.Section:
    """A section (or group) of the parent with the child's of the same name laid over it: the
    child's header; its own items replace the parent's own ones by name, new ones appended; its
    groups merged the same way with the parent's groups of the same name, new ones appended. Its
    items are then its own followed by its groups', each group's in its order."""
    inner = {item.name for group in base.groups for item in group.items}
    own = _merge_items(base.own_items, tuple(i for i in child.own_items if i.name not in inner))
    # an item the child writes in the section itself replaces the parent's where it stands, in a group too
    deeper = {item.name: item for item in child.own_items if item.name in inner}
    children = {group.name: group for group in child.groups}
    groups = [_merge_section(group, children.pop(group.name)) if group.name in children else group
              for group in (_replacing(g, deeper) for g in base.groups)]
    groups += [group for group in child.groups if group.name in children]
    items = (*own, *(item for group in groups for item in group.items))
    return attrs.evolve(child, items=items, choices=_merge_choices(base.choices, child.choices, own),
                        groups=tuple(groups))


def _replacing(section: ast.Section, items: dict[str, ast.Item]) -> ast.Section:
    """The section with its items of these names (in its groups too) replaced."""
    if not items or not any(item.name in items for item in section.items):
        return section
    groups = tuple(_replacing(group, items) for group in section.groups)
    replaced = {id(old): new for group_old, group_new in zip(section.groups, groups)
                for old, new in zip(group_old.items, group_new.items)}
    return attrs.evolve(section, items=tuple(replaced.get(id(i), items.get(i.name, i)) for i in section.items),
                        groups=groups)


def _without_item(section: ast.Section, name: str) -> ast.Section:
    """The section with item `name` taken out, from its groups too."""
    groups = tuple(_without_item(group, name) for group in section.groups)
    return attrs.evolve(section, items=tuple(i for i in section.items if i.name != name), groups=groups)


def _merge_items(base: tuple[ast.Item, ...], child: tuple[ast.Item, ...]) -> tuple[ast.Item, ...]:
    replaced = {item.name: item for item in child}
    merged = [replaced.pop(item.name, item) for item in base]
    return tuple(merged + [item for item in child if item.name in replaced])


def _remove(body: list[ast.RubricStatement], statement: ast.Remove, reporter: Reporter) -> None:
    names: list[str] = []
    for index, existing in enumerate(body):
        if isinstance(existing, (ast.Section, ast.ExtraSection)):
            if statement.kind == "section" and existing.name == statement.name:
                del body[index]
                return
            if statement.kind == "item":
                kept = tuple(i for i in existing.items if i.name != statement.name)
                if len(kept) != len(existing.items):
                    body[index] = _without_item(existing, statement.name) if isinstance(existing, ast.Section) \
                        else attrs.evolve(existing, items=kept)
                    return
                names.extend(i.name for i in existing.items)
            elif existing.name:
                names.append(existing.name)
    what = "项目" if statement.kind == "item" else "类型"
    reporter.report("E107", f"父标准中没有{what}“{statement.name}”", statement.span,
                    did_you_mean(statement.name, names))
