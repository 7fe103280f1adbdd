"""Decoding text files whose encoding nobody wrote down."""

from __future__ import annotations

from pathlib import Path

from charset_normalizer import from_bytes

from ingest.errors import SourceError

_BOMS = ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def read_text(path: Path, encoding: str | None = None) -> tuple[str, str]:
    """Read a text file and return (text, encoding used).

    With ``encoding`` given, only that is tried. Otherwise strict UTF-8 (with or
    without a BOM) first, then strict GB18030 (a superset of GBK and GB2312, what
    Excel on a Chinese Windows writes), and only then charset-normalizer, whose
    guesses on short Chinese text are unreliable (it calls GBK text cp949).

    Raises:
        SourceError: the file cannot be read or decoded.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"无法读取:{exc.strerror or exc}", file=str(path)) from exc
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise SourceError(f"不是有效的 {encoding} 编码:{exc}", file=str(path)) from exc
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc), enc
    try:
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise SourceError("无法判断文本编码(已试 utf-8、gb18030 与自动检测);"
                          "请在映射文件中用 'encoding:' 指定", file=str(path))
    return str(best), best.encoding
