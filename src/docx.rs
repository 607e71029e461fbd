//! A small DOCX writer for administrative documents in the layout of Nghị
//! định 30/2020/NĐ-CP (Phụ lục I): A4, margins 20 mm top and bottom, 30 mm
//! left, 15 mm right; Times New Roman; the header of two columns — the
//! issuing body with its number and symbol on the left, the quốc hiệu and
//! tiêu ngữ with place and date on the right — then the document's kind and
//! subject line, the body, tables, "Nơi nhận" and the signature block.
//! Written as WordprocessingML by hand: the report needs paragraphs and
//! tables only, and every string is escaped here.

use std::io::Write;

use crate::error::{AppError, Result};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Justify,
    Right,
}

/// A run of text with its look; size in points.
#[derive(Clone)]
pub struct Run {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
    pub size: u32,
}

impl Run {
    pub fn new(text: impl Into<String>, size: u32) -> Run {
        Run {
            text: text.into(),
            bold: false,
            italic: false,
            size,
        }
    }

    pub fn bold(mut self) -> Run {
        self.bold = true;
        self
    }

    pub fn italic(mut self) -> Run {
        self.italic = true;
        self
    }
}

#[derive(Clone)]
pub struct Para {
    pub runs: Vec<Run>,
    pub align: Align,
    /// First-line indent of body paragraphs (1,27 cm).
    pub indent: bool,
    /// Space after, in points.
    pub after: u32,
}

impl Para {
    pub fn new(runs: Vec<Run>, align: Align) -> Para {
        Para {
            runs,
            align,
            indent: false,
            after: 0,
        }
    }

    /// A body paragraph: justified, indented, 14 pt, 6 pt after.
    pub fn body(text: impl Into<String>) -> Para {
        Para {
            runs: vec![Run::new(text, 14)],
            align: Align::Justify,
            indent: true,
            after: 6,
        }
    }
}

pub enum Block {
    Para(Para),
    /// A table with borders; the first row is the header (bold, repeated
    /// on each page); `numeric` columns are right-aligned.
    Table {
        rows: Vec<Vec<String>>,
        numeric: Vec<bool>,
    },
    /// Two columns without borders (the header, the signature block).
    Columns {
        left: Vec<Para>,
        right: Vec<Para>,
    },
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Characters XML 1.0 cannot hold at all.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

fn run_xml(r: &Run) -> String {
    let mut props = String::new();
    if r.bold {
        props.push_str("<w:b/>");
    }
    if r.italic {
        props.push_str("<w:i/>");
    }
    props.push_str(&format!(
        "<w:sz w:val=\"{0}\"/><w:szCs w:val=\"{0}\"/>",
        r.size * 2
    ));
    format!(
        "<w:r><w:rPr>{props}</w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r>",
        esc(&r.text)
    )
}

fn para_xml(p: &Para) -> String {
    let jc = match p.align {
        Align::Left => "left",
        Align::Center => "center",
        Align::Justify => "both",
        Align::Right => "right",
    };
    let indent = if p.indent {
        "<w:ind w:firstLine=\"720\"/>"
    } else {
        ""
    };
    let runs: String = p.runs.iter().map(run_xml).collect();
    format!(
        "<w:p><w:pPr><w:spacing w:before=\"0\" w:after=\"{}\"/>{indent}<w:jc w:val=\"{jc}\"/></w:pPr>{runs}</w:p>",
        p.after * 20
    )
}

fn cell(text: &str, width: u32, bold: bool, right: bool) -> String {
    let mut r = Run::new(text, 12);
    r.bold = bold;
    let p = Para::new(vec![r], if right { Align::Right } else { Align::Left });
    format!(
        "<w:tc><w:tcPr><w:tcW w:w=\"{width}\" w:type=\"dxa\"/></w:tcPr>{}</w:tc>",
        para_xml(&p)
    )
}

/// The text width between the margins, in twentieths of a point.
const TEXT_WIDTH: u32 = 11906 - 1701 - 850;

fn table_xml(rows: &[Vec<String>], numeric: &[bool]) -> String {
    let cols = rows.first().map(Vec::len).unwrap_or(1).max(1);
    let width = TEXT_WIDTH / u32::try_from(cols).unwrap_or(1);
    let border = "<w:top w:val=\"single\" w:sz=\"4\"/><w:left w:val=\"single\" w:sz=\"4\"/>\
                  <w:bottom w:val=\"single\" w:sz=\"4\"/><w:right w:val=\"single\" w:sz=\"4\"/>\
                  <w:insideH w:val=\"single\" w:sz=\"4\"/><w:insideV w:val=\"single\" w:sz=\"4\"/>";
    let mut out = format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"{TEXT_WIDTH}\" w:type=\"dxa\"/><w:tblBorders>{border}</w:tblBorders></w:tblPr><w:tblGrid>"
    );
    for _ in 0..cols {
        out.push_str(&format!("<w:gridCol w:w=\"{width}\"/>"));
    }
    out.push_str("</w:tblGrid>");
    for (i, row) in rows.iter().enumerate() {
        out.push_str(if i == 0 {
            "<w:tr><w:trPr><w:tblHeader/></w:trPr>"
        } else {
            "<w:tr>"
        });
        for (c, text) in row.iter().enumerate() {
            let right = i > 0 && numeric.get(c).copied().unwrap_or(false);
            out.push_str(&cell(text, width, i == 0, right));
        }
        out.push_str("</w:tr>");
    }
    out.push_str("</w:tbl>");
    out
}

fn columns_xml(left: &[Para], right: &[Para]) -> String {
    let (lw, rw) = (TEXT_WIDTH * 2 / 5, TEXT_WIDTH - TEXT_WIDTH * 2 / 5);
    let side = |ps: &[Para], w: u32| {
        let body: String = if ps.is_empty() {
            "<w:p/>".to_string()
        } else {
            ps.iter().map(para_xml).collect()
        };
        format!("<w:tc><w:tcPr><w:tcW w:w=\"{w}\" w:type=\"dxa\"/></w:tcPr>{body}</w:tc>")
    };
    format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"{TEXT_WIDTH}\" w:type=\"dxa\"/><w:tblBorders>\
         <w:top w:val=\"nil\"/><w:left w:val=\"nil\"/><w:bottom w:val=\"nil\"/><w:right w:val=\"nil\"/>\
         <w:insideH w:val=\"nil\"/><w:insideV w:val=\"nil\"/></w:tblBorders></w:tblPr>\
         <w:tblGrid><w:gridCol w:w=\"{lw}\"/><w:gridCol w:w=\"{rw}\"/></w:tblGrid><w:tr>{}{}</w:tr></w:tbl>",
        side(left, lw),
        side(right, rw)
    )
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
</Types>";

const RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>\
</Relationships>";

const DOC_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
</Relationships>";

/// Times New Roman throughout (NĐ 30/2020 Phụ lục I: phông chữ tiếng Việt
/// Times New Roman, bộ mã Unicode TCVN 6909:2001), 14 pt by default.
const STYLES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" \
w:eastAsia=\"Times New Roman\" w:cs=\"Times New Roman\"/><w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/>\
<w:lang w:val=\"vi-VN\"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"276\" \
w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>\
<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/></w:style>\
<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/>\
<w:tblPr><w:tblCellMar><w:left w:w=\"80\" w:type=\"dxa\"/><w:right w:w=\"80\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>\
</w:styles>";

/// The document as the bytes of a .docx file.
pub fn write(title: &str, blocks: &[Block]) -> Result<Vec<u8>> {
    let mut body = String::new();
    for b in blocks {
        match b {
            Block::Para(p) => body.push_str(&para_xml(p)),
            Block::Table { rows, numeric } => {
                body.push_str(&table_xml(rows, numeric));
                // Word needs a paragraph between two tables, and after the last.
                body.push_str("<w:p/>");
            }
            Block::Columns { left, right } => body.push_str(&columns_xml(left, right)),
        }
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}\
<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1134\" w:right=\"850\" w:bottom=\"1134\" \
w:left=\"1701\" w:header=\"567\" w:footer=\"567\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>"
    );
    let core = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>{}</dc:title><dc:language>vi-VN</dc:language>\
<dc:creator>antq</dc:creator></cp:coreProperties>",
        esc(title)
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let parts: [(&str, &str); 6] = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("word/_rels/document.xml.rels", DOC_RELS),
        ("word/styles.xml", STYLES),
        ("word/document.xml", &document),
        ("docProps/core.xml", &core),
    ];
    let fail = |e: &dyn std::fmt::Display| AppError::Internal(anyhow::anyhow!("docx: {e}"));
    for (name, text) in parts {
        zip.start_file(name, options).map_err(|e| fail(&e))?;
        zip.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
    }
    let cursor = zip.finish().map_err(|e| fail(&e))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_a_zip_with_the_text_escaped() {
        let bytes = write(
            "Báo cáo",
            &[
                Block::Para(Para::body("Toàn tỉnh <đã> tổ chức 10.480 buổi & hơn thế")),
                Block::Table {
                    rows: vec![
                        vec!["Chỉ tiêu".into(), "Giá trị".into()],
                        vec!["Buổi".into(), "10.480".into()],
                    ],
                    numeric: vec![false, true],
                },
            ],
        )
        .unwrap();
        assert_eq!(&bytes[0..2], b"PK");
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut doc = String::new();
        std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut doc).unwrap();
        assert!(doc.contains("Toàn tỉnh &lt;đã&gt; tổ chức 10.480 buổi &amp; hơn thế"));
        assert!(doc.contains("<w:tblHeader/>") && doc.contains("w:w=\"11906\""));
    }
}
