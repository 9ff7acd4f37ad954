"""Job titles as firms write them, cleaned into the words the classification uses.

A posting's title carries more than the occupation: seniority (高级, 资深, 初级), the kind of hire
(实习, 储备, 急聘), a number of openings, a place, and a direction in brackets (电气工程师
（PLC方向）). The cleaned text keeps the occupation first and the bracketed direction after it;
the words the classification spells differently get its spelling added after them
(工程师 → 工程技术人员, 操作工 → 操作员/工, 开发 → 软件开发), so that a title and the table's
names share their features.
"""

from __future__ import annotations

import re
import unicodedata

# Words about the hire, not the occupation (removed wherever they stand).
HIRE_WORDS = re.compile(
    r"急聘|急招|诚聘|高薪诚聘|高薪|^招聘(?!专员|主管|经理|师|助理|顾问|$)|直招|长期招|包吃住|五险一金|双休|"
    r"应届生?|毕业生|校招|社招|实习生?|见习|储备|兼职|全职|临时工?|小时工|"
    r"[0-9一二三四五六七八九十两]+\s*名|[0-9]+\s*人|[0-9]+k|[0-9]+\s*[-~至]\s*[0-9]+\s*[kK千万元]?"
)
# Seniority and rank around the occupation (removed at the start or the end).
RANKS = re.compile(
    r"^(?:高级|资深|初级|中级|首席|主任级|专家级|骨干|普通|熟练|一线|"
    r"[0-9a-z]{1,2}级|[a-z]?[0-9]{1,2}(?![0-9a-z]))+|"
    r"(?:(?<![0-9a-z])[a-z]?[0-9]{1,2}级?|[一二三]级|[ⅰⅱⅲ]+)$"
)
BRACKETS = re.compile(r"[（(【\[]([^）)】\]]*)[）)】\]]")
DIRECTION = re.compile(r"方向|岗位?$|类$|相关$|优先$")
SEPARATORS = re.compile(r"[/|｜、,，;；\-—–_·•]+")

# The classification's spelling of common title words: (pattern, words added after the title).
SPELLINGS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"工程师"), "工程技术人员"),
    (re.compile(r"开发工程|程序员|码农|开发$|前端|后端"), "软件开发"),
    (re.compile(r"操作工|操机工|机操工"), "操作员 操作调整工"),
    (re.compile(r"普工|作业员"), "生产操作人员"),
    (re.compile(r"技术员"), "技术员 工"),
    (re.compile(r"专员|助理"), "专业人员"),
    (re.compile(r"司机"), "驾驶员"),
    (re.compile(r"质检|品检|品管|qc"), "质检员 质量检验"),
    (re.compile(r"文员"), "办事员"),
    (re.compile(r"老师"), "教师"),
    (re.compile(r"经理|总监|主管"), "经理 管理"),
)


def clean(title: str | None) -> str:
    """The title without hire words and rank, the bracketed direction after it, and the
    classification's spelling of its words added at the end."""
    main, directions = _parts(title)
    extra = [s for pattern, s in SPELLINGS if pattern.search(main)]
    return " ".join(x for x in [main, *directions, *extra] if x).strip()


def core(title: str | None) -> str:
    """The title without hire words and rank, with its direction (no spellings added)."""
    main, directions = _parts(title)
    return " ".join(x for x in [main, *directions] if x).strip()


def _parts(title: str | None) -> tuple[str, list[str]]:
    text = unicodedata.normalize("NFKC", title or "").strip().lower()
    inside = [m.group(1) for m in BRACKETS.finditer(text)]
    text = BRACKETS.sub(" ", text)
    text = HIRE_WORDS.sub(" ", text)
    directions = [DIRECTION.sub("", HIRE_WORDS.sub(" ", d)).strip() for d in inside]
    parts = [p.strip() for p in SEPARATORS.split(text) if p.strip()]
    parts = [RANKS.sub("", p).strip() or p for p in parts]
    main = " ".join(p for p in parts if p)
    return main, [d for d in directions if d]


WORD = re.compile(r"[a-z0-9+#.]+|[\u4e00-\u9fff]+")


def pieces(text: str) -> set[str]:
    """The evidence a text offers: its Latin words and the character pairs of its Chinese runs
    (a single Chinese character where a run has one)."""
    out: set[str] = set()
    for run in WORD.findall(unicodedata.normalize("NFKC", text).lower()):
        if run.isascii() or len(run) == 1:
            out.add(run)
        else:
            out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out
