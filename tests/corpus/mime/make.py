#!/usr/bin/env python3
"""Regenerates the MIME fixture corpus in this directory: NNN-name.eml + NNN-name.json.

    python3 tests/corpus/mime/make.py          # rewrites every case, then self-checks
    python3 tests/corpus/mime/make.py --check  # only checks that the files on disk match

Standard library only. The output is deterministic: every byte of a legacy charset is
produced by Python's codecs from the Unicode text written here (never typed by hand), and
nothing depends on the clock, the locale or random numbers.

Self-checks run after generation (see `check_case`):
  * every text encoded in a legacy charset round-trips through its codec, and the
    superset cases (GBK under a gb2312 label, cp949, cp932, windows-874, ...) really use
    bytes that the narrower codec refuses;
  * every expected `text_contains` string is in the Unicode text that was encoded;
  * every `text_excludes` raw-encoding marker really occurs in the .eml (so the exclusion
    tests something) and not in the expected text;
  * every .eml loads with Python's `email` package, and for the well-formed cases Python's
    own decoding of subject, sender, text, HTML presence and attachment list agrees with
    the JSON (cases where Python is knowingly less lenient opt out with `py_skip`);
  * sizes stay under 6 KB and line endings are what the case says (CRLF, LF or mixed).
"""
import base64
import email
import email.policy
import hashlib
import html
import json
import os
import re
import struct
import sys
import unicodedata
import zlib
from email.parser import BytesParser

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = []


# --------------------------------------------------------------------------- helpers


def b64(data, width=76):
    s = base64.b64encode(data).decode("ascii")
    return ("\n".join(s[i : i + width] for i in range(0, len(s), width)) + "\n").encode()


def qp(data):
    """Quoted-printable (RFC 2045 §6.7) of bytes whose line breaks are LF."""
    out = []
    for line in data.split(b"\n"):
        toks = []
        for i, c in enumerate(line):
            if (33 <= c <= 126 and c != 61) or (c in (9, 32) and i != len(line) - 1):
                toks.append(chr(c))
            else:
                toks.append("=%02X" % c)
        cur = ""
        for t in toks:
            if len(cur) + len(t) > 75:
                out.append(cur + "=")
                cur = ""
            cur += t
        out.append(cur)
    return "\n".join(out).encode("ascii")


Q_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def q_bytes(raw):
    return "".join("_" if c == 32 else chr(c) if c in Q_SAFE else "=%02X" % c for c in raw)


def ew(text, label, codec=None, mode="B"):
    """One RFC 2047 encoded-word for `text` (codec defaults to the label)."""
    raw = text.encode(codec or label)
    assert raw.decode(codec or label) == text, (text, label)
    body = base64.b64encode(raw).decode() if mode == "B" else q_bytes(raw)
    return "=?%s?%s?%s?=" % (label, mode, body)


def ew_words(text, label, codec=None, mode="B", limit=60):
    """Encoded-words of at most `limit` chars each, split between characters, folded."""
    words, cur = [], ""
    for ch in text:
        if cur and len(ew(cur + ch, label, codec, mode)) > limit:
            words.append(ew(cur, label, codec, mode))
            cur = ""
        cur += ch
    words.append(ew(cur, label, codec, mode))
    return "\n ".join(words)


def enc(text, codec):
    """Encodes text (LF line breaks) and checks the round trip."""
    raw = text.encode(codec)
    assert raw.decode(codec) == text, codec
    return raw


def enc_lines(text, codec):
    """Stateful codecs (ISO-2022-JP): each line encoded alone so it ends in ASCII."""
    raw = b"\n".join(enc(line, codec) for line in text.split("\n"))
    assert raw.decode(codec) == text
    return raw


def refuses(text, codec):
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return True
    return False


def undecodable(raw, codec):
    try:
        raw.decode(codec)
    except UnicodeDecodeError:
        return True
    return False


def hdrs(pairs):
    out = b""
    for name, value in pairs:
        if isinstance(value, str):
            value = value.encode("ascii")
        out += name.encode("ascii") + b": " + value + b"\n"
    return out


def part(pairs, body):
    if isinstance(body, str):
        body = body.encode("ascii")
    return hdrs(pairs) + b"\n" + body


def multipart(boundary, parts, preamble=b"", epilogue=b"", close=True):
    out = preamble
    for p in parts:
        out += b"--" + boundary.encode() + b"\n" + p
        if not out.endswith(b"\n"):
            out += b"\n"
    if close:
        out += b"--" + boundary.encode() + b"--\n"
    return out + epilogue


def png_1x1():
    """A valid 1x1 PNG; the zlib stream is a stored block built by hand (no zlib version)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    scan = b"\x00\xd4\x1e\x2a"  # filter 0, one RGB pixel
    stored = b"\x01" + struct.pack("<HH", len(scan), len(scan) ^ 0xFFFF) + scan
    idat = b"\x78\x01" + stored + struct.pack(">I", zlib.adler32(scan))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def fake_bytes(seed, n):
    out, h = b"", seed.encode()
    while len(out) < n:
        h = hashlib.sha256(h).digest()
        out += h
    return out[:n]


PDF = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)


def std(frm, subject, to="soporte@atiende.example", n=None, extra=()):
    """Usual top headers. `subject` is the raw header value (str or bytes)."""
    n = n if n is not None else len(CASES) + 1
    pairs = [("From", frm), ("To", to), ("Subject", subject)]
    pairs += [
        ("Date", "Mon, 12 Jan 2026 %02d:%02d:00 +0100" % (8 + n % 10, n % 60)),
        ("Message-ID", "<case%03d.%s@mail.example>" % (n, hashlib.sha1(str(n).encode()).hexdigest()[:8])),
        ("MIME-Version", "1.0"),
    ]
    return list(pairs) + list(extra)


def case(name, raw, exp, eol="crlf", source_text="", py_skip=(), raw_markers=()):
    """Registers a case. raw: bytes with LF line breaks (converted per `eol`).

    source_text: the Unicode text that was encoded (text_contains must be inside it).
    py_skip: Python `email` checks to skip: subject, from, text, html, attachments.
    raw_markers: text_excludes entries that must occur in the .eml bytes.
    """
    assert b"\r" not in raw or eol == "raw"
    if eol == "crlf":
        raw = raw.replace(b"\n", b"\r\n")
    CASES.append(dict(name="%03d-%s" % (len(CASES) + 1, name), raw=raw, exp=exp, eol=eol,
                      source_text=source_text, py_skip=set(py_skip), raw_markers=raw_markers))


def charset_case(name, label, codec, subject, body, cte, source, frm, from_addr, from_name=None,
                 subject_mode="B", lines=False, extra_excludes=(), py_skip=(), eol="crlf",
                 contains=None, desc=None, header_label=None):
    """Subject as RFC 2047 encoded-word(s) and a text/plain body, both in one charset."""
    raw_body = (enc_lines if lines else enc)(body, codec)
    if cte == "base64":
        wire = b64(raw_body.replace(b"\n", b"\r\n"))
    elif cte == "quoted-printable":
        wire = qp(raw_body)
    else:
        wire = raw_body if raw_body.endswith(b"\n") else raw_body + b"\n"
    subj = ew_words(subject, header_label or label, codec, subject_mode)
    if from_name is None and " <" in frm:
        from_name = frm.rsplit(" <", 1)[0]
    if not frm.isascii():  # a display name in the case's own charset, as the mailer would send it
        dname, addr = frm.rsplit(" <", 1)
        frm = "%s <%s" % (ew(dname, label, codec), addr)
    pairs = std(frm, subj) + [
        ("Content-Type", "text/plain; charset=%s" % label),
        ("Content-Transfer-Encoding", cte),
    ]
    excludes = ["\ufffd"] + list(extra_excludes)
    markers = [x for x in extra_excludes if x.isascii()]
    if cte == "base64":
        excludes.append(wire[:16].decode())
        markers.append(wire[:16].decode())
    exp = {
        "description": desc or "%s subject (RFC 2047 %s) and %s body in %s" % (label, subject_mode, cte, label),
        "source": source,
        "from": from_addr,
    }
    if from_name:
        exp["from_name"] = from_name
    exp.update({
        "subject": subject,
        "text_contains": contains or [l for l in body.split("\n") if l.strip()][:2],
        "text_excludes": excludes,
        "html": False,
        "attachments": [],
    })
    case(name, part(pairs, wire), exp, eol=eol, source_text=body, py_skip=py_skip, raw_markers=markers)


# --------------------------------------------------------------------------- charsets

charset_case(
    "gb2312-base64", "GB2312", "gb2312", "订单查询：发票抬头错误",
    "您好：\n我上周的订单（编号 20260112）发票抬头写错了，请帮忙重新开具。\n谢谢！\n李伟\n",
    "base64", "RFC 2047 §4.1 (B encoding); RFC 1922 (Chinese in Internet messages); mainland mailers' GB2312",
    "李伟 <li.wei@correo.example>", "li.wei@correo.example",
    contains=["发票抬头写错了", "李伟"],
)

_gbk_body = "您好，我是王堃，上个月买的茶具到货时有破损。\n我的同事朱镕也需要办理同样的退货。\n"
assert refuses("堃", "gb2312") and refuses("镕", "gb2312")
charset_case(
    "gbk-8bit", "GBK", "gbk", "关于王堃的退货申请", _gbk_body, "8bit",
    "GBK (CP936) extension of GB2312: 堃 and 镕 are outside GB2312 (WHATWG Encoding Standard, gbk)",
    "=?GBK?B?%s?= <wang.kun@correo.example>" % base64.b64encode("王堃".encode("gbk")).decode(),
    "wang.kun@correo.example", "王堃",
    contains=["我是王堃", "朱镕"],
)

_gb18030_body = "您好，刘䶮先生：\n您的包裹已经发出，预计周三送达 😊\n客服中心\n"
assert refuses("䶮", "gbk") and refuses("😊", "gbk")
charset_case(
    "gb18030-qp", "GB18030", "gb18030", "刘䶮的包裹已发出", _gb18030_body, "quoted-printable",
    "GB18030 four-byte sequences (CJK Ext. A 䶮 U+4DAE, emoji) not in GBK; RFC 2045 §6.7 QP",
    "Kuaidi <envios@kuaidi.example>", "envios@kuaidi.example", "Kuaidi",
    contains=["刘䶮先生", "预计周三送达 😊"],
)

_gb_mis = "您好，\n王堃的订单已经取消，退款三天内到账。\n"
assert undecodable(enc(_gb_mis, "gbk"), "gb2312")
charset_case(
    "gb2312-label-gbk-bytes", "gb2312", "gbk", "回复：王堃的订单", _gb_mis, "base64",
    "WHATWG Encoding Standard: the gb2312 label decodes as GBK; Chinese mailers label GBK text gb2312",
    "Tienda <tienda@correo.example>", "tienda@correo.example", "Tienda",
    desc="bytes are GBK (堃 outside GB2312) but labelled gb2312: decode as the GBK superset",
    contains=["王堃的订单已经取消"], py_skip=("subject", "text"),
)

charset_case(
    "big5-base64", "Big5", "big5", "退貨申請：商品損壞",
    "您好，\n我收到的咖啡機外殼有裂痕，想申請退貨或換貨。\n請問運費由誰負擔？\n陳美玲\n",
    "base64", "Big5 (traditional Chinese, Taiwan); RFC 1922; RFC 2047 §4.1",
    "陳美玲 <mei.chen@correo.example>", "mei.chen@correo.example",
    contains=["咖啡機外殼有裂痕", "請問運費由誰負擔？"],
)

_jis_body = "お世話になっております。\n注文番号 A-1024 の配送状況を教えてください。\n山田太郎\n"
assert all(b < 0x80 for b in enc_lines(_jis_body, "iso2022_jp"))
charset_case(
    "iso-2022-jp-7bit", "ISO-2022-JP", "iso2022_jp", "ご注文の確認", _jis_body, "7bit",
    "RFC 1468 (ISO-2022-JP, 7bit with ESC $ B / ESC ( B); RFC 2047 §8-style =?ISO-2022-JP?B?",
    "Yamada Taro <taro.yamada@correo.example>", "taro.yamada@correo.example", "Yamada Taro",
    lines=True, contains=["お世話になっております。", "注文番号 A-1024 の配送状況"],
    extra_excludes=["\x1b$B"],
)

_sjis_body = "ソフトウェア保守契約の請求書が届いていません。\n表計算ファイルで再送していただけますか。\n鈴木花子\n"
assert b"\x83\x5c" in enc(_sjis_body, "shift_jis")  # ソ: trail byte 0x5C (backslash)
charset_case(
    "shift-jis-8bit", "Shift_JIS", "shift_jis", "ソフトウェアの請求書について", _sjis_body, "8bit",
    "Shift_JIS (JIS X 0208); ソ and 表 have a 0x5C (backslash) trail byte that must not be treated as an escape",
    "Suzuki Hanako <hanako@correo.example>", "hanako@correo.example", "Suzuki Hanako",
    contains=["ソフトウェア保守契約の請求書", "表計算ファイルで再送"],
)

_cp932_body = "ご依頼の件、以下の通りです。\n① 請求書の再発行\n② 納品書の送付\n㈱髙橋商事 経理部\n"
assert refuses("①", "shift_jis") and refuses("㈱", "shift_jis") and refuses("髙", "shift_jis")
charset_case(
    "shift-jis-label-cp932-chars", "Shift_JIS", "cp932", "㈱髙橋商事より", _cp932_body, "base64",
    "WHATWG Encoding Standard: Shift_JIS decodes as windows-31j (CP932); Windows mailers send NEC/IBM "
    "extensions (①, ㈱, 髙) under the Shift_JIS label",
    "Takahashi <keiri@takahashi.example>", "keiri@takahashi.example", "Takahashi",
    desc="Shift_JIS label with CP932-only characters (① ② ㈱ 髙): decode as the CP932 superset",
    contains=["① 請求書の再発行", "㈱髙橋商事 経理部"], py_skip=("subject", "text"),
)

charset_case(
    "euc-jp-qp", "EUC-JP", "euc_jp", "配送日の変更",
    "いつもお世話になっております。\n配送日を来週の水曜日に変更できますか。\n佐藤\n",
    "quoted-printable", "EUC-JP (Unix Japanese); RFC 2047 §4.2 (Q encoding) and RFC 2045 §6.7 QP body",
    "Sato <sato@correo.example>", "sato@correo.example", "Sato", subject_mode="Q",
    contains=["配送日を来週の水曜日に変更できますか。"], extra_excludes=["=A4"],
)

charset_case(
    "euc-kr-base64", "EUC-KR", "euc_kr", "환불 요청",
    "안녕하세요.\n주문한 신발 사이즈가 맞지 않아 환불을 요청드립니다.\n김민수\n",
    "base64", "EUC-KR (KS X 1001); RFC 1557",
    "김민수 <minsu.kim@correo.example>", "minsu.kim@correo.example",
    contains=["환불을 요청드립니다.", "김민수"],
)

_cp949_body = "안녕하세요.\n주문한 책 「똠방각하」가 아직 도착하지 않았습니다.\n확인 부탁드립니다.\n"
assert len("똠".encode("cp949")) == 2 and undecodable(enc(_cp949_body, "cp949"), "euc_kr")
charset_case(
    "ks-c-5601-1987-cp949", "ks_c_5601-1987", "cp949", "「똠방각하」 배송 문의", _cp949_body, "base64",
    "Outlook labels Korean ks_c_5601-1987 but means Windows code page 949 (WHATWG Encoding Standard "
    "maps the label to EUC-KR = windows-949); 똠 is a UHC-only two-byte code",
    "=?ks_c_5601-1987?B?%s?= <jiwoo.park@correo.example>" % base64.b64encode("박지우".encode("cp949")).decode(),
    "jiwoo.park@correo.example", "박지우",
    desc="Outlook's ks_c_5601-1987 label with a UHC (CP949) extended character 똠",
    contains=["「똠방각하」가 아직 도착하지 않았습니다."], py_skip=("subject", "text"),
)

_koi8r = "Здравствуйте!\nЯ оплатил заказ 5512 неделю назад, но он до сих пор не отправлен.\nС уважением,\nИван Петров\n"
charset_case(
    "koi8-r-8bit-lf", "KOI8-R", "koi8_r", "Где мой заказ?", _koi8r, "8bit",
    "RFC 1489 (KOI8-R); Unix mail stored with bare LF line endings",
    "Иван Петров <ivan.petrov@pochta.example>".replace(
        "Иван Петров", ew("Иван Петров", "KOI8-R", "koi8_r")), "ivan.petrov@pochta.example", "Иван Петров",
    eol="lf", contains=["Я оплатил заказ 5512 неделю назад", "Иван Петров"],
)

_koi8u = "Доброго дня!\nПрошу повернути гроші за ґудзики, які не підійшли.\nЄвгенія Коваль\n"
assert refuses("ґ", "koi8_r") and refuses("Є", "koi8_r")
charset_case(
    "koi8-u-qp", "KOI8-U", "koi8_u", "Повернення коштів за ґудзики", _koi8u, "quoted-printable",
    "RFC 2319 (KOI8-U: adds Ukrainian і ї є ґ to KOI8-R)",
    "Yevheniia <kovalj@poshta.example>", "kovalj@poshta.example", "Yevheniia", subject_mode="Q",
    contains=["Прошу повернути гроші за ґудзики, які не підійшли.", "Євгенія Коваль"],
)

charset_case(
    "windows-1251-base64", "windows-1251", "cp1251", "Счёт № 318",
    "Добрый день!\nСчёт № 318 от 12.01.2026 во вложении не открывается.\nОльга\n",
    "base64", "windows-1251 (Cyrillic Windows code page: ё 0xB8, № 0xB9)",
    "Olga <olga@pochta.example>", "olga@pochta.example", "Olga",
    contains=["Счёт № 318 от 12.01.2026 во вложении не открывается."],
)

charset_case(
    "iso-8859-5-8bit", "ISO-8859-5", "iso8859_5", "Часы работы поддержки",
    "Привет!\nПодскажите, пожалуйста, часы работы поддержки в субботу.\nАнна\n",
    "8bit", "ISO-8859-5 (ISO Cyrillic); RFC 2047 §4.2 Q encoding",
    "Anna <anna@pochta.example>", "anna@pochta.example", "Anna", subject_mode="Q",
    contains=["Подскажите, пожалуйста, часы работы поддержки в субботу."],
)

charset_case(
    "iso-8859-2-qp-polish", "ISO-8859-2", "iso8859_2", "Zażółć gęślą jaźń",
    "Dzień dobry,\nZażółć gęślą jaźń - to zdanie testowe z naszego formularza.\nProszę o fakturę.\nMałgorzata\n",
    "quoted-printable", "ISO-8859-2 (Latin-2, Polish pangram); RFC 2047 §4.2 Q encoding; RFC 2045 §6.7",
    "=?ISO-8859-2?Q?Ma=B3gorzata_Nowak?= <m.nowak@poczta.example>", "m.nowak@poczta.example",
    "Małgorzata Nowak", subject_mode="Q",
    contains=["Zażółć gęślą jaźń - to zdanie testowe", "Proszę o fakturę."], extra_excludes=["=B3"],
)

_cz = "Dobrý den,\nPříliš žluťoučký kůň úpěl ďábelské ódy.\nObjednávka č. 4471 ještě nedorazila.\nŠárka\n"
assert enc(_cz, "cp1250") != enc(_cz, "iso8859_2")  # š ť ž Š differ between the two
charset_case(
    "windows-1250-8bit-czech", "windows-1250", "cp1250", "Příliš žluťoučký kůň", _cz, "8bit",
    "windows-1250 (Central European Windows code page; š ť ž Š differ from ISO-8859-2)",
    "Sarka <sarka@posta.example>", "sarka@posta.example", "Sarka",
    contains=["Příliš žluťoučký kůň úpěl ďábelské ódy.", "Objednávka č. 4471 ještě nedorazila."],
)

_l9 = "Buenos días:\nEl importe de la factura es 120 € (IVA incluido), pero me han cobrado 145 €.\nGracias.\n"
assert b"\xa4" in enc(_l9, "iso8859_15")
charset_case(
    "iso-8859-15-euro", "ISO-8859-15", "iso8859_15", "Factura de 120 €", _l9, "quoted-printable",
    "ISO-8859-15 (Latin-9): byte 0xA4 is € (in ISO-8859-1 it is ¤)",
    "Pilar <pilar@correo.example>", "pilar@correo.example", "Pilar", subject_mode="Q",
    contains=["El importe de la factura es 120 € (IVA incluido)", "145 €"], extra_excludes=["¤", "=A4"],
)

_w1252 = "Hola, el repartidor dijo “mañana”… y sigo esperando.\nAndrés\n"
_w1252_raw = enc(_w1252, "cp1252")
assert b"\x93" in _w1252_raw and b"\x94" in _w1252_raw and b"\x85" in _w1252_raw
_subj1252 = "“Urgente”: pedido sin entregar"
case(
    "windows-1252-labelled-iso-8859-1",
    part(std("Andres <andres@correo.example>", ew(_subj1252, "iso-8859-1", "cp1252", "Q"))
         + [("Content-Type", "text/plain; charset=iso-8859-1"), ("Content-Transfer-Encoding", "8bit")],
         _w1252_raw),
    {
        "description": "windows-1252 bytes 0x93 0x94 0x85 labelled iso-8859-1: decode as windows-1252 (curly quotes, ellipsis)",
        "source": "WHATWG Encoding Standard (iso-8859-1 label = windows-1252); HTML5 and mail clients treat the label so; Outlook sends it",
        "from": "andres@correo.example",
        "from_name": "Andres",
        "subject": _subj1252,
        "text_contains": ["el repartidor dijo “mañana”… y sigo esperando."],
        "text_excludes": ["\ufffd", "\u0093", "\u0094", "\u0085"],
        "html": False,
        "attachments": [],
    },
    source_text=_w1252, py_skip=("subject", "text"),
)

_ascii_mis = "¿Dónde está mi pedido? Lo compré hace dos semanas.\nLucía\n"
case(
    "utf8-labelled-us-ascii",
    part(std("Lucia <lucia@correo.example>", ew("¿Dónde está mi pedido?", "us-ascii", "utf-8", "Q"))
         + [("Content-Type", "text/plain; charset=us-ascii"), ("Content-Transfer-Encoding", "8bit")],
         enc(_ascii_mis, "utf-8")),
    {
        "description": "8-bit UTF-8 bytes labelled us-ascii (body and encoded-word): no byte is ASCII, so decode as UTF-8",
        "source": "common mislabel by scripts/web forms; RFC 6657 §4 (us-ascii default); lenient clients fall back to UTF-8 for valid UTF-8 bytes",
        "from": "lucia@correo.example",
        "from_name": "Lucia",
        "subject": "¿Dónde está mi pedido?",
        "text_contains": ["¿Dónde está mi pedido? Lo compré hace dos semanas."],
        "text_excludes": ["\ufffd", "Ã", "Â"],
        "html": False,
        "attachments": [],
    },
    source_text=_ascii_mis, py_skip=("text",),
)

_l1_mis = "Gracias por su atención.\nEl envío llegó dañado y necesito una solución.\n"
case(
    "utf8-labelled-iso-8859-1",
    part(std("Tomas <tomas@correo.example>", ew("Envío dañado", "iso-8859-1", "utf-8", "Q"))
         + [("Content-Type", "text/plain; charset=iso-8859-1"), ("Content-Transfer-Encoding", "8bit")],
         enc(_l1_mis, "utf-8")),
    {
        "description": "UTF-8 bytes labelled iso-8859-1 (body and encoded-word): valid multi-byte UTF-8 wins, no mojibake",
        "source": "common mislabel (PHP/web forms declaring latin-1 while sending UTF-8); Gmail-style charset detection",
        "from": "tomas@correo.example",
        "from_name": "Tomas",
        "subject": "Envío dañado",
        "text_contains": ["Gracias por su atención.", "El envío llegó dañado y necesito una solución."],
        "text_excludes": ["\ufffd", "Ã", "Â"],
        "html": False,
        "attachments": [],
    },
    source_text=_l1_mis, py_skip=("subject", "text"),
)

_nocs_utf8 = "Hola, ¿cómo están?\nNecesito ayuda con la facturación de enero.\n"
case(
    "no-charset-8bit-utf8",
    part(std("Elena <elena@correo.example>", ew("Consulta sobre facturación", "UTF-8", mode="Q"))
         + [("Content-Type", "text/plain"), ("Content-Transfer-Encoding", "8bit")],
         enc(_nocs_utf8, "utf-8")),
    {
        "description": "text/plain without charset parameter, 8-bit UTF-8 body: decode as UTF-8",
        "source": "RFC 2045 §5.2 (default us-ascii) vs. RFC 6532 practice: lenient clients use UTF-8 when the bytes are valid UTF-8",
        "from": "elena@correo.example",
        "from_name": "Elena",
        "subject": "Consulta sobre facturación",
        "text_contains": ["Hola, ¿cómo están?", "Necesito ayuda con la facturación de enero."],
        "text_excludes": ["\ufffd", "Ã"],
        "html": False,
        "attachments": [],
    },
    source_text=_nocs_utf8, py_skip=("text",),
)

_nocs_l1 = "Me gustó mucho la canción del anuncio, ¿cómo se llama?\nRaúl\n"
case(
    "no-charset-8bit-latin1",
    part(std("Raul <raul@correo.example>", "Pregunta sobre el anuncio")
         + [("Content-Type", "text/plain"), ("Content-Transfer-Encoding", "8bit")],
         enc(_nocs_l1, "latin-1")),
    {
        "description": "text/plain without charset, 8-bit latin-1 bytes (invalid as UTF-8): fall back to windows-1252/latin-1",
        "source": "RFC 2045 §5.2 default charset; Thunderbird/Gmail fall back to a legacy 8-bit charset when bytes are not UTF-8",
        "from": "raul@correo.example",
        "from_name": "Raul",
        "subject": "Pregunta sobre el anuncio",
        "text_contains": ["Me gustó mucho la canción del anuncio, ¿cómo se llama?", "Raúl"],
        "text_excludes": ["\ufffd"],
        "html": False,
        "attachments": [],
    },
    source_text=_nocs_l1, py_skip=("text",),
)

_unk = "Buenas tardes,\nquiero cambiar la dirección de envío a Málaga.\n"
case(
    "unknown-charset-label",
    part(std("Ines <ines@correo.example>", ew("Cambio de dirección", "x-unknown-8bit", "utf-8", "Q"))
         + [("Content-Type", "text/plain; charset=x-unknown-8bit"), ("Content-Transfer-Encoding", "8bit")],
         enc(_unk, "utf-8")),
    {
        "description": "unknown charset label x-unknown-8bit on UTF-8 bytes (body and encoded-word): decode as UTF-8, keep the text",
        "source": "RFC 2045 §5.2 / RFC 2046 §4.1.2 (unrecognised charset); RFC 1428 unknown-8bit; lenient clients guess UTF-8",
        "from": "ines@correo.example",
        "from_name": "Ines",
        "subject": "Cambio de dirección",
        "text_contains": ["quiero cambiar la dirección de envío a Málaga."],
        "text_excludes": ["\ufffd", "Ã"],
        "html": False,
        "attachments": [],
    },
    source_text=_unk, py_skip=("text",),
)

_thai = "สวัสดีครับ\nสินค้าที่สั่งยังไม่ได้รับ… กรุณาตรวจสอบด้วยครับ\nสมชาย\n"
assert refuses("…", "tis_620") and not refuses(_thai, "cp874")
charset_case(
    "windows-874-thai", "windows-874", "cp874", "สอบถามสถานะคำสั่งซื้อ", _thai, "base64",
    "windows-874 (Thai Windows code page = TIS-620 plus 0x80-0x9F, e.g. … 0x85); WHATWG maps tis-620 to windows-874",
    "Somchai <somchai@correo.example>", "somchai@correo.example", "Somchai",
    contains=["สินค้าที่สั่งยังไม่ได้รับ… กรุณาตรวจสอบด้วยครับ", "สมชาย"],
    py_skip=("subject", "text"),  # Python has cp874 but not the windows-874 label
)

charset_case(
    "iso-8859-7-greek", "ISO-8859-7", "iso8859_7", "Καθυστέρηση παραγγελίας",
    "Καλημέρα σας,\nη παραγγελία μου δεν έχει φτάσει ακόμα.\nΕυχαριστώ,\nΜαρία\n",
    "8bit", "ISO-8859-7 (Greek); RFC 2047 §4.2",
    "Maria <maria@tachydromeio.example>", "maria@tachydromeio.example", "Maria", subject_mode="Q",
    contains=["η παραγγελία μου δεν έχει φτάσει ακόμα.", "Ευχαριστώ,"],
)

charset_case(
    "iso-8859-9-turkish", "ISO-8859-9", "iso8859_9", "İade talebi: Ayşe Yılmaz",
    "Merhaba,\nSiparişim hâlâ gelmedi. İade etmek istiyorum.\nTeşekkürler,\nAyşe Yılmaz\n",
    "base64", "ISO-8859-9 (Latin-5, Turkish ş ğ İ ı)",
    "Ayse Yilmaz <ayse@posta.example>", "ayse@posta.example", "Ayse Yilmaz",
    contains=["Siparişim hâlâ gelmedi. İade etmek istiyorum.", "Teşekkürler,"],
)

_u7 = "¡Hola! Mi número de pedido es 42 y el código postal 28013.\nGracias, Lucía\n"
assert b"+" in enc(_u7, "utf_7") and all(b < 0x80 for b in enc(_u7, "utf_7"))
charset_case(
    "utf-7-body", "UTF-7", "utf_7", "Pedido número 42", _u7, "7bit",
    "RFC 2152 (UTF-7; old Outlook Express / webmail could send it); RFC 2047 Q encoding of UTF-7 bytes",
    "Lucia <lucia.m@correo.example>", "lucia.m@correo.example", "Lucia", subject_mode="Q",
    contains=["¡Hola! Mi número de pedido es 42 y el código postal 28013.", "Gracias, Lucía"],
    extra_excludes=["+AKE-", "+APo-"],
)

_raw_subj = "Reunión del jueves — 会議の件"
case(
    "raw-utf8-headers-rfc6532",
    part([("From", "Zoë Müller <zoe.muller@example.de>".encode()), ("To", "soporte@atiende.example"),
          ("Subject", _raw_subj.encode()), ("Date", "Mon, 12 Jan 2026 10:29:00 +0100"),
          ("Message-ID", "<rfc6532.1@example.de>"), ("MIME-Version", "1.0"),
          ("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "8bit")],
         "¿Podemos mover la reunión al viernes?\nZoë\n".encode()),
    {
        "description": "raw 8-bit UTF-8 (no encoded-words) in Subject and the From display name",
        "source": "RFC 6532 §3.2 (UTF-8 in header field values); RFC 6531 SMTPUTF8",
        "from": "zoe.muller@example.de",
        "from_name": "Zoë Müller",
        "subject": _raw_subj,
        "text_contains": ["¿Podemos mover la reunión al viernes?"],
        "text_excludes": ["\ufffd", "Ã"],
        "html": False,
        "attachments": [],
    },
    source_text="¿Podemos mover la reunión al viernes?\nZoë\n",
)

_adj = "Solicitud de devolución del pedido número 7781"
_adj_hdr = "=?UTF-8?Q?Solicitud_de_devolu?=\n =?UTF-8?Q?ci=C3=B3n_del_pedido_?=\n =?UTF-8?B?%s?=" % (
    base64.b64encode("número 7781".encode()).decode())
case(
    "adjacent-encoded-words",
    part(std("Hector <hector@correo.example>", _adj_hdr)
         + [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "8bit")],
         "Quiero devolver el pedido 7781.\n".encode()),
    {
        "description": "subject in three adjacent encoded-words on folded lines, split inside words: the whitespace between them is dropped",
        "source": "RFC 2047 §6.2 (linear whitespace between adjacent encoded-words is ignored) and §8 examples",
        "from": "hector@correo.example",
        "from_name": "Hector",
        "subject": _adj,
        "text_contains": ["Quiero devolver el pedido 7781."],
        "text_excludes": ["\ufffd"],
        "html": False,
        "attachments": [],
    },
    source_text="Quiero devolver el pedido 7781.\n",
)

_split = "Confirmación de pago".encode()
_cut = _split.index("ó".encode()) + 1  # between 0xC3 and 0xB3
case(
    "encoded-word-splits-utf8-character",
    part(std("Banco <avisos@banco.example>", "=?UTF-8?B?%s?=\n =?UTF-8?B?%s?=" % (
        base64.b64encode(_split[:_cut]).decode(), base64.b64encode(_split[_cut:]).decode()))
         + [("Content-Type", "text/plain; charset=utf-8")],
         "Hemos recibido su pago.\n"),
    {
        "description": "a UTF-8 character (ó) split across two adjacent same-charset encoded-words: join the bytes before decoding",
        "source": "RFC 2047 §5 forbids splitting a character, but some mailers do it; Thunderbird and mail-parser join adjacent words of one charset",
        "from": "avisos@banco.example",
        "from_name": "Banco",
        "subject": "Confirmación de pago",
        "text_contains": ["Hemos recibido su pago."],
        "text_excludes": ["\ufffd"],
        "html": False,
        "attachments": [],
    },
    source_text="Hemos recibido su pago.\n",
)

case(
    "encoded-words-two-charsets",
    part(std("Katia <katia@correo.example>", ew("Café y ", "ISO-8859-1", mode="Q") + "\n "
             + ew("чай", "KOI8-R", "koi8_r"))
         + [("Content-Type", "text/plain; charset=utf-8")],
         "Pedido de la cafeteria.\n"),
    {
        "description": "one subject made of an ISO-8859-1 Q word and a KOI8-R B word: each decoded in its own charset, joined",
        "source": "RFC 2047 §2 and §6.2 (each encoded-word carries its own charset)",
        "from": "katia@correo.example",
        "from_name": "Katia",
        "subject": "Café y чай",
        "text_contains": ["Pedido de la cafeteria."],
        "text_excludes": ["\ufffd"],
        "html": False,
        "attachments": [],
    },
    source_text="Pedido de la cafeteria.\n",
)

case(
    "q-encoding-underscores",
    part(std("Ruben <ruben@correo.example>", "=?UTF-8?Q?Mi_pedido_ref=5F7781_no_ha_llegado_=E2=80=94_urgente?=")
         + [("Content-Type", "text/plain; charset=utf-8")],
         "Sigue sin llegar.\n"),
    {
        "description": "Q encoding: '_' is a space, '=5F' is a literal underscore",
        "source": "RFC 2047 §4.2 (2) and (3)",
        "from": "ruben@correo.example",
        "from_name": "Ruben",
        "subject": "Mi pedido ref_7781 no ha llegado — urgente",
        "text_contains": ["Sigue sin llegar."],
        "text_excludes": ["\ufffd"],
        "html": False,
        "attachments": [],
    },
    source_text="Sigue sin llegar.\n",
)

case(
    "encoded-word-between-plain-words",
    part(std("Nuria <nuria@correo.example>", "RE: =?UTF-8?Q?Reclamaci=C3=B3n?= del pedido 7781")
         + [("Content-Type", "text/plain; charset=utf-8")],
         "Adjunto mas datos.\n"),
    {
        "description": "encoded-word between ordinary words: the spaces around it are kept",
        "source": "RFC 2047 §6.2 (whitespace between an encoded-word and ordinary text is not ignored) and §8",
        "from": "nuria@correo.example",
        "from_name": "Nuria",
        "subject": "RE: Reclamación del pedido 7781",
        "text_contains": ["Adjunto mas datos."],
        "text_excludes": ["\ufffd"],
        "html": False,
        "attachments": [],
    },
    source_text="Adjunto mas datos.\n",
)

# --------------------------------------------------------------------------- structure

_sig_text = "Adjunto el comprobante de pago de la factura 2291.\n"
_sig_html = "<p><b>Laura Gómez</b><br>Contabilidad · Ferretería El Sol</p>\n"
case(
    "text-then-html-signature",
    part(std("Laura Gomez <laura@ferreteria.example>", "Pago factura 2291")
         + [("Content-Type", 'multipart/mixed; boundary="sig-7a1"')],
         multipart("sig-7a1", [
             part([("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "7bit")], _sig_text),
             part([("Content-Type", "text/html; charset=utf-8"), ("Content-Transfer-Encoding", "8bit")],
                  _sig_html.encode()),
         ])),
    {
        "description": "multipart/mixed with a text/plain body then a text/html signature part (mobile/Outlook signatures): both kept",
        "source": "RFC 2046 §5.1.3 (mixed parts are shown in order); iOS/Outlook signature behaviour",
        "from": "laura@ferreteria.example",
        "from_name": "Laura Gomez",
        "subject": "Pago factura 2291",
        "text_contains": ["Adjunto el comprobante de pago de la factura 2291.", "Laura Gómez", "Ferretería El Sol"],
        "text_in_order": True,
        "html": True,
        "html_contains": ["Laura Gómez"],
        "attachments": [],
    },
    source_text=_sig_text + "Laura Gómez Contabilidad · Ferretería El Sol",
)

case(
    "text-html-text-inline-parts",
    part(std("Jorge <jorge@correo.example>", "Pedido incompleto")
         + [("Content-Type", 'multipart/mixed; boundary="tri-3"')],
         multipart("tri-3", [
             part([("Content-Type", "text/plain; charset=us-ascii")], "Primera parte: el pedido llego ayer.\n"),
             part([("Content-Type", "text/html; charset=us-ascii"), ("Content-Disposition", "inline")],
                  "<p>Segunda parte: <i>faltan dos piezas</i> del mueble.</p>\n"),
             part([("Content-Type", "text/plain; charset=us-ascii")], "Tercera parte: envienlas, por favor.\n"),
         ])),
    {
        "description": "multipart/mixed with text, html, text inline parts: all three texts, in order",
        "source": "RFC 2046 §5.1.3; Apple Mail sends text/html/text runs when an attachment sits mid-message",
        "from": "jorge@correo.example",
        "from_name": "Jorge",
        "subject": "Pedido incompleto",
        "text_contains": ["Primera parte: el pedido llego ayer.", "faltan dos piezas", "Tercera parte: envienlas, por favor."],
        "text_in_order": True,
        "text_excludes": ["<i>", "<p>"],
        "html": True,
        "html_contains": ["faltan dos piezas"],
        "attachments": [],
    },
    source_text="Primera parte: el pedido llego ayer. Segunda parte: faltan dos piezas del mueble. Tercera parte: envienlas, por favor.",
)

_html_only = "<html><body><p>&iquest;Pueden llamarme ma&ntilde;ana?</p>\n<p>Tel&eacute;fono: 600&nbsp;123&nbsp;456</p></body></html>\n"
case(
    "html-only",
    part(std("Carla <carla@correo.example>", "Llamada")
         + [("Content-Type", "text/html; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")],
         qp(_html_only.encode())),
    {
        "description": "a message whose only part is text/html: the HTML is the body and its text (entities decoded) is the text",
        "source": "RFC 2854 (text/html); marketing/webmail senders without a plain alternative",
        "from": "carla@correo.example",
        "from_name": "Carla",
        "subject": "Llamada",
        "text_contains": ["¿Pueden llamarme mañana?", "Teléfono"],
        "text_excludes": ["&iquest;", "&ntilde;", "<p>"],
        "html": True,
        "html_contains": ["llamarme"],
        "attachments": [],
    },
    source_text=html.unescape(_html_only),
)

_q_text = "Atención: el total a pagar = 150 €, no 105 €.\nGracias.\n"
_q_html = "<p>Atención: el total a pagar = 150 €, no 105 €.</p><p>Gracias.</p>\n"
case(
    "alternative-missing-closing-boundary",
    part(std("Sonia <sonia@correo.example>", "Factura corregida")
         + [("Content-Type", 'multipart/mixed; boundary="outer-01"')],
         multipart("outer-01", [
             part([("Content-Type", 'multipart/alternative; boundary="inner-02"')],
                  multipart("inner-02", [
                      part([("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")],
                           qp(_q_text.encode())),
                      part([("Content-Type", "text/html; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")],
                           qp(_q_html.encode())),
                  ], close=False)),
             part([("Content-Type", 'application/pdf; name="factura-2291.pdf"'),
                   ("Content-Disposition", 'attachment; filename="factura-2291.pdf"'),
                   ("Content-Transfer-Encoding", "base64")], b64(PDF)),
         ])),
    {
        "description": "inner multipart/alternative never closed (no --inner-02--); the outer boundary ends it and the attachment after it is kept; QP text decoded",
        "source": "RFC 2046 §5.1.1 (boundary delimiters); mail-parser malformed cases idea; lenient clients close open inner parts at an outer delimiter",
        "from": "sonia@correo.example",
        "from_name": "Sonia",
        "subject": "Factura corregida",
        "text_contains": ["Atención: el total a pagar = 150 €, no 105 €."],
        "text_excludes": ["=3D", "=C3", "=E2", "--outer-01", "Content-Type:", "\ufffd"],
        "html": True,
        "html_contains": ["el total a pagar = 150 €"],
        "attachments": [{"filename": "factura-2291.pdf", "content_type": "application/pdf"}],
    },
    source_text=_q_text, raw_markers=["=3D", "=C3", "=E2", "--outer-01", "Content-Type:"],
)

case(
    "alternative-html-without-disposition",
    part(std("Envios <envios@tienda.example>", "Su pedido ha sido enviado")
         + [("Content-Type", 'multipart/alternative; boundary="alt-55"')],
         multipart("alt-55", [
             part([("Content-Type", "text/plain; charset=utf-8")],
                  "Su pedido ha sido enviado. Numero de seguimiento: ES123456789.\n"),
             part([("Content-Type", "text/html; charset=utf-8")],
                  "<p>Su pedido ha sido enviado. <strong>Numero de seguimiento:</strong> ES123456789.</p>\n"),
         ])),
    {
        "description": "multipart/alternative text + html, neither with Content-Disposition: the html is the body, not an attachment",
        "source": "RFC 2046 §5.1.4 (alternative); RFC 2183 §2 (no disposition means the part is shown)",
        "from": "envios@tienda.example",
        "from_name": "Envios",
        "subject": "Su pedido ha sido enviado",
        "text_contains": ["Su pedido ha sido enviado.", "ES123456789"],
        "html": True,
        "html_contains": ["ES123456789"],
        "attachments": [],
    },
    source_text="Su pedido ha sido enviado. Numero de seguimiento: ES123456789.",
)

_noct = "Buenos dias, les escribo porque la impresora no enciende.\r\nModelo: LX-300, numero de serie 88-1234.\r\n"
_noct_b64 = b64(_noct.encode())
case(
    "part-without-content-type-base64",
    part(std("Pablo <pablo@correo.example>", "Impresora averiada")
         + [("Content-Type", 'multipart/mixed; boundary="nct-9"')],
         multipart("nct-9", [part([("Content-Transfer-Encoding", "base64")], _noct_b64)])),
    {
        "description": "a part with no Content-Type header but Content-Transfer-Encoding: base64: default text/plain, decoded",
        "source": "RFC 2045 §5.2 (default Content-type: text/plain; charset=us-ascii) and §6.8 base64",
        "from": "pablo@correo.example",
        "from_name": "Pablo",
        "subject": "Impresora averiada",
        "text_contains": ["la impresora no enciende.", "Modelo: LX-300, numero de serie 88-1234."],
        "text_excludes": [_noct_b64[:20].decode()],
        "html": False,
        "attachments": [],
    },
    source_text=_noct, raw_markers=[_noct_b64[:20].decode()],
)

_qp_src = ("La referencia de pago es REF=77-A y el codigo de cliente es 0042. Esta linea es bastante larga "
           "y se parte con un salto suave en el medio.\nUn saludo.\n")
case(
    "no-content-type-quoted-printable",
    part(std("Marcos <marcos@correo.example>", "Referencia de pago")
         + [("Content-Transfer-Encoding", "quoted-printable")], qp(_qp_src.encode())),
    {
        "description": "a whole message without Content-Type but with Content-Transfer-Encoding: quoted-printable: decoded text/plain (=3D and soft line breaks)",
        "source": "RFC 2045 §5.2 (default type) and §6.7 rule 5 (soft line breaks)",
        "from": "marcos@correo.example",
        "from_name": "Marcos",
        "subject": "Referencia de pago",
        "text_contains": ["REF=77-A", "Esta linea es bastante larga y se parte con un salto suave en el medio."],
        "text_excludes": ["=3D"],
        "html": False,
        "attachments": [],
    },
    source_text=_qp_src, raw_markers=["=3D"],
)

case(
    "smime-signed",
    part(std("Tesoreria <tesoreria@empresa.example>", "Transferencia realizada")
         + [("Content-Type", 'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;\n'
             ' boundary="----=_smime_5F2"')],
         multipart("----=_smime_5F2", [
             part([("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "7bit")],
                  "Le confirmo la transferencia de 1.250,00 EUR realizada hoy.\n"),
             part([("Content-Type", "application/pkcs7-signature"), ("Content-Transfer-Encoding", "base64"),
                   ("Content-Disposition", "attachment"), ("Content-Description", "S/MIME Cryptographic Signature")],
                  b64(b"\x30\x82\x01\x10\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" + fake_bytes("smime", 240))),
         ], preamble=b"This is an S/MIME signed message\n\n")),
    {
        "description": "multipart/signed S/MIME: the text is shown, the nameless application/pkcs7-signature is listed as smime.p7s",
        "source": "RFC 8551 §3.5.3 (multipart/signed, .p7s); RFC 1847",
        "from": "tesoreria@empresa.example",
        "from_name": "Tesoreria",
        "subject": "Transferencia realizada",
        "text_contains": ["Le confirmo la transferencia de 1.250,00 EUR realizada hoy."],
        "text_excludes": ["This is an S/MIME signed message"],
        "html": False,
        "attachments": [{"filename": "smime.p7s", "content_type": "application/pkcs7-signature"}],
    },
    source_text="Le confirmo la transferencia de 1.250,00 EUR realizada hoy.",
    raw_markers=["This is an S/MIME signed message"],
)

_pgpsig = ("-----BEGIN PGP SIGNATURE-----\n\n" + b64(fake_bytes("pgpsig", 119), 64).decode()
           + "=Qx7a\n-----END PGP SIGNATURE-----\n")
case(
    "pgp-signed-lf",
    part(std("Otto <otto@example.net>", "Corrected shipping address")
         + [("Content-Type", 'multipart/signed; micalg=pgp-sha256;\n protocol="application/pgp-signature";'
             ' boundary="pgp-sig-11"')],
         multipart("pgp-sig-11", [
             part([("Content-Type", "text/plain; charset=us-ascii"), ("Content-Disposition", "inline")],
                  "Please ship order 3310 to the new address:\nOtto Berg, Calle Mayor 5, 28013 Madrid\n"),
             part([("Content-Type", 'application/pgp-signature; name="signature.asc"'),
                   ("Content-Description", "OpenPGP digital signature"),
                   ("Content-Disposition", 'attachment; filename="signature.asc"')], _pgpsig),
         ], preamble=b"This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\n")),
    {
        "description": "multipart/signed PGP/MIME (mutt style, bare LF): text shown, signature.asc listed",
        "source": "RFC 3156 §5 (OpenPGP signed data); RFC 1847",
        "from": "otto@example.net",
        "from_name": "Otto",
        "subject": "Corrected shipping address",
        "text_contains": ["Please ship order 3310 to the new address:", "Otto Berg, Calle Mayor 5, 28013 Madrid"],
        "text_excludes": ["BEGIN PGP SIGNATURE"],
        "html": False,
        "attachments": [{"filename": "signature.asc", "content_type": "application/pgp-signature"}],
    },
    eol="lf", source_text="Please ship order 3310 to the new address:\nOtto Berg, Calle Mayor 5, 28013 Madrid\n",
    raw_markers=["BEGIN PGP SIGNATURE"],
)

_pgpmsg = ("-----BEGIN PGP MESSAGE-----\n\n" + b64(fake_bytes("pgpmsg", 300), 64).decode()
           + "=m3Kp\n-----END PGP MESSAGE-----\n")
case(
    "pgp-encrypted",
    part(std("Otto <otto@example.net>", "...")
         + [("Content-Type", 'multipart/encrypted;\n protocol="application/pgp-encrypted"; boundary="pgp-enc-12"')],
         multipart("pgp-enc-12", [
             part([("Content-Type", "application/pgp-encrypted"),
                   ("Content-Description", "PGP/MIME version identification")], "Version: 1\n"),
             part([("Content-Type", 'application/octet-stream; name="encrypted.asc"'),
                   ("Content-Description", "OpenPGP encrypted message"),
                   ("Content-Disposition", 'inline; filename="encrypted.asc"')], _pgpmsg),
         ], preamble=b"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\n")),
    {
        "description": "multipart/encrypted PGP/MIME: both parts kept as attachments (the helpdesk cannot decrypt); text may be empty",
        "source": "RFC 3156 §4 (OpenPGP encrypted data); Thunderbird/Enigmail layout (subject hidden as '...')",
        "from": "otto@example.net",
        "from_name": "Otto",
        "subject": "...",
        "html": False,
        "attachments": [
            {"filename": "encrypted.asc", "content_type": "application/pgp-encrypted"},
            {"filename": "encrypted.asc", "content_type": "application/octet-stream"},
        ],
    },
)

_inner = part([("From", "Cliente <cliente@example.org>"), ("To", "ventas@tienda.example"),
               ("Subject", "Pedido 5521 retrasado"), ("Date", "Sun, 11 Jan 2026 19:02:00 +0100"),
               ("Message-ID", "<inner.5521@example.org>"), ("Content-Type", "text/plain; charset=utf-8")],
              "Mi pedido 5521 lleva una semana de retraso.\n")
case(
    "forwarded-rfc822-with-subject",
    part(std("Ventas <ventas@tienda.example>", "Fwd: Pedido 5521 retrasado")
         + [("Content-Type", 'multipart/mixed; boundary="fwd-21"')],
         multipart("fwd-21", [
             part([("Content-Type", "text/plain; charset=utf-8")], "Te reenvio el correo del cliente.\n"),
             part([("Content-Type", "message/rfc822"), ("Content-Disposition", "attachment")], _inner),
         ])),
    {
        "description": "forwarded message/rfc822 attachment without filename: named after its subject",
        "source": "RFC 2046 §5.2.1 (message/rfc822); Thunderbird/Outlook 'forward as attachment'",
        "from": "ventas@tienda.example",
        "from_name": "Ventas",
        "subject": "Fwd: Pedido 5521 retrasado",
        "text_contains": ["Te reenvio el correo del cliente."],
        "html": False,
        "attachments": [{"filename": "Pedido 5521 retrasado.eml", "content_type": "message/rfc822"}],
    },
    source_text="Te reenvio el correo del cliente.",
)

_inner2 = part([("From", "Cliente <cliente@example.org>"), ("To", "ventas@tienda.example"),
                ("Date", "Sun, 11 Jan 2026 19:05:00 +0100"), ("Message-ID", "<inner.nosubj@example.org>"),
                ("Content-Type", "text/plain; charset=utf-8")],
               "Se me olvido poner asunto.\n")
case(
    "forwarded-rfc822-without-subject",
    part(std("Ventas <ventas@tienda.example>", "Fwd:")
         + [("Content-Type", 'multipart/mixed; boundary="fwd-22"')],
         multipart("fwd-22", [
             part([("Content-Type", "text/plain; charset=utf-8")], "Otro correo del cliente, sin asunto.\n"),
             part([("Content-Type", "message/rfc822"), ("Content-Disposition", "attachment")], _inner2),
         ])),
    {
        "description": "forwarded message/rfc822 attachment whose message has no Subject: named message.eml",
        "source": "RFC 2046 §5.2.1; naming rule of this corpus (nameless message/rfc822 without subject)",
        "from": "ventas@tienda.example",
        "from_name": "Ventas",
        "subject": "Fwd:",
        "text_contains": ["Otro correo del cliente, sin asunto."],
        "html": False,
        "attachments": [{"filename": "message.eml", "content_type": "message/rfc822"}],
    },
    source_text="Otro correo del cliente, sin asunto.",
)

_bounce_text = ("Your message to <cliente@example.org> could not be delivered.\n"
                "The remote server answered: 550 5.1.1 mailbox unavailable.\n")
case(
    "bounce-delivery-status-report",
    part(std("Mail Delivery System <MAILER-DAEMON@mx1.example.net>", "Undelivered Mail Returned to Sender",
             to="ventas@tienda.example", extra=[("Auto-Submitted", "auto-replied")])
         + [("Content-Type", 'multipart/report; report-type=delivery-status;\n boundary="dsn-31"')],
         multipart("dsn-31", [
             part([("Content-Type", "text/plain; charset=us-ascii"), ("Content-Description", "Notification")],
                  _bounce_text),
             part([("Content-Type", "message/delivery-status"), ("Content-Description", "Delivery report")],
                  "Reporting-MTA: dns; mx1.example.net\nArrival-Date: Mon, 12 Jan 2026 09:10:00 +0100\n\n"
                  "Final-Recipient: rfc822; cliente@example.org\nAction: failed\nStatus: 5.1.1\n"
                  "Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable\n"),
             part([("Content-Type", "text/rfc822-headers"), ("Content-Description", "Undelivered Message Headers")],
                  "From: Ventas <ventas@tienda.example>\nTo: cliente@example.org\nSubject: Su presupuesto\n"
                  "Message-ID: <orig.77@tienda.example>\n"),
         ])),
    {
        "description": "bounce: multipart/report delivery-status; explanation is the text, the report and headers are attachments",
        "source": "RFC 6522 (multipart/report), RFC 3464 (message/delivery-status), RFC 6522 §4 (text/rfc822-headers)",
        "from": "mailer-daemon@mx1.example.net",
        "from_name": "Mail Delivery System",
        "subject": "Undelivered Mail Returned to Sender",
        "text_contains": ["Your message to <cliente@example.org> could not be delivered."],
        "html": False,
        "attachments": [
            {"filename": "delivery-report.txt", "content_type": "message/delivery-status"},
            {"filename": "headers.txt", "content_type": "text/rfc822-headers"},
        ],
    },
    source_text=_bounce_text,
)

case(
    "nameless-binary-attachments",
    part(std("Almacen <almacen@empresa.example>", "Tres archivos")
         + [("Content-Type", 'multipart/mixed; boundary="nl-41"')],
         multipart("nl-41", [
             part([("Content-Type", "text/plain; charset=us-ascii")], "Adjunto tres archivos sin nombre.\n"),
             part([("Content-Type", "application/octet-stream"), ("Content-Disposition", "attachment"),
                   ("Content-Transfer-Encoding", "base64")], b64(fake_bytes("bin", 48))),
             part([("Content-Type", "image/png"), ("Content-Disposition", "attachment"),
                   ("Content-Transfer-Encoding", "base64")], b64(png_1x1())),
             part([("Content-Type", "application/pdf"), ("Content-Disposition", "attachment"),
                   ("Content-Transfer-Encoding", "base64")], b64(PDF)),
         ])),
    {
        "description": "attachments without any filename get names from their type: file.bin, image.png, document.pdf",
        "source": "RFC 2183 §2.3 (filename is optional); naming rule of this corpus",
        "from": "almacen@empresa.example",
        "from_name": "Almacen",
        "subject": "Tres archivos",
        "text_contains": ["Adjunto tres archivos sin nombre."],
        "html": False,
        "attachments": [
            {"filename": "file.bin", "content_type": "application/octet-stream"},
            {"filename": "image.png", "content_type": "image/png"},
            {"filename": "document.pdf", "content_type": "application/pdf"},
        ],
    },
    source_text="Adjunto tres archivos sin nombre.",
)

_att_log = "2026-01-12 09:00:01 ERROR timeout al conectar con la impresora\n"
case(
    "nameless-text-attachments",
    part(std("Sistemas <sistemas@empresa.example>", "Registro del error")
         + [("Content-Type", 'multipart/mixed; boundary="nl-42"')],
         multipart("nl-42", [
             part([("Content-Type", "text/plain; charset=us-ascii")], "Les paso el registro y la pagina de error.\n"),
             part([("Content-Type", "text/plain; charset=us-ascii"), ("Content-Disposition", "attachment")], _att_log),
             part([("Content-Type", "text/html; charset=us-ascii"), ("Content-Disposition", "attachment")],
                  "<html><body><h1>Error 502 del portal</h1></body></html>\n"),
         ])),
    {
        "description": "nameless text/plain and text/html parts with Content-Disposition: attachment are attachments (text.txt, page.html), not body",
        "source": "RFC 2183 §2.2 (attachment disposition); naming rule of this corpus",
        "from": "sistemas@empresa.example",
        "from_name": "Sistemas",
        "subject": "Registro del error",
        "text_contains": ["Les paso el registro y la pagina de error."],
        "text_excludes": ["timeout al conectar", "Error 502 del portal"],
        "html": False,
        "attachments": [
            {"filename": "text.txt", "content_type": "text/plain"},
            {"filename": "page.html", "content_type": "text/html"},
        ],
    },
    source_text="Les paso el registro y la pagina de error.",
    raw_markers=["timeout al conectar", "Error 502 del portal"],
)

_ics = ("BEGIN:VCALENDAR\nPRODID:-//Atiende corpus//ES\nVERSION:2.0\nMETHOD:REQUEST\nBEGIN:VEVENT\n"
        "UID:corpus-50@empresa.example\nDTSTAMP:20260112T080000Z\nDTSTART:20260115T090000Z\n"
        "DTEND:20260115T093000Z\nSUMMARY:Revision del contrato\nORGANIZER:mailto:agenda@empresa.example\n"
        "END:VEVENT\nEND:VCALENDAR\n")
case(
    "calendar-invite-attachment",
    part(std("Agenda <agenda@empresa.example>", "Invitacion: Revision del contrato")
         + [("Content-Type", 'multipart/mixed; boundary="cal-43"')],
         multipart("cal-43", [
             part([("Content-Type", "text/plain; charset=us-ascii")], "Le invito a la revision del contrato el jueves.\n"),
             part([("Content-Type", "text/calendar; charset=utf-8; method=REQUEST"),
                   ("Content-Disposition", "attachment")], _ics.replace("\n", "\n")),
         ])),
    {
        "description": "nameless text/calendar attachment (meeting request) is listed as invite.ics",
        "source": "RFC 6047 (iMIP, text/calendar in mail); RFC 5545; naming rule of this corpus",
        "from": "agenda@empresa.example",
        "from_name": "Agenda",
        "subject": "Invitacion: Revision del contrato",
        "text_contains": ["Le invito a la revision del contrato el jueves."],
        "text_excludes": ["BEGIN:VCALENDAR"],
        "html": False,
        "attachments": [{"filename": "invite.ics", "content_type": "text/calendar"}],
    },
    source_text="Le invito a la revision del contrato el jueves.", raw_markers=["BEGIN:VCALENDAR"],
)

case(
    "rfc2231-filename-continuation",
    part(std("Direccion <direccion@empresa.example>", "Informe anual")
         + [("Content-Type", 'multipart/mixed; boundary="r2231-44"')],
         multipart("r2231-44", [
             part([("Content-Type", "text/plain; charset=us-ascii")], "Adjunto el informe anual.\n"),
             part([("Content-Type", "application/pdf"),
                   ("Content-Disposition", "attachment;\n filename*0*=UTF-8''informe_a%C3%B1o;\n filename*1*=_2026.pdf"),
                   ("Content-Transfer-Encoding", "base64")], b64(PDF)),
         ])),
    {
        "description": "RFC 2231 filename with charset and continuations (filename*0*=UTF-8''...; filename*1*=...)",
        "source": "RFC 2231 §3 (continuations) and §4 (charset/percent encoding); Thunderbird sends long/non-ASCII names so",
        "from": "direccion@empresa.example",
        "from_name": "Direccion",
        "subject": "Informe anual",
        "text_contains": ["Adjunto el informe anual."],
        "html": False,
        "attachments": [{"filename": "informe_año_2026.pdf", "content_type": "application/pdf"}],
    },
    source_text="Adjunto el informe anual.",
)

_l1name = "factura nº 7.pdf"
_l1pct = "".join(chr(c) if c < 128 and (chr(c).isalnum() or chr(c) in "._-") else "%%%02X" % c for c in _l1name.encode("latin-1"))
case(
    "rfc2231-filename-latin1",
    part(std("Ana <ana@correo.example>", "Factura 7")
         + [("Content-Type", 'multipart/mixed; boundary="r2231-45"')],
         multipart("r2231-45", [
             part([("Content-Type", "text/plain; charset=us-ascii")], "Envio la factura numero 7.\n"),
             part([("Content-Type", "application/pdf; name*=iso-8859-1'es'" + _l1pct),
                   ("Content-Disposition", "attachment; filename*=iso-8859-1'es'" + _l1pct),
                   ("Content-Transfer-Encoding", "base64")], b64(PDF)),
         ])),
    {
        "description": "RFC 2231 single-segment filename in ISO-8859-1 with a language tag (º is %BA)",
        "source": "RFC 2231 §4 (charset'language'value)",
        "from": "ana@correo.example",
        "from_name": "Ana",
        "subject": "Factura 7",
        "text_contains": ["Envio la factura numero 7."],
        "html": False,
        "attachments": [{"filename": _l1name, "content_type": "application/pdf"}],
    },
    source_text="Envio la factura numero 7.",
)

_xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ewname = ew("presupuesto €.xlsx", "UTF-8")
case(
    "rfc2047-encoded-filename",
    part(std("Obras <obras@constructora.example>", "Presupuesto")
         + [("Content-Type", 'multipart/mixed; boundary="r2047-46"')],
         multipart("r2047-46", [
             part([("Content-Type", "text/plain; charset=us-ascii")], "Adjunto el presupuesto.\n"),
             part([("Content-Type", '%s;\n name="%s"' % (_xlsx, _ewname)),
                   ("Content-Disposition", 'attachment;\n filename="%s"' % _ewname),
                   ("Content-Transfer-Encoding", "base64")], b64(b"PK\x03\x04" + fake_bytes("xlsx", 60))),
         ])),
    {
        "description": "filename as an RFC 2047 encoded-word inside quotes (non-standard but sent by Outlook and Thunderbird's option): decoded",
        "source": "RFC 2047 §5 (not allowed in parameters) vs. practice: Outlook, Thunderbird mail.strictly_mime.parm_folding, Gmail decode it",
        "from": "obras@constructora.example",
        "from_name": "Obras",
        "subject": "Presupuesto",
        "text_contains": ["Adjunto el presupuesto."],
        "html": False,
        "attachments": [{"filename": "presupuesto €.xlsx", "content_type": _xlsx}],
    },
    source_text="Adjunto el presupuesto.",
)

_apple_name = "Captura de pantalla 2026-01-12 a las 10.15.03.png"
_apple_txt = "Hola,\n\nos adjunto la captura del error.\n\nUn saludo,\nMarta\n"
case(
    "apple-mail-related-inline-image",
    part(std("Marta <marta@correo.example>", "Error al pagar")
         + [("Content-Type", 'multipart/alternative;\n boundary="Apple-Mail=_A1B2C3D4-0001"')],
         multipart("Apple-Mail=_A1B2C3D4-0001", [
             part([("Content-Transfer-Encoding", "quoted-printable"), ("Content-Type", "text/plain;\n charset=utf-8")],
                  qp(_apple_txt.encode())),
             part([("Content-Type", 'multipart/related;\n type="text/html";\n boundary="Apple-Mail=_A1B2C3D4-0002"')],
                  multipart("Apple-Mail=_A1B2C3D4-0002", [
                      part([("Content-Transfer-Encoding", "7bit"), ("Content-Type", "text/html;\n charset=us-ascii")],
                           '<html><head></head><body>Hola,<br><br>os adjunto la captura del error.<br>'
                           '<img src="cid:F3A1C2D0-0001@correo.example" alt=""><br>Un saludo,<br>Marta</body></html>\n'),
                      part([("Content-Transfer-Encoding", "base64"),
                            ("Content-Disposition", 'inline;\n filename="%s"' % _apple_name),
                            ("Content-Type", 'image/png;\n x-unix-mode=0644;\n name="%s"' % _apple_name),
                            ("Content-Id", "<F3A1C2D0-0001@correo.example>")], b64(png_1x1())),
                  ])),
         ])),
    {
        "description": "Apple Mail layout: alternative(text, related(html, inline image with Content-ID)); html body and the image listed",
        "source": "RFC 2387 (multipart/related), RFC 2392 (cid: URLs); Apple Mail behaviour (Apple-Mail=_ boundaries, x-unix-mode)",
        "from": "marta@correo.example",
        "from_name": "Marta",
        "subject": "Error al pagar",
        "text_contains": ["os adjunto la captura del error."],
        "html": True,
        "html_contains": ["os adjunto la captura del error."],
        "attachments": [{"filename": _apple_name, "content_type": "image/png"}],
    },
    source_text=_apple_txt,
)

case(
    "outlook-winmail-dat",
    part(std("Compras <compras@empresa.example>", "Pedido de material", extra=[("X-MS-TNEF-Correlator", "00000000A1B2")])
         + [("Content-Type", 'multipart/mixed; boundary="_tnef_47_"')],
         multipart("_tnef_47_", [
             part([("Content-Type", "text/plain; charset=us-ascii")], "Adjunto el pedido de material de oficina.\n"),
             part([("Content-Type", 'application/ms-tnef; name="winmail.dat"'),
                   ("Content-Disposition", 'attachment; filename="winmail.dat"'),
                   ("Content-Transfer-Encoding", "base64")],
                  b64(b"\x78\x9f\x3e\x22\x01\x00\x01\x06\x90\x08\x00\x04\x00\x00\x00\x00\x00\x01\x00\x01\x00"
                      + fake_bytes("tnef", 80))),
         ])),
    {
        "description": "Outlook rich-text mail: application/ms-tnef winmail.dat kept as an attachment",
        "source": "Microsoft [MS-OXTNEF] (TNEF signature 0x223E9F78); Outlook behaviour with Rich Text format",
        "from": "compras@empresa.example",
        "from_name": "Compras",
        "subject": "Pedido de material",
        "text_contains": ["Adjunto el pedido de material de oficina."],
        "html": False,
        "attachments": [{"filename": "winmail.dat", "content_type": "application/ms-tnef"}],
    },
    source_text="Adjunto el pedido de material de oficina.",
)


def _long_subject():
    # 32-character prefix + 146 items of 8 characters (" 100001,") = 1,200; the last ',' becomes '.'
    s = "Pedidos pendientes de la semana:" + "".join(" %d," % (100001 + i) for i in range(146))
    return s[:-1] + "."


_long = _long_subject()
assert len(_long) == 1200 and _long == _long.strip() and "  " not in _long


def _fold(value, first=len("Subject: "), width=76):
    lines, cur, budget = [], "", width - first
    for word in value.split(" "):
        piece = word if not cur else " " + word
        if cur and len(cur) + len(piece) > budget:
            lines.append(cur)
            cur, budget = " " + word, width
        else:
            cur += piece
    lines.append(cur)
    return "\n".join(lines)


_long_hdr = _fold(_long)
assert _long_hdr.replace("\n", "") == _long and _long_hdr.count("\n") >= 15
case(
    "subject-1200-chars-folded",
    part(std("Logistica <logistica@empresa.example>", _long_hdr)
         + [("Content-Type", "text/plain; charset=us-ascii")], "Lista adjunta en el asunto.\n"),
    {
        "description": "a 1,200-character subject folded over many lines: unfolding removes each CRLF and keeps the WSP that follows",
        "source": "RFC 5322 §2.2.3 (long header fields, unfolding) and §2.1.1 (998-char line limit is per line, not per field)",
        "from": "logistica@empresa.example",
        "from_name": "Logistica",
        "subject": _long,
        "text_contains": ["Lista adjunta en el asunto."],
        "html": False,
        "attachments": [],
    },
    source_text="Lista adjunta en el asunto.",
)

_nob = "Hola, no puedo acceder a mi cuenta desde ayer.\nUsuario: mgarcia\n"
case(
    "multipart-without-boundary",
    part(std("Maria Garcia <mgarcia@correo.example>", "No puedo entrar")
         + [("Content-Type", "multipart/mixed")], _nob),
    {
        "description": "multipart/mixed without a boundary parameter: the body is kept as text",
        "source": "RFC 2046 §5.1.1 (boundary is required); mail-parser malformed cases idea; Python email records NoBoundaryInMultipartDefect",
        "from": "mgarcia@correo.example",
        "from_name": "Maria Garcia",
        "subject": "No puedo entrar",
        "text_contains": ["Hola, no puedo acceder a mi cuenta desde ayer.", "Usuario: mgarcia"],
        "html": False,
        "attachments": [],
    },
    source_text=_nob, py_skip=("text",),
)

_nev = "Buenos dias,\nel codigo de descuento VERANO26 no funciona en la web.\nGracias.\n"
case(
    "multipart-boundary-never-appears",
    part(std("Diego <diego@correo.example>", "Codigo de descuento")
         + [("Content-Type", 'multipart/alternative; boundary="=_NeverUsed_42"')], _nev),
    {
        "description": "multipart whose boundary never appears in the body: the body text is kept",
        "source": "RFC 2046 §5.1.1; Python email test suite idea (StartBoundaryNotFoundDefect); mail-parser malformed cases idea",
        "from": "diego@correo.example",
        "from_name": "Diego",
        "subject": "Codigo de descuento",
        "text_contains": ["el codigo de descuento VERANO26 no funciona en la web."],
        "html": False,
        "attachments": [],
    },
    source_text=_nev, py_skip=("text",),
)

_bb_src = "El pedido 8812 llegó con la caja abierta y faltan los tornillos."
assert len(_bb_src.encode()) % 3 != 0
_bb = base64.b64encode(_bb_src.encode()).decode().rstrip("=")
_bb_broken = _bb[:12] + "!*" + _bb[12:30] + "\n" + _bb[30:50] + " # " + _bb[50:] + "\n"
assert base64.b64decode(re.sub(r"[^A-Za-z0-9+/]", "", _bb_broken) + "=" * (-len(_bb) % 4)).decode() == _bb_src
case(
    "broken-base64-text",
    part(std("Irene <irene@correo.example>", "Caja abierta")
         + [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "base64")],
         _bb_broken),
    {
        "description": "base64 text part with characters outside the alphabet (!*# and spaces) and no final padding: decoded anyway",
        "source": "RFC 2045 §6.8 (characters outside the base64 alphabet are ignored); mail-parser malformed cases idea",
        "from": "irene@correo.example",
        "from_name": "Irene",
        "subject": "Caja abierta",
        "text_contains": [_bb_src],
        "text_excludes": ["\ufffd", _bb[:12]],
        "html": False,
        "attachments": [],
    },
    source_text=_bb_src, raw_markers=[_bb[:12]],
)

_mbox_body = "Hola,\nquiero darme de baja del boletin.\n"
case(
    "mbox-from-line-lf",
    b"From cliente@example.org Mon Jan 12 09:30:00 2026\n"
    + part(std("Roberto <cliente@example.org>", "Baja del boletin")
           + [("Content-Type", "text/plain; charset=us-ascii")], _mbox_body),
    {
        "description": "an mbox 'From ' separator line before the headers (bare LF, as in an mbox file): ignored, headers parsed",
        "source": "RFC 4155 (application/mbox, From_ line); Python email feedparser unixfrom handling",
        "from": "cliente@example.org",
        "from_name": "Roberto",
        "subject": "Baja del boletin",
        "text_contains": ["quiero darme de baja del boletin."],
        "text_excludes": ["Mon Jan 12 09:30:00 2026", "Subject:"],
        "html": False,
        "attachments": [],
    },
    eol="lf", source_text=_mbox_body, raw_markers=["Mon Jan 12 09:30:00 2026", "Subject:"],
)

case(
    "8bit-garbage-in-unstructured-header",
    part(std("Gloria <gloria@correo.example>", "Consulta de garantia",
             extra=[("X-Mailer", b"Mailer\xff\xfe 2.0 \x80\x81\x9d"), ("Organization", b"Caf\xe9 \x8d\x8f S.L.")])
         + [("Content-Type", "text/plain; charset=us-ascii")], "La garantia cubre dos anos?\n"),
    {
        "description": "raw 8-bit bytes (not valid UTF-8, no charset declared) in X-Mailer and Organization: the rest of the message is unaffected",
        "source": "RFC 5322 §3.2.5/§3.6.5 (unstructured fields are ASCII); Python email test suite idea (undecodable header bytes)",
        "from": "gloria@correo.example",
        "from_name": "Gloria",
        "subject": "Consulta de garantia",
        "text_contains": ["La garantia cubre dos anos?"],
        "html": False,
        "attachments": [],
    },
    source_text="La garantia cubre dos anos?",
)

_mixed = (
    b"From: Victor <victor@correo.example>\r\nTo: soporte@atiende.example\r\nSubject: Horario de entrega\r\n"
    b"Date: Mon, 12 Jan 2026 10:00:00 +0100\r\nMessage-ID: <mixed.eol@correo.example>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="mix-eol"\r\n\r\n'
    b"--mix-eol\n"
    b"Content-Type: text/plain; charset=utf-8\n"
    b"\n"
    b"Prefiero recibir el paquete por la tarde.\r\n"
    b"Gracias.\n"
    b"--mix-eol\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\n"
    b"<p>Prefiero recibir el paquete <b>por la tarde</b>.</p>\n"
    b"--mix-eol--\r\n"
)
case(
    "mixed-line-endings",
    _mixed,
    {
        "description": "CRLF headers, then parts mixing bare LF and CRLF (boundaries and part headers): structure still found",
        "source": "RFC 5322 §2.3 (CR and LF only together) vs. practice: messages edited on Unix or by scripts; Python email test suite idea",
        "from": "victor@correo.example",
        "from_name": "Victor",
        "subject": "Horario de entrega",
        "text_contains": ["Prefiero recibir el paquete por la tarde."],
        "text_excludes": ["--mix-eol", "Content-Type:"],
        "html": True,
        "html_contains": ["por la tarde"],
        "attachments": [],
    },
    eol="raw", source_text="Prefiero recibir el paquete por la tarde.", raw_markers=["--mix-eol", "Content-Type:"],
)

# --------------------------------------------------------------------------- senders


def sender_case(name, top, exp, body="Hola, tengo una consulta.\n", py_skip=()):
    exp = dict(exp)
    exp.setdefault("text_contains", [body.strip()])
    exp.setdefault("html", False)
    exp.setdefault("attachments", [])
    case(name, part(top + [("Content-Type", "text/plain; charset=utf-8")], body), exp,
         source_text=body, py_skip=py_skip)


sender_case(
    "from-encoded-word-local-part",
    [("From", "=?utf-8?Q?attacker?Q?agent?=@victim.example"), ("Reply-To", "Cliente Real <cliente.real@example.org>"),
     ("To", "soporte@atiende.example"), ("Subject", "Cambio de cuenta bancaria"),
     ("Date", "Mon, 12 Jan 2026 11:00:00 +0100"), ("Message-ID", "<ewlocal@victim.example>"), ("MIME-Version", "1.0")],
    {
        "description": "From whose local part is an encoded-word: refused (never decoded into an address); Reply-To is used",
        "source": "RFC 2047 §5 (an encoded-word must not appear in an addr-spec); 'Splitting the email atom' parser-confusion research (PortSwigger, 2024)",
        "from": "cliente.real@example.org",
        "subject": "Cambio de cuenta bancaria",
    },
    body="Por favor, cambien mi cuenta bancaria para los pagos.\n", py_skip=("from",),
)

sender_case(
    "from-without-local-part-uses-sender",
    [("From", "@example.com>"), ("Sender", "soporte@proveedor.example"), ("To", "soporte@atiende.example"),
     ("Subject", "Aviso de mantenimiento"), ("Date", "Mon, 12 Jan 2026 11:05:00 +0100"),
     ("Message-ID", "<nolocal@proveedor.example>"), ("MIME-Version", "1.0")],
    {
        "description": "unusable From (no local part, stray '>'): the Sender header is used",
        "source": "RFC 5322 §3.6.2 (Sender: the mailbox of the agent that sent it); mail-parser malformed cases idea",
        "from": "soporte@proveedor.example",
        "subject": "Aviso de mantenimiento",
    },
    body="El servicio estara en mantenimiento el sabado.\n", py_skip=("from",),
)

sender_case(
    "only-return-path",
    [("Return-Path", "<bounce@example.org>"), ("To", "soporte@atiende.example"), ("Subject", "Sin remitente"),
     ("Date", "Mon, 12 Jan 2026 11:10:00 +0100"), ("Message-ID", "<onlyrp@example.org>"), ("MIME-Version", "1.0")],
    {
        "description": "no From, Reply-To or Sender; only Return-Path: that address is used",
        "source": "RFC 5321 §4.4 (Return-Path added at final delivery); RFC 5322 §3.6.7",
        "from": "bounce@example.org",
        "subject": "Sin remitente",
    },
    body="Mensaje generado por un formulario antiguo.\n", py_skip=("from",),
)

sender_case(
    "no-usable-sender",
    [("From", '"Nobody" <>'), ("To", "soporte@atiende.example"), ("Subject", "Mensaje anonimo"),
     ("Date", "Mon, 12 Jan 2026 11:15:00 +0100"), ("Message-ID", "<nobody@mail.example>"), ("MIME-Version", "1.0")],
    {
        "description": "From with an empty address and no Reply-To/Sender/Return-Path: no sender (from null)",
        "source": "RFC 5321 §4.5.5 (null reverse-path <>); RFC 5322 §3.4 (addr-spec needs local part and domain)",
        "from": None,
        "subject": "Mensaje anonimo",
    },
    body="Este mensaje no tiene remitente valido.\n", py_skip=("from",),
)

sender_case(
    "quoted-display-name-with-comma",
    [("From", '"Pérez, Juan" <Juan.Perez@Example.COM>'.encode()), ("To", "soporte@atiende.example"),
     ("Subject", "Cambio de horario"), ("Date", "Mon, 12 Jan 2026 11:20:00 +0100"),
     ("Message-ID", "<perez@example.com>"), ("MIME-Version", "1.0")],
    {
        "description": "quoted display name containing a comma (and raw UTF-8): one mailbox, address lower-cased",
        "source": "RFC 5322 §3.4 (display-name as quoted-string) and §3.2.4; RFC 6532 (UTF-8 in quoted-string); Outlook 'Last, First' names",
        "from": "juan.perez@example.com",
        "from_name": "Pérez, Juan",
        "subject": "Cambio de horario",
    },
    body="Quisiera cambiar el horario de la cita.\n",
)

sender_case(
    "from-comment-display-name",
    [("From", "juan@example.com (Juan Pérez)".encode()), ("To", "soporte@atiende.example"),
     ("Subject", "Consulta"), ("Date", "Mon, 12 Jan 2026 11:25:00 +0100"),
     ("Message-ID", "<comment@example.com>"), ("MIME-Version", "1.0")],
    {
        "description": "old comment form 'addr (Name)': the address is used and the comment is the display name",
        "source": "RFC 5322 §3.4 and §4.4 (obsolete addr (comment) form, still sent by old Unix mailers); RFC 822 practice",
        "from": "juan@example.com",
        "from_name": "Juan Pérez",
        "subject": "Consulta",
    },
    body="Tengo una duda sobre mi contrato.\n", py_skip=("from",),
)

sender_case(
    "encoded-display-name-latin1",
    [("From", "=?ISO-8859-1?Q?Jos=E9_Garc=EDa?= <jose@example.es>"), ("To", "soporte@atiende.example"),
     ("Subject", "Presupuesto"), ("Date", "Mon, 12 Jan 2026 11:30:00 +0100"),
     ("Message-ID", "<jose@example.es>"), ("MIME-Version", "1.0")],
    {
        "description": "display name as an ISO-8859-1 Q encoded-word",
        "source": "RFC 2047 §5 (1) (encoded-word as a phrase word) and §8",
        "from": "jose@example.es",
        "from_name": "José García",
        "subject": "Presupuesto",
    },
    body="Necesito un presupuesto para la reforma.\n",
)

sender_case(
    "to-undisclosed-recipients-group",
    [("From", "Carmen Ruiz <carmen.ruiz@example.com>"), ("To", "undisclosed-recipients:;"),
     ("Subject", "Aviso a todos los clientes"), ("Date", "Mon, 12 Jan 2026 11:35:00 +0100"),
     ("Message-ID", "<group@example.com>"), ("MIME-Version", "1.0")],
    {
        "description": "To is an empty group 'undisclosed-recipients:;' (Bcc-only send): parsing and the From are unaffected",
        "source": "RFC 5322 §3.4 (group syntax) and §A.1.3; sendmail/Outlook Bcc-only behaviour",
        "from": "carmen.ruiz@example.com",
        "from_name": "Carmen Ruiz",
        "subject": "Aviso a todos los clientes",
    },
    body="Nuestras oficinas cierran el lunes.\n",
)


# --------------------------------------------------------------------------- output and checks

KEY_ORDER = ["description", "source", "from", "from_name", "subject", "text_contains", "text_in_order",
             "text_excludes", "html", "html_contains", "attachments"]


def dump_json(exp):
    assert set(exp) <= set(KEY_ORDER), set(exp) - set(KEY_ORDER)
    ordered = {k: exp[k] for k in KEY_ORDER if k in exp}
    s = json.dumps(ordered, ensure_ascii=False, indent=2)

    def esc(m):
        return "\\u%04x" % ord(m.group(0))

    # Invisible characters (U+FFFD, C1 controls, bidi marks) are written as \u escapes.
    s = re.sub("[\ufffd\u0080-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]", esc, s)
    return (s + "\n").encode("utf-8")


def fix_surrogates(s):
    return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if s else s


def default_name(p):
    ct = p.get_content_type()
    if ct == "message/rfc822":
        subj = p.get_payload(0)["subject"] if p.get_payload() else None
        return "%s.eml" % str(subj).strip() if subj and str(subj).strip() else "message.eml"
    table = {
        "message/delivery-status": "delivery-report.txt", "text/rfc822-headers": "headers.txt",
        "application/octet-stream": "file.bin", "image/png": "image.png", "image/jpeg": "image.jpg",
        "image/gif": "image.gif", "application/pdf": "document.pdf", "text/calendar": "invite.ics",
        "application/pkcs7-signature": "smime.p7s", "application/pgp-signature": "signature.asc",
        "application/pgp-encrypted": "encrypted.asc", "text/plain": "text.txt", "text/html": "page.html",
    }
    return table.get(ct, "file.bin")


def leaves(p):
    if p.get_content_maintype() == "multipart":
        for sub in p.iter_parts():
            yield from leaves(sub)
    else:
        yield p


def python_view(raw):
    """What Python's email package makes of a message, in the JSON's terms."""
    msg = BytesParser(policy=email.policy.default).parsebytes(raw)
    texts, has_html, atts = [], False, []
    for p in leaves(msg):
        ct, disp = p.get_content_type(), p.get_content_disposition()
        if ct in ("text/plain", "text/html") and disp != "attachment":
            try:
                body = p.get_content()
            except LookupError:  # a charset label Python does not know (x-unknown-8bit, windows-874)
                body = p.get_payload(decode=True).decode("ascii", "replace")
            if ct == "text/html":
                has_html = True
                body = html.unescape(re.sub(r"<[^>]+>", " ", body))
            texts.append(body)
        elif p is not msg:
            atts.append({"filename": fix_surrogates(p.get_filename()) or default_name(p), "content_type": ct})
    frm = msg["from"]
    addr = name = None
    if frm is not None and frm.addresses:
        a = frm.addresses[0]
        addr = fix_surrogates(a.addr_spec).lower()
        name = fix_surrogates(a.display_name) or None
    subject = fix_surrogates(str(msg["subject"] or "")).strip()
    return dict(msg=msg, text=re.sub(r"[ \t]+", " ", "\n".join(texts)), html=has_html, attachments=atts,
                frm=addr, from_name=name, subject=subject)


def check_case(c, raw):
    exp, name = c["exp"], c["name"]
    problems = []
    assert exp.get("description") and exp.get("source"), name
    if len(raw) > 6144:
        problems.append("larger than 6 KB (%d)" % len(raw))
    crlf, lf = raw.count(b"\r\n"), raw.count(b"\n") - raw.count(b"\r\n")
    want = {"crlf": (crlf > 0 and lf == 0), "lf": (crlf == 0 and lf > 0), "raw": (crlf > 0 and lf > 0)}[c["eol"]]
    if not want:
        problems.append("line endings not %s (crlf=%d lf=%d)" % (c["eol"], crlf, lf))
    src = unicodedata.normalize("NFC", c["source_text"])
    for s in exp.get("text_contains", []):
        if s not in src:
            problems.append("text_contains %r not in the encoded source text" % s)
        for x in exp.get("text_excludes", []):
            if x in s:
                problems.append("%r is both contained and excluded" % x)
    for m in c["raw_markers"]:
        if m.encode("latin-1", "ignore") not in raw and m.encode() not in raw:
            problems.append("exclusion marker %r does not occur in the .eml" % m)
    for a in exp.get("attachments", []):
        if a["content_type"] != a["content_type"].lower():
            problems.append("content type not lower-case")
    # Python's email package: must load; for well-formed cases it must agree.
    try:
        view = python_view(raw)
    except Exception as e:  # pragma: no cover - would be a generator bug
        return problems + ["Python email failed to load: %r" % e]
    skip = c["py_skip"]
    if "subject" in exp and "subject" not in skip and view["subject"] != exp["subject"]:
        problems.append("python subject %r != %r" % (view["subject"][:80], exp["subject"][:80]))
    if "from" in exp and "from" not in skip:
        if view["frm"] != exp["from"]:
            problems.append("python from %r != %r" % (view["frm"], exp["from"]))
        if "from_name" in exp and view["from_name"] != exp["from_name"]:
            problems.append("python from_name %r != %r" % (view["from_name"], exp["from_name"]))
    if "text" not in skip:
        pos = 0
        for s in exp.get("text_contains", []):
            i = view["text"].find(s, pos if exp.get("text_in_order") else 0)
            if i < 0:
                problems.append("python text lacks %r" % s)
            elif exp.get("text_in_order"):
                pos = i + len(s)
        for x in exp.get("text_excludes", []):
            if x in view["text"]:
                problems.append("python text contains excluded %r" % x)
    if "html" in exp and "html" not in skip and "text" not in skip and view["html"] != exp["html"]:
        problems.append("python html %r != %r" % (view["html"], exp["html"]))
    if "attachments" in exp and "attachments" not in skip and "text" not in skip:
        if view["attachments"] != exp["attachments"]:
            problems.append("python attachments %r != %r" % (view["attachments"], exp["attachments"]))
    return problems


def main():
    check_only = "--check" in sys.argv[1:]
    names = [c["name"] for c in CASES]
    assert len(set(names)) == len(names)
    stale = sorted(f for f in os.listdir(HERE) if re.match(r"\d{3}-.*\.(eml|json)$", f)
                   and f.rsplit(".", 1)[0] not in names)
    failures = 0
    for c in CASES:
        eml, js = os.path.join(HERE, c["name"] + ".eml"), os.path.join(HERE, c["name"] + ".json")
        data = dump_json(c["exp"])
        if check_only:
            for path, want in ((eml, c["raw"]), (js, data)):
                if not os.path.exists(path) or open(path, "rb").read() != want:
                    print("%s: differs from the generator" % os.path.basename(path))
                    failures += 1
        else:
            with open(eml, "wb") as f:
                f.write(c["raw"])
            with open(js, "wb") as f:
                f.write(data)
        for p in check_case(c, c["raw"]):
            print("%s: %s" % (c["name"], p))
            failures += 1
    if stale:
        print("files of no case (remove them): %s" % ", ".join(stale))
        failures += len(stale)
    print("%d cases, %d problem(s)" % (len(CASES), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
