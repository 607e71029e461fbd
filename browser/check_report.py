"""Opens the report's DOCX (python-docx) and XLSX (openpyxl) as a reader's
office software would and finds the figures. Used by browser/dashboard.mjs:
python3 check_report.py REPORT.docx REPORT.xlsx FIGURE..."""
import sys

import docx
import openpyxl


def main() -> int:
    docx_path, xlsx_path, *figures = sys.argv[1:]
    document = docx.Document(docx_path)
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            texts.extend(cell.text for cell in row.cells)
    doc_text = "\n".join(texts)
    book = openpyxl.load_workbook(xlsx_path, read_only=True)
    sheets = book.sheetnames
    cells = []
    for name in sheets:
        for row in book[name].iter_rows(values_only=True):
            cells.extend(str(c) for c in row if c is not None)
    xlsx_text = "\n".join(cells)
    missing = []
    for want in ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO", *figures]:
        if want not in doc_text:
            missing.append(f"docx: {want}")
    for want in figures:
        if want not in xlsx_text:
            missing.append(f"xlsx: {want}")
    for sheet in ["Báo cáo", "Chỉ tiêu", "Theo đơn vị"]:
        if sheet not in sheets:
            missing.append(f"xlsx sheet: {sheet}")
    # The figures as numbers in the indicators sheet, not only as text.
    numbers = {row[0]: row[3] for row in book["Chỉ tiêu"].iter_rows(min_row=2, values_only=True)}
    if numbers.get("so_buoi_tuyen_truyen") != 10480:
        missing.append(f"xlsx number so_buoi_tuyen_truyen: {numbers.get('so_buoi_tuyen_truyen')!r}")
    if missing:
        print("\n".join(missing))
        return 1
    print(f"ok - docx ({len(document.paragraphs)} paragraphs, {len(document.tables)} tables) and xlsx ({', '.join(sheets)}) hold the figures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
