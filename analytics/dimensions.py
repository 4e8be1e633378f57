"""What a TOP table ranks by: one axis (A channel, B business, C cause) at a depth,
or the pair B x C. Pure: validates input and maps leaf codes to report keys.

Codes are fixed-width (axis letter + two digits per level), so "the code at level n"
is a prefix of 1 + 2n characters; a leaf shallower than n stays itself (B99 at
level 2 is B99). The database does the same with SUBSTR.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext

from complaints.taxonomy import CODE_RE, MAX_LEVEL

AXES = ("A", "B", "C", "BC")
PAIR_SEPARATOR = "|"


class DimensionError(ValueError):
    """Bad axis/level/code input; bilingual message safe to show."""


@dataclass(frozen=True)
class Dimension:
    axis: str  # A | B | C | BC
    level: int  # 1..3 (3 = leaf for every axis)

    @property
    def axes(self) -> tuple[str, ...]:
        return ("B", "C") if self.axis == "BC" else (self.axis,)

    @property
    def prefix_length(self) -> int:
        return 1 + 2 * self.level

    def key_for(self, codes: dict[str, str]) -> str:
        """Report key for one case's leaf codes {"A": ..., "B": ..., "C": ...}."""
        return PAIR_SEPARATOR.join(codes[a][: self.prefix_length] for a in self.axes)

    def parse_key(self, key: str) -> dict[str, str]:
        """Validate a drill-down key ("B0302" or "B030202|C03") for this dimension."""
        parts = key.split(PAIR_SEPARATOR) if isinstance(key, str) else []
        if len(parts) != len(self.axes):
            raise DimensionError(gettext("代码与维度不符：%(key)s") % {"key": repr(key)})
        out: dict[str, str] = {}
        for axis, part in zip(self.axes, parts, strict=True):
            if not CODE_RE.fullmatch(part) or part[0] != axis or len(part) > self.prefix_length:
                raise DimensionError(gettext("未知或无效的代码：%(code)s") % {"code": repr(part)})
            out[axis] = part
        return out


def dimension(axis: str, level: int | str) -> Dimension:
    if axis not in AXES:
        raise DimensionError(gettext("未知的维度：%(axis)s（可选 A、B、C、BC）") % {"axis": repr(axis)})
    try:
        lvl = int(level)
    except (TypeError, ValueError):
        lvl = 0
    if not 1 <= lvl <= MAX_LEVEL:
        raise DimensionError(gettext("未知的层级：%(level)s（可选 1-3）") % {"level": repr(level)})
    return Dimension(axis, lvl)
