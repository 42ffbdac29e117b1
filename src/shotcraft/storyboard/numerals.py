"""Numbers as scripts write them: Arabic, full-width and Chinese numerals, read one way.

Both script parsers (Fountain's `# 第一百五集` sections and the 剧本's `第一百五集` headers and
`第十二场` scenes) read their numbers here, so one heading means one episode everywhere:

- Arabic digits, half- or full-width: `12`, `１２`; a leading `-`/`－` makes it negative (the
  caller decides whether a negative episode is an error; it is, in both parsers).
- Chinese numerals with units 十 百 千 万: `十二` 12, `二十一` 21, `两千` 2000, `一万零五` 10005.
- A digit trailing a unit without a 零 stands for the next lower unit, the way people say it:
  `一百五` 150, `三千二` 3200, `一万五` 15000; with the 零 it is units: `一百零五` 105.
- Digits without units are positional: `二〇` 20, `一〇五` 105; `零` / `〇` / `○` are 0.
- Anything else (`十十`, `五五十`, `一百零`, `12a`, empty) is not a number: None.
"""

from __future__ import annotations

__all__ = ["NUMERAL", "parse_number"]

_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_UNITS = {"十": 10, "百": 100, "千": 1000}
_MYRIAD = "万"
# full-width digits and minus → ASCII
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)} | {0xFF0D: ord("-")}
_MAX_LENGTH = 12

#: a regular-expression character class run matching the text `parse_number` reads (no sign)
NUMERAL = "[0-9０-９零〇○一二两三四五六七八九十百千万]+"


def parse_number(text: str) -> int | None:
    """Read `text` as a number (Arabic, full-width or Chinese numerals); None if it is not one.

    `"一百五"` → 150, `"一百零五"` → 105, `"两千"` → 2000, `"１２"` → 12, `"-1"` → -1.
    """
    s = text.translate(_FOLD).strip()
    sign = 1
    if s.startswith("-"):
        sign, s = -1, s[1:].strip()
    if not s or len(s) > _MAX_LENGTH:
        return None
    if s.isascii() and s.isdigit():
        return sign * int(s)
    if any(c not in _DIGITS and c not in _UNITS and c != _MYRIAD for c in s):
        return None
    if s.count(_MYRIAD) > 1:
        return None
    if _MYRIAD in s:
        high, low = s.split(_MYRIAD)
        tens_of_thousands = _section(high) if high else None
        if tens_of_thousands is None or tens_of_thousands == 0:
            return None
        if not low:
            return sign * tens_of_thousands * 10000
        if low in _DIGITS and _DIGITS[low]:  # 一万五 is 15000
            return sign * (tens_of_thousands * 10000 + _DIGITS[low] * 1000)
        if low[0] in "零〇○":  # 一万零五 is 10005
            rest = _section(low[1:]) if len(low) > 1 else None
        else:  # 一万二千 is 12000; 一万五十 (no 零) is not how a number is written
            rest = _section(low) if low[0] in _DIGITS and low[1:2] == "千" else None
        return None if rest is None or rest == 0 else sign * (tens_of_thousands * 10000 + rest)
    value = _section(s)
    return None if value is None else sign * value


def _section(s: str) -> int | None:
    """A number below 10 000 written with 十 百 千 (or positional digits); None if malformed."""
    if not s or any(c not in _DIGITS and c not in _UNITS for c in s):
        return None
    if not any(c in _UNITS for c in s):  # positional: 二〇 → 20
        return int("".join(str(_DIGITS[c]) for c in s))
    total, pending, last_unit = 0, None, 10**6
    zero_open = after_zero = False
    for c in s:
        if c in _DIGITS:
            digit = _DIGITS[c]
            if digit == 0:
                if pending is not None or total == 0 or zero_open:
                    return None
                zero_open = True
                continue
            if pending is not None:
                return None
            pending, after_zero, zero_open = digit, zero_open, False
        else:
            unit = _UNITS[c]
            if unit >= last_unit:
                return None
            total += (1 if pending is None else pending) * unit
            pending, last_unit, zero_open, after_zero = None, unit, False, False
    if zero_open:
        return None
    if pending is not None:
        # 一百五 is 150, 一百零五 is 105
        total += pending * last_unit // 10 if last_unit >= 100 and not after_zero else pending
    return total
