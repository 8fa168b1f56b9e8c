"""Diagnostics with stable codes, rendered like a compiler, and the errors that carry them."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from .source import Span, display_width

# code → short Chinese title; docs/errors.md and the tests hold every code to this table.
CODES: dict[str, str] = {
    "E001": "无法识别的字符",
    "E002": "语法错误",
    "E003": "文件意外结束",
    "E004": "字符串缺少结尾引号",
    "E005": "数字位数过多",
    "E006": "表达式嵌套过深",
    "E007": "无法读取文件",
    "E008": "文件过大",
    "E009": "名称过长",
    "E010": "字符串过长",
    "E011": "列表过长",
    "E012": "文件中没有评分表",
    "E101": "找不到引用的文件",
    "E102": "循环引用",
    "E103": "重复的顶层名称",
    "E104": "未知的等级方案",
    "E105": "未知的父标准",
    "E106": "循环继承",
    "E107": "删除的对象在父标准中不存在",
    "E108": "找不到要加载的标准",
    "E109": "引用的文件过多",
    "E110": "引用层数过多",
    "E111": "引用的文件在允许的目录之外",
    "E201": "未定义的名称",
    "E202": "重复的名称",
    "E203": "未定义的得分引用",
    "E204": "未知的等级",
    "E301": "这里需要条件(是否)",
    "E302": "这里需要数值",
    "E303": "无法比较",
    "E304": "选项值不在列表中",
    "E305": "默认值与类型不符",
    "E306": "两个分支的类型不同",
    "E307": "单位不符",
    "E401": "项目分值之和超过类型分值",
    "E402": "满分与各类型分值之和不符",
    "E403": "权重设置有误",
    "E404": "分数线未严格递减",
    "E405": "最后一个等级不能有分数线",
    "E406": "循环依赖",
    "E407": "基础等级未映射",
    "E408": "基础等级重复映射",
    "E409": "评价主体权重之和不是 100%",
    "E410": "子句互相冲突",
    "E411": "分值不在精度网格上",
    "E412": "酌情给分范围无效",
    "E413": "子句不能用在此类项目中",
    "E414": "重复的设置",
    "E415": "数值超出允许范围",
    "E416": "项目过多",
    "E417": "分值过大",
    "E418": "最低要求的等级不对",
    "E419": "最低要求的一行值数不对",
    "E420": "路径的分值合计不对",
    "E421": "任选其一的路径不能确定",
    "E422": "路径中的项目不能不适用",
    "E423": "适用条件只能读事实",
    "E424": "主体写法不对",
    "E426": "条件重名",
    "E427": "条件循环引用",
    "E428": "条件不是是否判断",
    "E429": "总分不计却读了总分",
    "E430": "内层类型不能有权重",
    "E431": "类型嵌套过深",
    "E432": "得分引用的路径不对",
    "E433": "得分率或满分读错了地方",
    "E499": "酌情给分、酌情扣分没有可评的分",
    "E501": "缺少必填的证据",
    "E502": "未知的证据项",
    "E503": "证据类型不符",
    "E504": "计数不是不小于 0 的整数",
    "E505": "比例不在 0 到 1 之间",
    "E506": "证据中的选项值不在列表中",
    "E507": "酌情得分超出范围",
    "E508": "得分不在精度网格上",
    "E509": "没有这个档次",
    "E510": "计算时除数为 0",
    "E511": "无法读取证据",
    "E512": "历史记录格式不对",
    "E513": "历史记录与等级方案不符",
    "E514": "批量文件中的记录无法读取",
    "E515": "批量记录的编号缺失或重复",
    "E516": "证据过大",
    "E517": "证据嵌套过深",
    "E518": "证据中的数字位数过多",
    "E519": "证据中的键或列名重复",
    "E520": "文本含有无效的字符",
    "E521": "标准不适用于这个党支部",
    "E522": "没有或有多个适用的标准",
    # outputs (the CLI's -o, --png, --html, fmt): refused before any input is read, or a failed write
    "E601": "输出文件就是输入文件",
    "E602": "输出文件的扩展名不对",
    "E603": "两个输出是同一个文件",
    "E604": "输出文件所在的文件夹不存在",
    "E605": "输出文件已存在",
    "E606": "无法写入输出文件",
    # SQL scoring (starrules.sql): what the query cannot compute yet, refused before it runs
    "E607": "SQL 计分尚不支持",
    "W101": "未使用的名称",
    "W102": "项目分值之和少于类型分值",
    "W103": "扣分可能超过项目分值",
    "W104": "等级无法达到",
    "W105": "项目无法得到满分",
    "W106": "满分无法达到",
    # evidence: scored as the rules say, the warning kept with the result (`Result.warnings`)
    "W501": "给不适用的项目评了分",
}


class Severity(enum.Enum):
    ERROR = "错误"
    WARNING = "警告"


@attrs.frozen
class Note:
    """A secondary location (e.g. the first definition of a duplicate name)."""

    span: Span
    message: str
    line_text: str


@attrs.frozen
class Diagnostic:
    code: str
    message: str
    span: Span
    line_text: str
    hint: str | None = None
    notes: tuple[Note, ...] = ()

    @property
    def severity(self) -> Severity:
        return Severity.WARNING if self.code.startswith("W") else Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def render(self) -> str:
        where = f"{self.span.file}:{self.span.line}:{self.span.column}" if self.span.line else self.span.file
        head = f"{where}: {self.severity.value}[{self.code}]: {self.message}"
        # no excerpt of a blank line: a file that could not be read (E007) has no text to show
        lines = [head, *(_excerpt(self.span, self.line_text) if self.span.line and self.line_text.strip() else [])]
        if self.hint:
            lines.append(f"   = 提示: {self.hint}")
        for note in self.notes:
            lines.append(f"{note.span.file}:{note.span.line}:{note.span.column}: 说明: {note.message}")
            lines.extend(_excerpt(note.span, note.line_text))
        return "\n".join(lines)


def _excerpt(span: Span, line_text: str) -> list[str]:
    """The source line and a caret line, aligned by display width (CJK is two columns)."""
    shown = line_text.replace("\t", " ")
    start = max(span.column - 1, 0)
    end = span.end_column - 1 if span.end_line == span.line else len(shown)
    end = max(end, start + 1)
    gutter = " " * len(str(span.line))
    pad = " " * display_width(shown[:start])
    marks = "^" * max(display_width(shown[start:end]), 1)
    return [f"{gutter} |", f"{span.line} | {shown}", f"{gutter} | {pad}{marks}"]


def render_all(diagnostics: Iterable[Diagnostic]) -> str:
    return "\n\n".join(d.render() for d in diagnostics)


class StarrulesError(Exception):
    """Base of every error starrules raises on bad input; carries every diagnostic found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__(render_all(self.diagnostics))

    def __reduce__(self) -> tuple[type[StarrulesError], tuple[tuple[Diagnostic, ...]], dict[str, Any]]:
        """Pickled as its diagnostics, not as `args` (the rendered text, which __init__ does not
        take), so an error raised in a worker process reaches the parent whole."""
        return (type(self), (self.diagnostics,), self.__dict__)

    @property
    def span(self) -> Span:
        return self.diagnostics[0].span

    @property
    def code(self) -> str:
        return self.diagnostics[0].code


class RubricError(StarrulesError):
    """A rubric could not be read or checked."""


class EvidenceError(StarrulesError):
    """The evidence for one evaluation is incomplete or wrong (E5xx); all problems at once."""


class RubricSyntaxError(RubricError):
    """The text is not a well-formed rubric file."""


class RubricCheckError(RubricError):
    """The file parses but breaks a rule of LANGUAGE.md §6 (names, types, points, imports)."""
