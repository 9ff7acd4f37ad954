"""The tabular reader's refusals speak Chinese only: no library text reaches the user."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest

from wulian.core.errors import InvalidFile
from wulian.core.tabular import read_table

# A word of a library's message; extensions (.xlsx) and the words Excel and CSV aside.
ENGLISH = re.compile(r"(?<![.A-Za-z])[A-Za-z]{4,}")


def truncated_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    return buffer.getvalue()[:40]


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"name,value\n1,2\n", "data.xlsx", "无法识别文件格式"),
        (b"garbage", "data.xls", "无法识别文件格式"),
        (truncated_xlsx(), "data.xlsx", "文件已损坏或设置了打开密码"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "data.xls", "文件已损坏"),
        (b"a,b\n" + b'"' + b"x" * (csv.field_size_limit() + 10) + b'"\n', "data.csv", "CSV"),
    ],
)
def test_unreadable_files_are_explained_in_chinese(data, filename, expected):
    with pytest.raises(InvalidFile) as caught:
        read_table(data, filename)
    message = caught.value.message.replace(filename, "").replace("Excel", "").replace("CSV", "")
    assert expected in caught.value.message
    assert not ENGLISH.search(message), message
