"""Appearance apart from biography: what a camera can see of a character, and who they are.

A script's character note mixes both (`顾言：男，28岁，顾氏集团总裁，冷峻寡言，西装笔挺`). Only
appearance — sex and age, face, hair, build, wardrobe and what they carry — reaches a prompt; the
biography (job, history, temperament: `前世被害死在订婚宴上，重生归来`) never does.

`split_description(text)` cuts the note into clauses (at ，,；;。 and line ends) and keeps each
clause whole on one side: a clause with an appearance word is appearance, any other is
biography. Both sides keep the writer's words and order (a note that is all one side is kept
exactly as written).
"""

from __future__ import annotations

import re

APPEARANCE_ZH = (
    "岁", "头发", "长发", "短发", "卷发", "黑发", "白发", "马尾", "寸头", "光头", "刘海",
    "眼睛", "眼镜", "墨镜", "大眼", "眉", "唇", "脸", "五官", "皮肤", "肤色", "身材", "身高", "个子",
    "高挑", "高大", "矮", "瘦", "胖", "魁梧", "纤细", "苗条", "健壮", "壮实", "穿", "身着", "衣",
    "西装", "套装", "衬衫", "裙", "裤", "外套", "大衣", "风衣", "T恤", "毛衣", "旗袍", "校服", "制服",
    "鞋", "靴", "高跟", "帽", "戴", "项链", "耳环", "手表", "妆", "美丽", "美貌", "貌美", "帅气", "英俊", "漂亮", "清秀",
    "俊朗", "笔挺", "憔悴", "拐杖", "胡子", "胡茬", "疤", "纹身", "皱纹", "气质", "长相", "容貌",
)
APPEARANCE_EN = (
    "hair", "haired", "eyes", "eyed", "face", "tall", "short", "slim", "thin", "heavy", "stocky",
    "build", "wears", "wearing", "dressed", "coat", "suit", "dress", "shirt", "jacket", "glasses",
    "beard", "scar", "tattoo", "years old", "blonde", "blond", "freckles", "makeup", "skin",
    "uniform", "boots", "hat", "man", "woman", "boy", "girl", "male", "female", "handsome",
    "pretty", "beautiful", "gaunt", "wrinkled", "bald",
)
# 男 / 女 alone (or 男性, 女生…) is sex; inside 男友, 女儿 it is somebody else
_SEX = re.compile(r"^\s*(?:男|女)(?:性|生|孩|人)?\s*$")
_AGE = re.compile(r"\d+\s*(?:岁|s\b|years?)|^\s*\d{1,2}\s*$|\b\d0s\b", re.IGNORECASE)
_CLAUSE = re.compile(r"[^，,；;。\n]+")


def is_appearance(clause: str) -> bool:
    """Whether a clause of a character note says something a camera can see."""
    if _AGE.search(clause) or _SEX.match(clause):
        return True
    if any(word in clause for word in APPEARANCE_ZH):
        return True
    lowered = clause.lower()
    return any(re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", lowered)
               for word in APPEARANCE_EN)


def split_description(text: str | None) -> tuple[str | None, str | None]:
    """(appearance, biography) of a character note; either is None when the note says nothing
    of that kind."""
    if not text or not text.strip():
        return None, None
    clauses = [c.strip() for c in _CLAUSE.findall(text) if c.strip()]
    joiner = "，" if re.search(r"[\u3400-\u9fff]", text) else ", "
    seen = [c for c in clauses if is_appearance(c)]
    told = [c for c in clauses if not is_appearance(c)]
    if not told:
        return text.strip(), None  # all of it is seen: the writer's words as written
    if not seen:
        return None, text.strip()
    return joiner.join(seen), joiner.join(told)
