//! Reading and writing tables for import and export, as CSV or XLSX, with
//! the same columns both ways so that export → import round-trips. Reading
//! is strict: an XLSX with merged cells, formulas, or without the expected
//! sheet is refused whole, with a Vietnamese message naming the cell.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::error::{AppError, Result};
use crate::input::shorten;

mod xlsx;

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
    let mut source = records(bytes, sheet, columns, aliases)?;
    let records = source.by_ref().collect::<Result<Vec<_>>>()?;
    if records.is_empty() {
        return Err(no_rows());
    }
    Ok(Table {
        present: source.present,
        records,
    })
}

/// The refusal of a file with a header and no data row.
pub fn no_rows() -> AppError {
    bad("Tệp: không có dòng dữ liệu nào.".into())
}

/// The data rows of a table one at a time, for imports too large to hold
/// as records at once (a CSV of a million rows is ~70 MB of text but would
/// be ~700 MB of cells). Blank rows are skipped; a row the CSV reader
/// cannot parse, or holding a NUL, ends the iteration with its refusal.
pub struct Records<'a> {
    /// Which of the requested columns the header has.
    pub present: Vec<bool>,
    /// Header position → requested column.
    index: Vec<Option<usize>>,
    columns: Vec<String>,
    rows: RowSource<'a>,
}

enum RowSource<'a> {
    Csv(Box<dyn Iterator<Item = csv::Result<csv::StringRecord>> + Send + 'a>),
    Xlsx(std::vec::IntoIter<(u64, Vec<String>)>),
}

/// A file sent to an import: held in memory, or written to disk as it
/// arrived (web/extract.rs, `Spooled`) and read from there a row at a time.
pub enum Sent<'a> {
    Bytes(&'a [u8]),
    File(std::fs::File),
}

impl<'a> Sent<'a> {
    /// The same upload again from its start, for a second reading (an
    /// activities import that leaves its fast lane, activities/pipelined.rs).
    pub fn again(&self) -> Result<Sent<'a>> {
        match self {
            Sent::Bytes(bytes) => Ok(Sent::Bytes(bytes)),
            // A clone shares the file's position: records_sent starts from
            // the beginning whatever it is.
            Sent::File(file) => file
                .try_clone()
                .map(Sent::File)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("reading an uploaded file again: {e}"))),
        }
    }
}

/// Opens a CSV or XLSX table for reading row by row; the header is checked
/// here, as [`read_table`] does.
pub fn records<'a>(
    bytes: &'a [u8],
    sheet: &str,
    columns: &[&str],
    aliases: &[(&str, &str)],
) -> Result<Records<'a>> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(bad("Tệp: tệp rỗng.".into()));
    }
    let (header, rows) = match Format::sniff(bytes) {
        Format::Xlsx => {
            let (header, rows) = read_xlsx(bytes, sheet)?;
            (header, RowSource::Xlsx(rows.into_iter()))
        }
        Format::Csv => {
            let (header, rows) = open_csv(bytes)?;
            (header, RowSource::Csv(Box::new(rows)))
        }
    };
    with_header(header, rows, columns, aliases)
}

/// [`records`] of a file sent either way. A CSV on disk is read a buffer
/// at a time, so a file of any size takes a few kilobytes while it is
/// read; an XLSX is read whole (its rows are unzipped at once anyway).
pub fn records_sent<'a>(
    sent: Sent<'a>,
    sheet: &str,
    columns: &[&str],
    aliases: &[(&str, &str)],
) -> Result<Records<'a>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = match sent {
        Sent::Bytes(bytes) => return records(bytes, sheet, columns, aliases),
        Sent::File(file) => file,
    };
    let unreadable = |e: std::io::Error| AppError::Internal(anyhow::anyhow!("reading an uploaded file: {e}"));
    // From its start, whoever read it before (Sent::again shares the
    // position); enough to tell an XLSX, skip a BOM and find the CSV's
    // delimiter.
    file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    let mut start = Vec::new();
    (&mut file)
        .take(64 * 1024)
        .read_to_end(&mut start)
        .map_err(unreadable)?;
    if start.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(bad("Tệp: tệp rỗng.".into()));
    }
    if Format::sniff(&start) == Format::Xlsx {
        file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(unreadable)?;
        let (header, rows) = read_xlsx(&bytes, sheet)?;
        return with_header(header, RowSource::Xlsx(rows.into_iter()), columns, aliases);
    }
    let bom = if start.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let first = start[bom..].split(|b| *b == b'\n').next().unwrap_or_default();
    file.seek(SeekFrom::Start(bom as u64)).map_err(unreadable)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(&String::from_utf8_lossy(first)))
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(256 * 1024, file));
    let header = csv_header(&mut reader)?;
    with_header(
        header,
        RowSource::Csv(Box::new(reader.into_records())),
        columns,
        aliases,
    )
}

/// Checks a table's header against the requested columns.
fn with_header<'a>(
    header: Vec<String>,
    rows: RowSource<'a>,
    columns: &[&str],
    aliases: &[(&str, &str)],
) -> Result<Records<'a>> {
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
    Ok(Records {
        present,
        index,
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows,
    })
}

impl Iterator for Records<'_> {
    type Item = Result<Record>;

    fn next(&mut self) -> Option<Result<Record>> {
        loop {
            let (line, cells): (u64, Vec<String>) = match &mut self.rows {
                RowSource::Xlsx(rows) => rows.next()?,
                RowSource::Csv(rows) => match rows.next()? {
                    Ok(record) => (
                        record.position().map(|p| p.line()).unwrap_or(0),
                        record.iter().map(|c| unguard_formula(c.to_string())).collect(),
                    ),
                    Err(e) => {
                        let line = e.position().map(|p| p.line()).unwrap_or(0);
                        if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                            return Some(Err(not_utf8()));
                        }
                        return Some(Err(bad(format!("Tệp CSV: dòng {line} không đọc được ({e})."))));
                    }
                },
            };
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let mut ordered = vec![String::new(); self.columns.len()];
            for (pos, value) in cells.into_iter().enumerate() {
                if let Some(Some(i)) = self.index.get(pos) {
                    // A NUL would make PostgreSQL refuse the import's statements;
                    // no cell has a use for it.
                    if value.contains('\0') {
                        return Some(Err(bad(format!(
                            "Tệp: dòng {line}, cột \"{}\" chứa ký tự NUL.",
                            self.columns[*i]
                        ))));
                    }
                    ordered[*i] = value;
                }
            }
            return Some(Ok(Record { line, cells: ordered }));
        }
    }
}

type Rows = (Vec<String>, Vec<(u64, Vec<String>)>);

/// A CSV's header and its rows, still to be read.
fn open_csv(bytes: &[u8]) -> Result<(Vec<String>, csv::StringRecordsIntoIter<&[u8]>)> {
    let text =
        std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(|_| not_utf8())?;
    let first = text.lines().next().unwrap_or_default();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(first))
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = csv_header(&mut reader)?;
    Ok((header, reader.into_records()))
}

fn not_utf8() -> AppError {
    bad("Tệp CSV: phải được lưu với mã hóa UTF-8.".into())
}

/// ';' when the header line has semicolons and no comma (Excel's CSV in a
/// Vietnamese locale), else ','.
fn delimiter(first_line: &str) -> u8 {
    if first_line.contains(';') && !first_line.contains(',') {
        b';'
    } else {
        b','
    }
}

fn csv_header<R: std::io::Read>(reader: &mut csv::Reader<R>) -> Result<Vec<String>> {
    let header = reader.headers().map_err(|e| match e.kind() {
        csv::ErrorKind::Utf8 { .. } => not_utf8(),
        _ => bad(format!("Tệp CSV: không đọc được dòng tiêu đề ({e}).")),
    })?;
    Ok(header.iter().map(str::to_string).collect())
}

/// Column letters of a 0-based index: 0 → A, 27 → AB.
fn column_name(col: u32) -> String {
    let mut s = String::new();
    xlsx::push_column(&mut s, col as usize);
    s
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

    pub fn is_empty(&self) -> bool {
        self.count == 0
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
    let mut w = TableWriter::new(Format::Csv, "", columns)?;
    for row in rows {
        w.row(row)?;
    }
    w.finish()
}

/// Writes a table as XLSX, one sheet, every cell as text so that codes keep
/// their leading zeros and the file reads back exactly.
pub fn write_xlsx(sheet: &str, columns: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    write_book(&[(sheet, &columns, &vec![false; columns.len()], rows)])
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
    let parts: Vec<_> = sheets
        .iter()
        .map(|s| (s.name.as_str(), &s.columns, &s.numeric, s.rows.as_slice()))
        .collect();
    write_book(&parts)
}

type SheetParts<'a> = (&'a str, &'a Vec<String>, &'a Vec<bool>, &'a [Vec<String>]);

fn write_book(sheets: &[SheetParts<'_>]) -> Result<Vec<u8>> {
    let mut w: Option<TableWriter> = None;
    for (name, columns, numeric, rows) in sheets {
        let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
        match w.as_mut() {
            None => w = Some(TableWriter::xlsx(name, &cols, numeric)?),
            Some(w) => w.sheet(name, &cols, numeric)?,
        }
        if let Some(w) = w.as_mut() {
            for row in *rows {
                w.row(row)?;
            }
        }
    }
    match w {
        Some(w) => w.finish(),
        None => TableWriter::xlsx("Trang 1", &[], &[])?.finish(),
    }
}

/// Rows an Excel sheet holds, its header included.
const XLSX_MAX_ROWS: u32 = 1_048_576;

/// A table written row by row, so an export of a million rows never holds
/// them all: CSV, or XLSX compressed as it is written ([`xlsx::Book`]). A
/// sheet that reaches Excel's 1.048.576 rows goes on in "<name> (2)", and
/// so on: no row is left out.
pub struct TableWriter {
    inner: Writer,
}

enum Writer {
    Csv(Box<csv::Writer<Vec<u8>>>),
    Xlsx(Box<XlsxState>),
}

struct XlsxState {
    book: xlsx::Book,
    name: String,
    columns: Vec<String>,
    numeric: Vec<bool>,
    /// Sheets of the current table (its continuations included).
    parts: usize,
    /// Rows a sheet holds (Excel's limit; smaller in tests).
    max_rows: u32,
}

impl TableWriter {
    pub fn new(format: Format, sheet: &str, columns: &[&str]) -> Result<TableWriter> {
        match format {
            Format::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record(columns).map_err(anyhow::Error::from)?;
                Ok(TableWriter {
                    inner: Writer::Csv(Box::new(w)),
                })
            }
            Format::Xlsx => TableWriter::xlsx(sheet, columns, &vec![false; columns.len()]),
        }
    }

    /// An XLSX table whose `numeric` columns are written as numbers.
    pub fn xlsx(sheet: &str, columns: &[&str], numeric: &[bool]) -> Result<TableWriter> {
        let mut state = XlsxState {
            book: xlsx::Book::new(),
            name: String::new(),
            columns: Vec::new(),
            numeric: Vec::new(),
            parts: 0,
            max_rows: XLSX_MAX_ROWS,
        };
        state.start(sheet, columns, numeric)?;
        Ok(TableWriter {
            inner: Writer::Xlsx(Box::new(state)),
        })
    }

    /// Starts another table on a sheet of its own (XLSX only; a CSV holds
    /// one table, and the call is refused).
    pub fn sheet(&mut self, sheet: &str, columns: &[&str], numeric: &[bool]) -> Result<()> {
        match &mut self.inner {
            Writer::Xlsx(state) => state.start(sheet, columns, numeric),
            Writer::Csv(_) => Err(AppError::Internal(anyhow::anyhow!("a CSV holds one table"))),
        }
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<()> {
        match &mut self.inner {
            Writer::Csv(w) => {
                w.write_record(cells.iter().map(|c| guard_formula(c.as_ref())))
                    .map_err(anyhow::Error::from)?;
                Ok(())
            }
            Writer::Xlsx(state) => state.row(cells),
        }
    }

    pub fn finish(self) -> Result<Vec<u8>> {
        match self.inner {
            Writer::Csv(w) => w
                .into_inner()
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}"))),
            Writer::Xlsx(state) => state.book.finish(),
        }
    }
}

impl XlsxState {
    fn start(&mut self, sheet: &str, columns: &[&str], numeric: &[bool]) -> Result<()> {
        self.name = sheet.to_string();
        self.columns = columns.iter().map(|c| c.to_string()).collect();
        self.numeric = numeric.to_vec();
        self.parts = 0;
        self.add_sheet()
    }

    /// A new sheet for the current table, with its header row.
    fn add_sheet(&mut self) -> Result<()> {
        self.parts += 1;
        let name = if self.parts == 1 {
            self.name.clone()
        } else {
            // Sheet names have at most 31 characters.
            let suffix = format!(" ({})", self.parts);
            let base: String = self.name.chars().take(31 - suffix.chars().count()).collect();
            format!("{base}{suffix}")
        };
        self.book.sheet(&name)?;
        self.book.row(&self.columns, &[], true)
    }

    fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<()> {
        if self.book.rows() >= self.max_rows {
            self.add_sheet()?;
        }
        self.book.row(cells, &self.numeric, false)
    }
}

/// Rows handed to a [`PipedWriter`]'s thread at a time: enough to make the
/// hand-over cost nothing per row, few enough to hold little.
const PIPE_BATCH: usize = 1024;

/// A [`TableWriter`] on a thread of its own. An export reads the database
/// on one core while this one formats and compresses the file on the other;
/// rows go over in batches, at most a few batches in flight.
pub struct PipedWriter {
    batch: Vec<Vec<String>>,
    tx: tokio::sync::mpsc::Sender<Vec<Vec<String>>>,
    done: Option<tokio::task::JoinHandle<Result<Vec<u8>>>>,
}

impl PipedWriter {
    pub fn spawn(mut w: TableWriter) -> PipedWriter {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Vec<String>>>(4);
        let done = tokio::task::spawn_blocking(move || {
            let written = (|| {
                while let Some(rows) = rx.blocking_recv() {
                    for row in &rows {
                        w.row(row)?;
                    }
                }
                w.finish()
            })();
            if let Err(e) = &written {
                // A sender on a blocking thread learns only that it stopped.
                tracing::error!("table writer: {e:?}");
            }
            written
        });
        PipedWriter {
            batch: Vec::with_capacity(PIPE_BATCH),
            tx,
            done: Some(done),
        }
    }

    pub async fn row(&mut self, cells: Vec<String>) -> Result<()> {
        if let Some(rows) = self.full(cells)
            && self.tx.send(rows).await.is_err()
        {
            // The writer stopped on an error: that error is the answer.
            return match self.done.take() {
                Some(done) => Err(joined(done.await).err().unwrap_or_else(stopped)),
                None => Err(stopped()),
            };
        }
        Ok(())
    }

    /// [`PipedWriter::row`] for a caller on a blocking thread (a native
    /// read, db/native.rs). If the writer stopped, this only says so: the
    /// writer's own error is in the server's log.
    pub fn row_blocking(&mut self, cells: Vec<String>) -> Result<()> {
        match self.full(cells).map(|rows| self.tx.blocking_send(rows)) {
            Some(Err(_)) => Err(stopped()),
            _ => Ok(()),
        }
    }

    /// Adds a row; the batch to send once it is full.
    fn full(&mut self, cells: Vec<String>) -> Option<Vec<Vec<String>>> {
        self.batch.push(cells);
        (self.batch.len() >= PIPE_BATCH)
            .then(|| std::mem::replace(&mut self.batch, Vec::with_capacity(PIPE_BATCH)))
    }

    pub async fn finish(mut self) -> Result<Vec<u8>> {
        let rows = std::mem::take(&mut self.batch);
        let sent = rows.is_empty() || self.tx.send(rows).await.is_ok();
        drop(self.tx);
        let out = match self.done.take() {
            Some(done) => joined(done.await)?,
            None => return Err(stopped()),
        };
        if sent { Ok(out) } else { Err(stopped()) }
    }
}

fn stopped() -> AppError {
    AppError::Internal(anyhow::anyhow!("the table writer stopped"))
}

fn joined(r: std::result::Result<Result<Vec<u8>>, tokio::task::JoinError>) -> Result<Vec<u8>> {
    r.map_err(|e| AppError::Internal(anyhow::anyhow!("table writer: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xlsx_round_trips_text_cells() {
        let rows = vec![
            vec!["03583".to_string(), "Bản Nà Ho".to_string(), String::new()],
            vec![
                "=1+1".to_string(),
                " <b>&\"x\" ".to_string(),
                "a\rb\nc\u{1}_x000D_".to_string(),
            ],
        ];
        let bytes = write_xlsx("Thử", &["ma", "ten", "ghi_chu"], &rows).unwrap();
        assert_eq!(Format::sniff(&bytes), Format::Xlsx);
        let back = read(&bytes, "Thử", &["ma", "ten", "ghi_chu"]).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].line, 2);
        assert_eq!(back[0].cells, rows[0]);
        assert_eq!(back[1].cells, rows[1]);
        let wrong = read(&bytes, "Khác", &["ma"]).unwrap_err();
        assert!(wrong.user_message().contains("không có trang tính \"Khác\""));
    }

    #[test]
    fn a_full_sheet_goes_on_in_the_next() {
        let mut w = TableWriter::xlsx("Hoạt động", &["ma"], &[false]).unwrap();
        if let Writer::Xlsx(state) = &mut w.inner {
            state.max_rows = 3;
        }
        for i in 0..5 {
            w.row(&[format!("0{i}")]).unwrap();
        }
        let bytes = w.finish().unwrap();
        let first = read(&bytes, "Hoạt động", &["ma"]).unwrap();
        // Three rows a sheet: the header and two.
        let second = read(&bytes, "Hoạt động (2)", &["ma"]).unwrap();
        let third = read(&bytes, "Hoạt động (3)", &["ma"]).unwrap();
        let cells: Vec<String> = first
            .iter()
            .chain(&second)
            .chain(&third)
            .map(|r| r.cells[0].clone())
            .collect();
        assert_eq!(cells, ["00", "01", "02", "03", "04"]);
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
