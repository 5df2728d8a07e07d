#!/usr/bin/env python3
"""Write the .xlsx fixtures of tests/data (an Excel workbook is a zip of
XML parts; no spreadsheet library needed) and the CSV that says the same
thing, so the importer's verdicts on both can be compared.

usage: mkxlsx.py OUTDIR      writes import-xlsx.xlsx and import-xlsx.csv
"""
import os
import sys
import zipfile
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"

# (sheet row number, cells); a cell is (column, kind, value, csv text):
# s shared string, rich shared string (list of runs), is inline string,
# n number (as Excel stores it), b boolean, str formula result.
ROWS = [
    (1, [("A", "s", "Nom", "Nom"), ("B", "s", "Téléphone", "Téléphone"), ("C", "s", "Ville", "Ville")]),
    (2, [("A", "s", "Awa", "Awa"), ("B", "n", "22370123456", "22370123456"), ("C", "s", "Bamako", "Bamako")]),
    (3, [("A", "s", "Ba", "Ba"), ("B", "n", "2.2370123457E10", "22370123457"), ("C", "s", "Kayes", "Kayes")]),
    (4, [("A", "s", "Ci", "Ci"), ("B", "s", "+223 70 12 34 58", "+223 70 12 34 58"),
         ("C", "is", "Ségou, centre", "Ségou, centre")]),
    (5, [("A", "is", "Di", "Di"), ("B", "is", "70 12 34 59", "70 12 34 59"), ("C", "rich", ["Mo", "pti"], "Mopti")]),
    (6, [("A", "s", "El", "El"), ("B", "s", "abc", "abc"), ("C", "s", "Sikasso", "Sikasso")]),
    # row 7 absent: an empty line in the CSV
    (8, [("A", "s", "Fa", "Fa"), ("B", "n", "70123456", "70123456"), ("C", "str", "Gao", "Gao")]),
    (9, [("A", "s", "Gi", "Gi"), ("B", "n", "2.237012346E+10", "22370123460"), ("C", "b", "1", "TRUE")]),
    (10, [("C", "s", "Tombouctou", "Tombouctou")]),
    (11, [("A", "s", "Hi", "Hi"), ("B", "n", "3.5", "3.5"), ("C", "s", "x;y", '"x;y"')]),
]


def sheet_xml(rows, shared):
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
           '<worksheet xmlns="%s" xmlns:r="%s"><sheetData>' % (MAIN, REL)]
    for r, cells in rows:
        out.append('<row r="%d">' % r)
        for col, kind, value, _ in cells:
            ref = "%s%d" % (col, r)
            if kind in ("s", "rich"):
                out.append('<c r="%s" t="s"><v>%d</v></c>' % (ref, shared.index((kind, value if kind == "s" else tuple(value)))))
            elif kind == "is":
                out.append('<c r="%s" t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>' % (ref, escape(value)))
            elif kind == "n":
                out.append('<c r="%s"><v>%s</v></c>' % (ref, value))
            elif kind == "b":
                out.append('<c r="%s" t="b"><v>%s</v></c>' % (ref, value))
            elif kind == "str":
                out.append('<c r="%s" t="str"><f>UPPER("gao")</f><v>%s</v></c>' % (ref, escape(value)))
        out.append('</row>')
    out.append('</sheetData></worksheet>')
    return "".join(out)


def shared_xml(shared):
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
           '<sst xmlns="%s" count="%d" uniqueCount="%d">' % (MAIN, len(shared), len(shared))]
    for kind, value in shared:
        if kind == "s":
            out.append('<si><t>%s</t></si>' % escape(value))
        else:
            out.append('<si>' + "".join('<r><rPr><b/></rPr><t>%s</t></r>' % escape(v) for v in value) +
                       '<rPh sb="0" eb="1"><t>PHONETIC</t></rPh></si>')
    out.append('</sst>')
    return "".join(out)


def write_xlsx(path, rows):
    shared = []
    for _, cells in rows:
        for _, kind, value, _ in cells:
            key = (kind, value if kind == "s" else tuple(value)) if kind in ("s", "rich") else None
            if key and key not in shared:
                shared.append(key)
    parts = {
        "[Content_Types].xml":
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '</Types>',
        "_rels/.rels":
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="%s">'
            '<Relationship Id="rId1" Type="%s/officeDocument" Target="xl/workbook.xml"/></Relationships>' % (PKG, REL),
        # The first sheet is rId7 -> sheet2.xml, to check the lookup.
        "xl/workbook.xml":
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="%s" xmlns:r="%s"><sheets>'
            '<sheet name="Contacts" sheetId="1" r:id="rId7"/><sheet name="Autre" sheetId="2" r:id="rId1"/>'
            '</sheets></workbook>' % (MAIN, REL),
        "xl/_rels/workbook.xml.rels":
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="%s">'
            '<Relationship Id="rId1" Type="%s/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId7" Type="%s/worksheet" Target="/xl/worksheets/sheet2.xml"/>'
            '<Relationship Id="rId3" Type="%s/sharedStrings" Target="sharedStrings.xml"/>'
            '</Relationships>' % (PKG, REL, REL, REL),
        "xl/worksheets/sheet1.xml": sheet_xml([(1, [("A", "is", "not this sheet", "")])], shared),
        "xl/worksheets/sheet2.xml": sheet_xml(rows, shared),
        "xl/sharedStrings.xml": shared_xml(shared),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text.encode("utf-8"))


def write_csv(path, rows):
    lines, last = [], 0
    for r, cells in rows:
        while last + 1 < r:
            lines.append("")
            last += 1
        texts = {}
        for col, _, _, text in cells:
            texts[ord(col) - ord("A")] = text
        lines.append(";".join(texts.get(i, "") for i in range(max(texts) + 1)))
        last = r
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")


if __name__ == "__main__":
    out = sys.argv[1]
    write_xlsx(os.path.join(out, "import-xlsx.xlsx"), ROWS)
    write_csv(os.path.join(out, "import-xlsx.csv"), ROWS)
