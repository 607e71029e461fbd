//! The Giấy công nhận as a PDF: one A4 landscape page with the quốc hiệu and
//! tiêu ngữ, the recognising authority and the certificate number, the title
//! of the set, the unit's name, the legal basis, the place and date, and the
//! signature block. Text is set in DejaVu Serif (assets/fonts), embedded as
//! a subset with a ToUnicode map, so every Vietnamese letter prints and the
//! text can be searched and copied (pdftotext reads it back).

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use super::Full;
use crate::auth::Actor;
use crate::db::Db;
use crate::error::{AppError, Result};
use crate::text::format_date;
use crate::units;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSerif.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSerif-Bold.ttf");

const PAGE_W: f32 = 842.0;
const PAGE_H: f32 = 595.0;
const RED: (f32, f32, f32) = (0.70, 0.05, 0.05);

/// A font being used: the glyphs drawn so far, renumbered for the subset.
struct FontUse {
    data: &'static [u8],
    face: Face<'static>,
    remapper: GlyphRemapper,
    /// (new glyph id, character) for the ToUnicode map.
    chars: Vec<(u16, char)>,
    /// Advance of each new glyph id, in thousandths of the font size.
    widths: Vec<f32>,
}

impl FontUse {
    fn new(data: &'static [u8]) -> anyhow::Result<FontUse> {
        let face = Face::parse(data, 0).map_err(|e| anyhow::anyhow!("certificate font: {e}"))?;
        let mut f = FontUse {
            data,
            face,
            remapper: GlyphRemapper::new(),
            chars: Vec::new(),
            widths: Vec::new(),
        };
        f.widths.push(f.advance(GlyphId(0)));
        Ok(f)
    }

    fn advance(&self, gid: GlyphId) -> f32 {
        let upem = f32::from(self.face.units_per_em());
        f32::from(self.face.glyph_hor_advance(gid).unwrap_or(0)) * 1000.0 / upem
    }

    /// The text as 2-byte glyph codes (Identity-H), and its width at `size`.
    fn encode(&mut self, text: &str, size: f32) -> (Vec<u8>, f32) {
        let mut bytes = Vec::with_capacity(text.len() * 2);
        let mut width = 0.0;
        for c in text.chars() {
            let gid = self.face.glyph_index(c).unwrap_or(GlyphId(0));
            let known = self.remapper.get(gid.0).is_some();
            let new = self.remapper.remap(gid.0);
            if !known {
                self.widths.push(self.advance(gid));
                self.chars.push((new, c));
            }
            width += self.widths[usize::from(new)] * size / 1000.0;
            bytes.extend_from_slice(&new.to_be_bytes());
        }
        (bytes, width)
    }
}

struct Page {
    content: Content,
    fonts: [FontUse; 2],
}

/// Which font (0 regular, 1 bold), its size and its colour.
#[derive(Clone, Copy)]
struct Pen(usize, f32, (f32, f32, f32));

#[derive(Clone, Copy)]
enum Align {
    Left,
    Center,
}

impl Page {
    /// Writes one line of text; `x` is its left edge, centre or right edge.
    fn text(&mut self, pen: Pen, x: f32, y: f32, align: Align, text: &str) {
        let Pen(font, size, color) = pen;
        let (bytes, width) = self.fonts[font].encode(text, size);
        let left = match align {
            Align::Left => x,
            Align::Center => x - width / 2.0,
        };
        let name = if font == 0 { Name(b"F0") } else { Name(b"F1") };
        self.content.set_fill_rgb(color.0, color.1, color.2);
        self.content.begin_text();
        self.content.set_font(name, size);
        self.content.next_line(left, y);
        self.content.show(Str(&bytes));
        self.content.end_text();
    }

    /// Centred text fitted to `max_lines` lines of `width` (shrinking down to
    /// `min` points), line by line downwards from the baseline `y`; returns
    /// the baseline below the last line.
    fn block(&mut self, pen: Pen, min: f32, y: f32, width: f32, max_lines: usize, text: &str) -> f32 {
        let Pen(font, max, color) = pen;
        let (size, lines) = fit(&mut self.fonts[font], max, min, width, max_lines, text);
        let mut y = y;
        for line in lines {
            self.text(Pen(font, size, color), PAGE_W / 2.0, y, Align::Center, &line);
            y -= size * 1.35;
        }
        y
    }
}

fn wrap(font: &mut FontUse, size: f32, max_width: f32, text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    // Measuring encodes the glyphs too; they are in the subset either way.
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if font.encode(&candidate, size).1 <= max_width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word wider than the line is broken between characters.
        for c in word.chars() {
            let longer = format!("{line}{c}");
            if font.encode(&longer, size).1 > max_width && !line.is_empty() {
                lines.push(std::mem::replace(&mut line, c.to_string()));
            } else {
                line = longer;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The largest size from `max` down to `min` at which the text fits in
/// `max_lines` lines of `width`, and those lines; at `min` the lines beyond
/// are dropped with an ellipsis, so no text runs into the next block.
fn fit(
    font: &mut FontUse,
    max: f32,
    min: f32,
    width: f32,
    max_lines: usize,
    text: &str,
) -> (f32, Vec<String>) {
    let mut size = max;
    loop {
        let lines = wrap(font, size, width, text);
        if lines.len() <= max_lines {
            return (size, lines);
        }
        if size - 1.0 < min {
            let mut kept: Vec<String> = lines.into_iter().take(max_lines).collect();
            if let Some(last) = kept.last_mut() {
                last.push('…');
            }
            return (size, kept);
        }
        size -= 1.0;
    }
}

/// "ngày 14 tháng 11 năm 2025", as a Vietnamese document dates itself.
pub(crate) fn long_date(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        // Nghị định 30/2020/NĐ-CP: days below 10 and the months 1 and 2
        // take a leading zero ("ngày 05 tháng 01"), the other months none.
        [y, m, d] => {
            let month = match *m {
                "01" | "02" => (*m).to_string(),
                other => other.trim_start_matches('0').to_string(),
            };
            format!("ngày {d} tháng {month} năm {y}")
        }
        _ => format_date(iso),
    }
}

/// The certificate of a recognised assessment, as PDF bytes.
pub async fn render(db: &Db, actor: &Actor, id: i64) -> Result<(String, Vec<u8>)> {
    let full = super::full(db, actor, id).await?;
    let a = &full.assessment;
    if !full.has_certificate() {
        return Err(AppError::NotFound(
            "Bản đánh giá này chưa được công nhận, hoặc bộ tiêu chí của nó không cấp giấy công nhận.".into(),
        ));
    }
    let unit = units::find_current(db, &a.unit_code)
        .await?
        .ok_or_else(AppError::not_found)?;
    let province = match unit.parent_code.as_deref() {
        Some(code) if unit.level == "commune" => units::find_current(db, code).await?.map(|p| p.name),
        _ => None,
    };
    let decider = units::find_current(db, &a.decider_code)
        .await?
        .ok_or_else(AppError::not_found)?;
    let lines = Lines::of(&full, &unit.name, province.as_deref(), decider.short_name());
    let bytes = draw(&lines).map_err(AppError::Internal)?;
    let file = format!("giay-cong-nhan-{}-{}.pdf", a.year, a.id);
    Ok((file, bytes))
}

/// What the certificate says, line by line.
pub struct Lines {
    pub issuer: String,
    pub number: String,
    pub title: String,
    pub subtitle: String,
    pub year: String,
    pub subject: String,
    pub belongs: String,
    pub basis: String,
    pub place_date: String,
    pub signer: String,
}

impl Lines {
    pub fn of(full: &Full, unit_name: &str, province: Option<&str>, place: &str) -> Lines {
        let a = &full.assessment;
        let (title, subtitle) = title_lines(&full.set.doc.certificate_title);
        let belongs = match (a.subject_kind.as_str(), province) {
            ("commune", Some(p)) => p.to_string(),
            (_, Some(p)) => format!("{unit_name}, {p}"),
            (_, None) => unit_name.to_string(),
        };
        Lines {
            issuer: a.cert_issuer.clone().unwrap_or_default().to_uppercase(),
            number: format!("Số: {}", a.cert_number.clone().unwrap_or_default()),
            title,
            subtitle,
            year: format!("NĂM {}", a.year),
            subject: a.subject_name.clone(),
            belongs,
            basis: format!(
                "Căn cứ {}; kỳ đánh giá từ {} đến {}.",
                full.set.doc.legal_basis,
                format_date(&a.period_from),
                format_date(&a.period_to)
            ),
            place_date: format!(
                "{place}, {}",
                long_date(a.cert_date.as_deref().unwrap_or_default())
            ),
            signer: a.cert_signer.clone(),
        }
    }
}

fn draw(l: &Lines) -> anyhow::Result<Vec<u8>> {
    let mut page = Page {
        content: Content::new(),
        fonts: [FontUse::new(REGULAR)?, FontUse::new(BOLD)?],
    };
    let black = (0.0, 0.0, 0.0);
    // A double frame.
    page.content.set_stroke_rgb(RED.0, RED.1, RED.2);
    page.content.set_line_width(3.0);
    page.content.rect(24.0, 24.0, PAGE_W - 48.0, PAGE_H - 48.0);
    page.content.stroke();
    page.content.set_line_width(0.8);
    page.content.rect(32.0, 32.0, PAGE_W - 64.0, PAGE_H - 64.0);
    page.content.stroke();

    // Issuing authority (left) and quốc hiệu, tiêu ngữ (right), Nghị định 30/2020/NĐ-CP.
    let left_x = 200.0;
    let right_x = 590.0;
    let top = PAGE_H - 78.0;
    let (size, issuer_lines) = fit(&mut page.fonts[1], 11.5, 8.0, 300.0, 3, &l.issuer);
    let mut y = top;
    for line in &issuer_lines {
        page.text(Pen(1, size, black), left_x, y, Align::Center, line);
        y -= size * 1.3;
    }
    page.text(Pen(0, 11.5, black), left_x, y - 4.0, Align::Center, &l.number);
    page.text(
        Pen(1, 11.5, black),
        right_x,
        top,
        Align::Center,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    );
    page.text(
        Pen(1, 12.5, black),
        right_x,
        top - 16.0,
        Align::Center,
        "Độc lập - Tự do - Hạnh phúc",
    );
    page.content.set_stroke_rgb(0.0, 0.0, 0.0);
    page.content.move_to(right_x - 85.0, top - 27.0);
    page.content.line_to(right_x + 85.0, top - 27.0);
    page.content.stroke();

    // From the title down, each block has a bounded number of lines, so the
    // legal basis always ends above the signature block (y = 150).
    let mid = PAGE_W / 2.0;
    let mut y = PAGE_H - 190.0;
    y = page.block(Pen(1, 30.0, RED), 18.0, y, 720.0, 1, &l.title) - 6.0;
    y = page.block(Pen(1, 17.0, RED), 11.0, y, 700.0, 2, &l.subtitle);
    page.text(Pen(1, 15.0, RED), mid, y, Align::Center, &l.year);
    page.text(Pen(0, 14.0, black), mid, y - 32.0, Align::Center, "Công nhận");
    y = page.block(Pen(1, 24.0, black), 13.0, y - 64.0, 700.0, 2, &l.subject);
    y = page.block(Pen(0, 13.0, black), 9.0, y + 4.0, 700.0, 1, &l.belongs);
    page.block(Pen(0, 11.0, black), 8.0, y - 6.0, 680.0, 2, &l.basis);

    let sign_x = 620.0;
    let (size, place) = fit(&mut page.fonts[0], 12.0, 8.0, 300.0, 1, &l.place_date);
    page.text(Pen(0, size, black), sign_x, 150.0, Align::Center, &place.concat());
    page.text(
        Pen(1, 12.0, black),
        sign_x,
        132.0,
        Align::Center,
        "TM. ỦY BAN NHÂN DÂN",
    );
    page.text(Pen(1, 12.0, black), sign_x, 116.0, Align::Center, "CHỦ TỊCH");
    if !l.signer.is_empty() {
        let (size, signer) = fit(&mut page.fonts[1], 12.5, 8.0, 300.0, 1, &l.signer);
        page.text(Pen(1, size, black), sign_x, 58.0, Align::Center, &signer.concat());
    }
    page.text(
        Pen(0, 8.0, (0.4, 0.4, 0.4)),
        48.0,
        44.0,
        Align::Left,
        "Lập bằng antq từ bản đánh giá đã được công nhận.",
    );

    let Page { content, fonts } = page;
    write_pdf(content, fonts)
}

fn write_pdf(content: Content, fonts: [FontUse; 2]) -> anyhow::Result<Vec<u8>> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let pages = Ref::new(2);
    let page_id = Ref::new(3);
    let content_id = Ref::new(4);
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page_id]).count(1);
    let font_refs: Vec<Ref> = (0..fonts.len()).map(|i| Ref::new(10 + 10 * i as i32)).collect();
    {
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(pages);
        page.contents(content_id);
        let mut resources = page.resources();
        let mut dict = resources.fonts();
        dict.pair(Name(b"F0"), font_refs[0]);
        dict.pair(Name(b"F1"), font_refs[1]);
    }
    let bytes = content.finish();
    pdf.stream(content_id, &bytes);
    for (i, font) in fonts.iter().enumerate() {
        let base = font_refs[i];
        let (cid, descriptor, file, cmap) = (
            Ref::new(base.get() + 1),
            Ref::new(base.get() + 2),
            Ref::new(base.get() + 3),
            Ref::new(base.get() + 4),
        );
        let family = if i == 0 { "DejaVuSerif" } else { "DejaVuSerif-Bold" };
        // A subset font's name starts with a six-letter tag (PDF 32000 §9.6.4).
        let tag = if i == 0 { "ANTQAA" } else { "ANTQAB" };
        let name = format!("{tag}+{family}");
        let system = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        pdf.type0_font(base)
            .base_font(Name(name.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);
        let mut cid_font = pdf.cid_font(cid);
        cid_font
            .subtype(CidFontType::Type2)
            .base_font(Name(name.as_bytes()))
            .system_info(system)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid_font.widths().consecutive(0, font.widths.iter().copied());
        cid_font.finish();
        let upem = f32::from(font.face.units_per_em());
        let scale = |v: i16| f32::from(v) * 1000.0 / upem;
        let bb = font.face.global_bounding_box();
        pdf.font_descriptor(descriptor)
            .name(Name(name.as_bytes()))
            .flags(FontFlags::SERIF | FontFlags::SYMBOLIC)
            .bbox(Rect::new(
                scale(bb.x_min),
                scale(bb.y_min),
                scale(bb.x_max),
                scale(bb.y_max),
            ))
            .italic_angle(0.0)
            .ascent(scale(font.face.ascender()))
            .descent(scale(font.face.descender()))
            .cap_height(scale(font.face.capital_height().unwrap_or(font.face.ascender())))
            .stem_v(if i == 0 { 80.0 } else { 140.0 })
            .font_file2(file);
        let subset = subsetter::subset(font.data, 0, &font.remapper)
            .map_err(|e| anyhow::anyhow!("certificate font subset: {e:?}"))?;
        pdf.stream(file, &subset)
            .pair(Name(b"Length1"), subset.len() as i32);
        let mut map = pdf_writer::types::UnicodeCmap::new(Name(b"Custom"), system);
        for (gid, c) in &font.chars {
            map.pair(*gid, *c);
        }
        let cmap_bytes = map.finish();
        pdf.cmap(cmap, &cmap_bytes);
    }
    Ok(pdf.finish())
}

/// "Giấy công nhận đạt tiêu chuẩn …" prints as two lines in capitals.
pub fn title_lines(title: &str) -> (String, String) {
    match title.find(" đạt ") {
        Some(i) => (title[..i].to_uppercase(), title[i + 1..].to_uppercase()),
        None => (title.to_uppercase(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_pdf_with_the_vietnamese_text_embedded() {
        let lines = Lines {
            issuer: "ỦY BAN NHÂN DÂN XÃ KHỔNG LÀO".into(),
            number: "Số: 12/GCN-UBND".into(),
            title: "GIẤY CÔNG NHẬN".into(),
            subtitle: "ĐẠT TIÊU CHUẨN “AN TOÀN VỀ AN NINH, TRẬT TỰ”".into(),
            year: "NĂM 2025".into(),
            subject: "Bản Khổng Lào".into(),
            belongs: "Xã Khổng Lào, Tỉnh Lai Châu".into(),
            basis: "Căn cứ Thông tư 124/2021/TT-BCA, Điều 4.".into(),
            place_date: "Khổng Lào, ngày 14 tháng 11 năm 2025".into(),
            signer: String::new(),
        };
        let pdf = draw(&lines).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        if let Ok(path) = std::env::var("ANTQ_WRITE_CERTIFICATE") {
            std::fs::write(path, &pdf).unwrap();
        }
        // Subsets: far smaller than the two 370 KB fonts.
        assert!(pdf.len() < 200_000, "{}", pdf.len());
        // A name of 200 characters and a word wider than the line still fit.
        let long = Lines {
            subject: format!(
                "{} {}",
                "Công ty trách nhiệm hữu hạn một thành viên ".repeat(4),
                "X".repeat(120)
            ),
            ..lines
        };
        let pdf = draw(&long).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let mut font = FontUse::new(BOLD).unwrap();
        let (size, lines) = fit(&mut font, 24.0, 13.0, 700.0, 2, &long.subject);
        assert!(lines.len() <= 2 && size >= 13.0);
        assert!(lines.iter().all(|l| font.encode(l, size).1 <= 700.0 + 13.0));
        assert_eq!(long_date("2025-11-14"), "ngày 14 tháng 11 năm 2025");
        assert_eq!(long_date("2025-03-05"), "ngày 05 tháng 3 năm 2025");
        assert_eq!(long_date("2026-01-09"), "ngày 09 tháng 01 năm 2026");
        assert_eq!(
            title_lines("Giấy công nhận đạt tiêu chuẩn “An toàn về an ninh, trật tự”").0,
            "GIẤY CÔNG NHẬN"
        );
    }
}
