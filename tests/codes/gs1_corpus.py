"""A GS1 syntax corpus built from the specifications: each case cites the clause it tests.

`expect` is the canonical subject the text names, or "!<problem code>" when it must be refused.
Sources: the GS1 General Specifications (GS) and the AI table of GS1's Barcode Syntax Dictionary
(SD) that encodes it; the GS1 Digital Link Standard: URI Syntax 1.x (DL); ISO/IEC 15424 symbology
identifiers as the General Specifications list them (SI). Cases marked "engine" restate a vector
from the unit tests of GS1's reference syntax engine (gs1-syntax-engine), written afresh here.
"""

from __future__ import annotations

from dataclasses import dataclass

CLAUSES = {
    "SD format": "SD/GS AI table: value type (N, X = character set 82), fixed or maximum length",
    "SD check digit": "GS 7.9: mod-10 check digits of GTIN, SSCC and other N keys (csum)",
    "SD check pair": "GS 7.9: check-character pair of the GMN (csumalpha)",
    "SD date": "GS 7.12 and SD linters yymmd0/yymmdd: valid month, day (00 where allowed)",
    "SD empty": "GS 3.x / SD: every AI value has at least one character",
    "SD req": "GS rules for mandatory associations, SD 'req=' attributes",
    "SD ex": "GS rules for invalid AI pairs, SD 'ex=' attributes",
    "SD repeat": "GS: an AI may repeat only with an identical value",
    "SD unknown AI": "SD: only allocated AIs",
    "GS cset82": "GS figure 7.11-1: character set 82, no spaces or control characters",
    "GS element string": "GS: bracketed (human-readable) element strings, '\\(' for a data '('",
    "GS FNC1": "GS: predefined-length AIs need no separator; others end at FNC1 (GS) or the end",
    "SI": "SI: ]C1 GS1-128, ]e0 DataBar, ]d2 DataMatrix, ]Q3 QR, ]J1 DotCode, ]E0/]E4 EAN/UPC, "
    "]Q1/]d1 plain data",
    "DL scheme": "DL: http or https scheme (one case throughout)",
    "DL host": "DL/RFC 3986: a host is required; no userinfo, no IPv6 zone id",
    "DL path key": "DL: the path ends with a primary key; any stem before the rightmost key",
    "DL qualifiers": "DL: key qualifiers follow the key in the dictionary's order (dlpkey=)",
    "DL GTIN-14": "DL: the GTIN in a URI path is written with 14 digits (decision: strict)",
    "DL query": "DL: numeric query parameters are AIs; others (linkType...) pass through",
    "DL query attribute": "DL: only data attributes ('?' flag), not key qualifiers, in the query",
    "DL duplicate": "DL: an AI appears once across path and query",
    "DL percent": "DL/RFC 3986: percent-encoding; '+' is literal in the path, a space in the query",
    "DL fragment": "DL/RFC 3986: a fragment is not part of the identifier",
    "service": "trace_service: what names an item (01+21), lot (01+10) or parcel (00)",
}


@dataclass(frozen=True)
class Case:
    text: str
    expect: str
    clause: str
    resolver: bool = True  # False where a resolver at https://a would not be addressed

    @property
    def accepted(self) -> bool:
        return not self.expect.startswith("!")


G = "12312312312333"  # a GTIN-14 with a good check digit (engine vectors use it)
G2 = "09520123456788"
SS = "006141411234567890"  # an SSCC (engine vectors)
SS2 = "952012345678912345"
GS = "\x1d"
ITEM = f"01/{G}/21/S1"
BAD = "!invalid_subject"
NOT_OURS = "!unsupported_subject"

CASES = [
    # --- Digital Link: scheme and host -----------------------------------------------------
    Case(f"https://a/00/{SS}", f"00/{SS}", "DL scheme"),
    Case(f"http://a/00/{SS}", f"00/{SS}", "DL scheme"),
    Case(f"HTTPS://a/00/{SS}", f"00/{SS}", "DL scheme"),
    Case(f"HTTP://a/00/{SS}", f"00/{SS}", "DL scheme"),
    Case(f"HtTp://a/b/00/{SS}", BAD, "DL scheme"),  # engine
    Case(f"Https://a/{ITEM}", BAD, "DL scheme"),
    Case(f"ftp://a/{ITEM}", BAD, "DL scheme"),
    Case(f"https://00/{SS}", BAD, "DL host"),  # engine: "00" is the host; no key is left
    Case("https://a", BAD, "DL host"),
    Case(f"https://xn--fsq.xn--0zwm56d/{ITEM}", ITEM, "DL host"),  # engine: punycode
    Case(f"https://a./{ITEM}", ITEM, "DL host"),  # engine: explicit FQDN
    Case(f"https://a:65535/{ITEM}", ITEM, "DL host"),  # engine: port
    Case(f"https://192.0.2.1/{ITEM}", ITEM, "DL host"),  # engine: IPv4
    Case(f"https://[2001:db8::1]/{ITEM}", ITEM, "DL host"),  # engine: IPv6
    Case(f"https://[fe80::1%25lo]/{ITEM}", BAD, "DL host"),  # engine: zone id
    Case(f"https://$a/{ITEM}", BAD, "DL host"),  # engine
    Case(f"https://user@a/{ITEM}", BAD, "DL host"),
    Case(f"https://[broken/{ITEM}", BAD, "DL host"),
    # --- Digital Link: path --------------------------------------------------------------------
    Case(f"https://a/stem/00/{SS}", f"00/{SS}", "DL path key"),  # engine
    Case(f"https://a/more/stem/00/{SS}", f"00/{SS}", "DL path key"),  # engine
    Case(f"https://a/00/faux/00/{SS}", f"00/{SS}", "DL path key", resolver=False),  # engine
    Case(f"https://a/stem/00/{SS}/", BAD, "DL path key"),  # engine: no trailing slash
    Case("https://a/", BAD, "DL path key"),
    Case("https://a/b", BAD, "DL path key"),
    Case(f"https://a/01/{G}", BAD, "service"),  # a GTIN alone names a product
    Case(f"https://a/01/{G}/21/A/B", BAD, "DL path key"),  # "/" in a value must be %2F
    Case(f"https://a/01/{G}/10/ABC123", f"01/{G}/10/ABC123", "DL qualifiers"),
    Case(f"https://a/01/{G}/21/12345", f"01/{G}/21/12345", "DL qualifiers"),
    Case(f"https://a/01/{G}/10/LOT1/21/LJ2026-0001", f"01/{G}/21/LJ2026-0001", "DL qualifiers"),
    Case(f"https://a/01/{G}/21/S1/10/L1", BAD, "DL qualifiers"),  # order is 22, 10, 21
    Case(f"https://a/01/{G}/22/TEST/10/ABC/21/XYZ", NOT_OURS, "DL qualifiers"),  # engine
    Case(f"https://a/01/{G}/235/TEST", NOT_OURS, "DL qualifiers"),  # engine
    Case(f"https://a/01/{G}/235/TEST/21/S1", BAD, "DL qualifiers"),  # alternatives don't mix
    Case("https://a/253/1231231231232", NOT_OURS, "DL path key"),  # engine: GDTI
    Case("https://a/414/9520123456788/254/32a%2Fb", NOT_OURS, "DL qualifiers"),  # engine
    Case("https://a/8018/123456789012345675/8019/123", NOT_OURS, "DL qualifiers"),  # engine
    Case(f"https://a/01/{G}/89/ABC123?99=XYZ", BAD, "SD unknown AI"),  # engine
    Case(f"https://a/01/{G}/21/", BAD, "SD empty"),
    Case(f"https://a/01/{G}/10//21/S1", BAD, "SD empty"),
    Case("https://a/01/12312312312334/21/S1", "!invalid_gtin", "SD check digit"),
    Case("https://a/00/006141411234567891", "!invalid_sscc", "SD check digit"),
    Case(f"https://a/01/{G}/21/{'x' * 21}", "!invalid_serial", "SD format"),
    Case("https://a/01/1231231231233/21/S1", BAD, "SD format"),  # 13 digits: not an N14
    Case("https://a/01/9520123456788/21/S1", BAD, "DL GTIN-14"),  # engine: GTIN-13 refused
    Case("https://a/01/416000336108/21/S1", BAD, "DL GTIN-14"),  # engine: GTIN-12 refused
    Case("https://a/01/02345673/21/S1", BAD, "DL GTIN-14"),  # engine: GTIN-8 refused
    # --- Digital Link: percent-encoding and fragments ----------------------------------------
    Case(f"https://a/01/{G}/21/A%2fB", f"01/{G}/21/A%2FB", "DL percent"),
    Case(f"https://a/01/{G}/10/ABC%2d123", f"01/{G}/10/ABC-123", "DL percent"),  # engine
    Case(f"https://a/01/{G}/21/ABC+123", f"01/{G}/21/ABC%2B123", "DL percent"),  # engine
    Case(f"https://a/01/{G}/21/S%201", "!invalid_serial", "GS cset82"),
    Case(f"https://a/01/{G}/21/S 1", BAD, "DL percent"),  # a raw space is no URI character
    Case(f"https://a/01/{G}/21/A%00B", BAD, "DL percent"),  # engine: NUL
    Case(f"https://a/01/{G}/21/A%FFB", BAD, "DL percent"),
    Case(f"https://a/01/{G}/21/A%4gB", BAD, "DL percent"),
    Case(f"https://a/01/{G}/21/%E4%B8%AD", BAD, "GS cset82"),  # UTF-8 is not GS1 data
    Case(f"https://a/{ITEM}#", ITEM, "DL fragment"),  # engine
    Case(f"https://a/{ITEM}#fragment", ITEM, "DL fragment"),  # engine
    Case(f"https://a/00/{SS}?99=ABC#fragment", f"00/{SS}", "DL fragment"),  # engine
    # --- Digital Link: query string -------------------------------------------------------------
    Case(f"https://a/{ITEM}?", ITEM, "DL query"),  # engine: empty query
    Case(f"https://a/{ITEM}?99=ABC&98=XYZ", ITEM, "DL query"),  # engine
    Case(f"https://a/{ITEM}?&&&99=ABC&&&&&&98=XYZ&&&", ITEM, "DL query"),  # engine
    Case(f"https://a/{ITEM}?unknown=666&99=ABC&singleton", ITEM, "DL query"),  # engine
    Case(f"https://a/{ITEM}?linkType=all&format=application/json", ITEM, "DL query"),
    Case(f"https://a/{ITEM}?99=", BAD, "SD empty"),  # engine
    Case(f"https://a/{ITEM}?999=faux", BAD, "DL query"),  # engine
    Case(f"https://a/{ITEM}?89=ABC123", BAD, "SD unknown AI"),  # engine
    Case(f"https://a/{ITEM}?17=201332", BAD, "SD date"),
    Case(f"https://a/{ITEM}?17=271231", ITEM, "SD date"),
    Case(f"https://a/{ITEM}?17=270200", ITEM, "SD date"),  # yymmd0: day 00 allowed
    Case(f"https://a/{ITEM}?11=270200", ITEM, "SD date"),
    Case(f"https://a/{ITEM}?7006=270200", BAD, "SD date"),  # yymmdd: no day 00
    Case(f"https://a/{ITEM}?17=2712", BAD, "SD format"),
    Case(f"https://a/{ITEM}?10=L1", BAD, "DL query attribute"),  # engine: belongs in the path
    Case(f"https://a/01/{G}/10/L1?21=S1", BAD, "DL query attribute"),
    Case(f"https://a/{ITEM}?22=V1", BAD, "DL query attribute"),
    Case(f"https://a/{ITEM}?01={G}", BAD, "DL duplicate"),  # engine
    Case(f"https://a/01/{G}/10/L1?99=X&10=L1", BAD, "DL duplicate"),  # engine
    Case(f"https://a/{ITEM}?99=X&99=X", BAD, "DL duplicate"),  # engine
    Case(f"https://a/{ITEM}?99=ABC&98=XYZ%2f987", ITEM, "DL percent"),  # engine
    Case(f"https://a/{ITEM}?98=XYZ+987", BAD, "DL percent"),  # engine: '+' is a space here
    Case(f"https://a/01/{G2}/10/ABC1/21/12345?17=180426", f"01/{G2}/21/12345", "DL query"),
    Case(f"https://a/01/{G2}/21/S1?3103=000195&3922=0299&17=201225", f"01/{G2}/21/S1", "SD req"),
    Case(f"https://a/01/{G2}/21/S1?3922=0299", BAD, "SD req"),  # price needs a measure
    Case(f"https://a/01/{G2}/21/S1?3103=000195&3102=000195", BAD, "SD ex"),  # 310n pair
    Case(f"https://a/00/{SS2}?02={G2}&37=25&10=ABC123", f"00/{SS2}", "SD req"),  # engine
    Case(f"https://a/00/{SS2}?37=25", BAD, "SD req"),  # a count needs (02) content
    Case(f"https://a/00/{SS2}?02={G2}", BAD, "SD req"),  # content needs a count (37)
    Case(f"https://a/{ITEM}?4321=1", BAD, "SD req"),  # a shipping flag needs an SSCC
    Case(f"https://a/00/{SS2}?01=9520123456788", f"00/{SS2}", "DL query"),  # padded to 14
    # --- element strings ------------------------------------------------------------------------
    Case(f"(01){G}(21)S1", ITEM, "GS element string"),
    Case(f"(01){G}(10)L1", f"01/{G}/10/L1", "GS element string"),
    Case(f"(00){SS}", f"00/{SS}", "GS element string"),
    Case(f"(00){SS2}(02){G2}(37)25(10)L1", f"00/{SS2}", "SD req"),  # logistic label
    Case(f"(02){G2}(37)25", BAD, "SD req"),  # (37) needs the SSCC
    Case(f"(01){G}(21)S1(250)X", ITEM, "SD req"),
    Case(f"(01){G}(10)L1(250)X", BAD, "SD req"),  # (250) needs (21)
    Case(f"(01){G}(02){G2}(37)1", BAD, "SD ex"),  # engine: (01) with (02)
    Case(f"(01){G}(37)10(21)S1", BAD, "SD ex"),
    Case(f"(01){G}(21)ABC(235)XYZ", BAD, "SD ex"),  # engine
    Case(f"(01){G}(21)S1(21)S1", ITEM, "SD repeat"),  # engine: identical repeat
    Case(f"(01){G}(21)S1(21)S2", BAD, "SD repeat"),  # engine
    Case(f"(01){G}(21)A B", "!invalid_serial", "GS cset82"),  # whitespace is data, refused
    Case(f"(01){G}(21)S1 ", "!invalid_serial", "GS cset82"),
    Case(f"(01){G}(21)S1\n", "!invalid_serial", "GS cset82"),
    Case(f" (01){G}(21)S1", BAD, "GS element string"),
    Case(f"(01){G}(10)", "!invalid_lot", "SD empty"),  # engine
    Case(f"(01){G}(17)(21)S1", BAD, "SD empty"),
    Case(f"(01){G}(10)L\\(1(21)S1", ITEM, "GS element string"),  # engine: escaped "("
    Case("(1A)12345", BAD, "GS element string"),  # engine
    Case("(1)12345", BAD, "GS element string"),  # engine
    Case("(12345)12345", BAD, "GS element string"),  # engine
    Case("(15", BAD, "GS element string"),  # engine
    Case("(01)123456789012312(10)12345", "!invalid_gtin", "SD format"),  # engine: too long
    Case(f"(01){G}(17)9(21)S1", BAD, "SD format"),  # engine: (17) is N6
    Case(f"(01){G}(89)X", BAD, "SD unknown AI"),
    Case(f"(01){G}(11)131313(21)S1", BAD, "SD date"),  # engine: month 13
    Case(f"(01){G}(15)270200(21)S1", ITEM, "SD date"),
    Case(f"(01){G}(21)S1(8008)20122515300", BAD, "SD format"),  # engine: minutes cut short
    Case(f"(01){G}(21)S1(4321)2", BAD, "SD req"),
    Case("(01)12312312312334(21)S1", "!invalid_gtin", "SD check digit"),
    Case("(8013)1987654Ad4X4bL5ttr2310c2K", NOT_OURS, "SD check pair"),  # GS example GMN
    Case("(8013)1987654Ad4X4bL5ttr2310c2X", BAD, "SD check pair"),
    Case("(99)ABC", BAD, "service"),  # valid GS1, names nothing
    Case(f"(01){G}(22)V1(21)S1", NOT_OURS, "service"),
    Case(f"(01){G}", BAD, "service"),
    # --- unbracketed AI data and symbology identifiers ---------------------------------------
    Case(f"01{G}21S1", ITEM, "GS FNC1"),
    Case(f"01{G}10L1{GS}21S1", ITEM, "GS FNC1"),
    Case(f"01{G}10L121S1", f"01/{G}/10/L121S1", "GS FNC1"),  # no GS: the lot runs to the end
    Case(f"01{G}{GS}21S1", ITEM, "GS FNC1"),  # engine: a superfluous separator is tolerated
    Case(f"0112312312312{GS}21S1", "!invalid_gtin", "GS FNC1"),  # (01) cut short
    Case(f"]C100{SS}", f"00/{SS}", "SI"),
    Case(f"]d201{G}1727123110LOT1{GS}21S1", ITEM, "SI"),
    Case(f"]Q301{G}21S1", ITEM, "SI"),
    Case(f"]e001{G}21S1", ITEM, "SI"),
    Case(f"]J101{G}21S1", ITEM, "SI"),
    Case(f"]Q1https://a/{ITEM}", ITEM, "SI"),
    Case(f"]d1https://a/{ITEM}?17=271231", ITEM, "SI"),
    Case("]Q1TESTING", BAD, "SI"),  # plain data that is no Digital Link
    Case("]E09520123456788", BAD, "SI"),  # EAN-13: a GTIN alone names a product
    Case("]E09520123456787", BAD, "SI"),  # bad check digit
    Case(f"]X001{G}21S1", BAD, "SI"),  # unknown symbology identifier
    Case("]", BAD, "SI"),
    Case(f"]d2 01{G}21S1", BAD, "SI"),
    Case(f"]C101{G}21S1\r", "!invalid_serial", "GS cset82"),
    # --- the service's own forms -----------------------------------------------------------------
    Case(SS, f"00/{SS}", "service"),
    Case(G, BAD, "service"),
    Case(ITEM, ITEM, "service"),
    Case(f"/{ITEM}", ITEM, "service"),
    Case(f"01/{G}/10/L1/21/S1", ITEM, "service"),
    Case("hello", BAD, "service"),
]
