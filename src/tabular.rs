//! Reading and writing tables for import and export, as CSV or XLSX, with
//! the same columns both ways so that export → import round-trips. Reading
//! is strict: an XLSX with merged cells, formulas, or without the expected
//! sheet is refused whole, with a Vietnamese message naming the cell.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::error::{AppError, Result};
use crate::input::shorten;

/// One data row: its line in the file (1 = header) and its cells in the
/// order of the column list given to [`read`].
#[derive(Debug)]
pub struct Record {
    pub line: u64,
    pub cells: Vec<String>,
}

impl Record {
    pub fn get(&self, i: usize) -> Option<String> {
        self.cells
            .get(i)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// XLSX files are zip archives; everything else is read as CSV.
    pub fn sniff(bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }

    pub fn parse(raw: Option<&str>) -> Result<Format> {
        match raw.map(str::trim).unwrap_or("csv") {
            "csv" | "" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            other => Err(AppError::field(
                "format",
                format!("Định dạng: \"{}\" không hợp lệ (csv hoặc xlsx).", shorten(other)),
            )),
        }
    }
}

fn bad(message: String) -> AppError {
    AppError::field("file", message)
}

/// A table read from a file: which of the requested columns its header
/// has, and the data rows.
pub struct Table {
    pub present: Vec<bool>,
    pub records: Vec<Record>,
}

/// Reads a CSV or XLSX table whose header names some of `columns` (any
/// order). Unknown headers are refused; missing ones read as empty cells.
pub fn read(bytes: &[u8], sheet: &str, columns: &[&str]) -> Result<Vec<Record>> {
    Ok(read_table(bytes, sheet, columns, &[])?.records)
}

/// As [`read`], also accepting `aliases` (alias, column) in the header.
pub fn read_table(bytes: &[u8], sheet: &str, columns: &[&str], aliases: &[(&str, &str)]) -> Result<Table> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(bad("Tệp: tệp rỗng.".into()));
    }
    let (header, rows) = match Format::sniff(bytes) {
        Format::Xlsx => read_xlsx(bytes, sheet)?,
        Format::Csv => read_csv(bytes)?,
    };
    let mut index = Vec::with_capacity(header.len());
    let mut present = vec![false; columns.len()];
    for h in &header {
        let h = h.trim().to_lowercase();
        let canonical = aliases
            .iter()
            .find(|(a, _)| *a == h)
            .map(|(_, c)| *c)
            .unwrap_or(h.as_str());
        match columns.iter().position(|c| *c == canonical) {
            Some(i) => {
                present[i] = true;
                index.push(Some(i));
            }
            None if h.is_empty() => index.push(None),
            None => {
                return Err(bad(format!(
                    "Tệp: cột \"{}\" không hợp lệ. Các cột: {}.",
                    shorten(&h),
                    columns.join(", ")
                )));
            }
        }
    }
    let mut records = Vec::with_capacity(rows.len());
    for (line, cells) in rows {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut ordered = vec![String::new(); columns.len()];
        for (pos, value) in cells.into_iter().enumerate() {
            if let Some(Some(i)) = index.get(pos) {
                // A NUL would make PostgreSQL refuse the import's statements;
                // no cell has a use for it.
                if value.contains('\0') {
                    return Err(bad(format!(
                        "Tệp: dòng {line}, cột \"{}\" chứa ký tự NUL.",
                        columns[*i]
                    )));
                }
                ordered[*i] = value;
            }
        }
        records.push(Record { line, cells: ordered });
    }
    if records.is_empty() {
        return Err(bad("Tệp: không có dòng dữ liệu nào.".into()));
    }
    Ok(Table { present, records })
}

type Rows = (Vec<String>, Vec<(u64, Vec<String>)>);

fn read_csv(bytes: &[u8]) -> Result<Rows> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| bad("Tệp CSV: phải được lưu với mã hóa UTF-8.".into()))?;
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.contains(';') && !first.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(format!("Tệp CSV: không đọc được dòng tiêu đề ({e}).")))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            bad(format!("Tệp CSV: dòng {line} không đọc được ({e})."))
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        rows.push((
            line,
            record.iter().map(|c| unguard_formula(c.to_string())).collect(),
        ));
    }
    Ok((header, rows))
}

/// Column letters of a 0-based index: 0 → A, 27 → AB.
fn column_name(mut col: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

fn read_xlsx(bytes: &[u8], sheet: &str) -> Result<Rows> {
    let mut book =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| bad(format!("Tệp XLSX: không đọc được ({e}).")))?;
    if !book.sheet_names().iter().any(|s| s == sheet) {
        return Err(bad(format!(
            "Tệp XLSX: không có trang tính \"{sheet}\" (tệp có: {}).",
            book.sheet_names().join(", ")
        )));
    }
    let merged = book
        .merge_cells_by_sheet_name(sheet)
        .map_err(|e| bad(format!("Tệp XLSX: không đọc được ({e}).")))?;
    if let Some(dims) = merged.first() {
        return Err(bad(format!(
            "Tệp XLSX: trang tính \"{sheet}\" có ô gộp ({}{}); hãy bỏ gộp ô rồi nhập lại.",
            column_name(dims.start.1),
            dims.start.0 + 1
        )));
    }
    let formulas = book
        .worksheet_formula(sheet)
        .map_err(|e| bad(format!("Tệp XLSX: không đọc được ({e}).")))?;
    if let Some((row, col, _)) = formulas.used_cells().find(|(_, _, f)| !f.is_empty()) {
        let (r0, c0) = formulas.start().unwrap_or((0, 0));
        return Err(bad(format!(
            "Tệp XLSX: ô {}{} chứa công thức; hãy dán giá trị (Paste Values) rồi nhập lại.",
            column_name(c0 + col as u32),
            r0 as usize + row + 1
        )));
    }
    let range = book
        .worksheet_range(sheet)
        .map_err(|e| bad(format!("Tệp XLSX: không đọc được ({e}).")))?;
    let (r0, _) = range.start().unwrap_or((0, 0));
    let mut iter = range.rows().enumerate();
    let header = match iter.next() {
        Some((_, cells)) => cells.iter().map(cell_text).collect(),
        None => return Err(bad("Tệp XLSX: trang tính trống.".into())),
    };
    let rows = iter
        .map(|(i, cells)| {
            (
                u64::from(r0) + i as u64 + 1,
                cells.iter().map(cell_text).collect(),
            )
        })
        .collect();
    Ok((header, rows))
}

/// A cell as text: numbers without a trailing ".0", dates as dd/mm/yyyy.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        Data::DateTime(d) => excel_date(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Excel's day count (from 30/12/1899) to a Vietnamese date.
fn excel_date(serial: f64) -> String {
    // Excel's calendar ends on 31/12/9999 (day 2,958,465); anything else in
    // a date cell is shown as the number it is rather than converted.
    if !(0.0..=2_958_465.0).contains(&serial) {
        return serial.to_string();
    }
    let base = time::macros::date!(1899 - 12 - 30);
    match base.checked_add(time::Duration::days(serial.floor() as i64)) {
        Some(d) => format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year()),
        None => serial.to_string(),
    }
}

/// The bad rows of an all-or-nothing import: each kept as "Dòng N: …"
/// under the key "line N", at most [`RowErrors::MAX_LISTED`] listed (a file
/// that bad needs fixing at its source; the message must stay readable),
/// all counted.
#[derive(Default)]
pub struct RowErrors {
    listed: crate::error::Invalid,
    count: usize,
}

impl RowErrors {
    pub const MAX_LISTED: usize = 200;

    pub fn add(&mut self, line: u64, message: impl std::fmt::Display) {
        self.count += 1;
        if self.count <= Self::MAX_LISTED {
            self.listed
                .add(&format!("line {line}"), format!("Dòng {line}: {message}"));
        }
    }

    /// Records a row refused for its content; any other error (a database
    /// fault) is not the file's fault and is handed back.
    pub fn refused(&mut self, line: u64, err: AppError) -> Result<()> {
        match err {
            AppError::Validation { .. }
            | AppError::Conflict { .. }
            | AppError::Forbidden(_)
            | AppError::NotFound(_) => {
                self.add(line, err.user_message());
                Ok(())
            }
            other => Err(other),
        }
    }

    /// Ok when no row was bad; else one Validation error listing them.
    pub fn finish(self) -> Result<()> {
        if self.count == 0 {
            return Ok(());
        }
        let mut summary = format!("Không nhập dòng nào: tệp có {} dòng lỗi.", self.count);
        if self.count > Self::MAX_LISTED {
            summary.push_str(&format!(" Liệt kê {} dòng lỗi đầu tiên.", Self::MAX_LISTED));
        }
        Err(match self.listed.into_error() {
            AppError::Validation { message, fields } => AppError::Validation {
                message: format!("{summary} {message}"),
                fields,
            },
            other => other,
        })
    }
}

/// Spreadsheets run a cell that starts with = + - @ as a formula. CSV
/// cells get a leading apostrophe there (what Excel itself writes) and
/// reading takes it off again, so the round trip is exact. XLSX needs none:
/// every cell is written as text.
pub fn guard_formula(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

pub fn unguard_formula(text: String) -> String {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_string(),
        _ => text,
    }
}

/// Writes a table in the format asked for (XLSX with one sheet).
pub fn write(format: Format, sheet: &str, columns: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    match format {
        Format::Csv => write_csv(columns, rows),
        Format::Xlsx => write_xlsx(sheet, columns, rows),
    }
}

/// An optional value as a cell: empty when absent.
pub fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// Writes a table as CSV.
pub fn write_csv(columns: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(columns).map_err(anyhow::Error::from)?;
    for row in rows {
        w.write_record(row.iter().map(|c| guard_formula(c)))
            .map_err(anyhow::Error::from)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

/// Writes a table as XLSX, one sheet, every cell as text so that codes keep
/// their leading zeros and the file reads back exactly.
pub fn write_xlsx(sheet: &str, columns: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    write_xlsx_sheets(&[Sheet {
        name: sheet.to_string(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        numeric: vec![false; columns.len()],
        rows: rows.to_vec(),
    }])
}

/// One sheet of a workbook; a `numeric` column's cells are written as
/// numbers (so a reader can sum them), the others as text.
pub struct Sheet {
    pub name: String,
    pub columns: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

/// Writes several tables as one XLSX workbook, a sheet each.
pub fn write_xlsx_sheets(sheets: &[Sheet]) -> Result<Vec<u8>> {
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(anyhow::anyhow!("xlsx: {e}"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(&sheet.name).map_err(err)?;
        for (c, name) in sheet.columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, name, &bold)
                .map_err(err)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                if value.is_empty() {
                    continue;
                }
                let number = sheet.numeric.get(c).copied().unwrap_or(false);
                match value.parse::<f64>() {
                    Ok(n) if number => ws.write_number(r as u32 + 1, c as u16, n).map_err(err)?,
                    _ => ws.write_string(r as u32 + 1, c as u16, value).map_err(err)?,
                };
            }
        }
    }
    book.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xlsx_round_trips_text_cells() {
        let rows = vec![vec!["03583".to_string(), "Bản Nà Ho".to_string(), String::new()]];
        let bytes = write_xlsx("Thử", &["ma", "ten", "ghi_chu"], &rows).unwrap();
        assert_eq!(Format::sniff(&bytes), Format::Xlsx);
        let back = read(&bytes, "Thử", &["ma", "ten", "ghi_chu"]).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].line, 2);
        assert_eq!(back[0].cells, rows[0]);
        let wrong = read(&bytes, "Khác", &["ma"]).unwrap_err();
        assert!(wrong.user_message().contains("không có trang tính \"Khác\""));
    }

    #[test]
    fn names_cells_like_a_spreadsheet() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(27), "AB");
        assert_eq!(excel_date(45888.0), "19/08/2025");
        assert_eq!(excel_date(1e20), "100000000000000000000");
        assert_eq!(excel_date(-3.0), "-3");
    }

    #[test]
    fn formulas_are_defused_in_csv_and_restored_on_reading() {
        assert_eq!(guard_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(guard_formula("Bản Nà"), "Bản Nà");
        assert_eq!(unguard_formula(guard_formula("@SUM(A1)")), "@SUM(A1)");
        assert_eq!(unguard_formula("'bình thường".into()), "'bình thường");
        let csv = write_csv(&["ten"], &[vec!["=1+1".into()]]).unwrap();
        assert_eq!(String::from_utf8(csv.clone()).unwrap(), "ten\n'=1+1\n");
        assert_eq!(read(&csv, "x", &["ten"]).unwrap()[0].cells[0], "=1+1");
    }
}
