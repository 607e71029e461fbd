//! The report that writes itself: for a unit and a period, a Vietnamese
//! narrative in the register of the seeds ("Toàn tỉnh đã tổ chức tuyên
//! truyền, phổ biến được 10.480 buổi, với 860.500 lượt người tham gia"),
//! counted from the records like the dashboard it is built on, with its
//! tables; as a page, as DOCX in the layout of Nghị định 30/2020/NĐ-CP,
//! as XLSX (a sheet per table) and as CSV.

use serde::Serialize;

use super::view::Map;
use super::{Dashboard, view};
use crate::auth::{Action, Actor, Scope};
use crate::db::Db;
use crate::docx::{Align, Block, Para, Run};
use crate::error::Result;
use crate::text::format_int;

#[derive(Debug, Serialize)]
pub struct Report {
    /// "BỘ CÔNG AN" above "CÔNG AN TỈNH LAI CHÂU"; empty for the ministry itself.
    pub parent_body: String,
    pub body: String,
    /// "Số:      /BC-CAT": the number is given when the report is issued.
    pub number: String,
    /// "Lai Châu, ngày 01 tháng 12 năm 2026".
    pub place_date: String,
    pub subject: String,
    pub paragraphs: Vec<String>,
    pub signer_title: String,
    pub dashboard: Dashboard,
}

/// A figure as reports write it: four significant digits, "hơn" when some
/// were dropped ("hơn 860.500" for 860.549); below 10.000 exactly.
pub fn about(n: i64) -> String {
    let mut step = 1;
    while n / step >= 10_000 {
        step *= 10;
    }
    if n % step == 0 {
        format_int(n)
    } else {
        format!("hơn {}", format_int(n - n % step))
    }
}

/// The issuing body, its parent and the symbol of its reports.
fn bodies(unit: &crate::units::Unit) -> (String, String, &'static str, &'static str) {
    let upper = |s: &str| s.to_uppercase();
    match unit.level.as_str() {
        "nation" => (String::new(), "BỘ CÔNG AN".into(), "BC-BCA", "BỘ TRƯỞNG"),
        "province" => (
            "BỘ CÔNG AN".into(),
            upper(&format!("Công an {}", lower_type(unit))),
            "BC-CAT",
            "GIÁM ĐỐC",
        ),
        "district" => (
            String::new(),
            upper(&format!("Công an {}", lower_type(unit))),
            "BC-CAH",
            "TRƯỞNG CÔNG AN",
        ),
        _ => (
            String::new(),
            upper(&format!("Công an {}", lower_type(unit))),
            "BC-CAX",
            "TRƯỞNG CÔNG AN",
        ),
    }
}

/// "Tỉnh Lai Châu" → "tỉnh Lai Châu", as names read inside a sentence.
fn lower_type(unit: &crate::units::Unit) -> String {
    match unit.name.strip_prefix(&unit.unit_type) {
        Some(rest) => format!("{}{rest}", unit.unit_type.to_lowercase()),
        None => unit.name.clone(),
    }
}

/// "Toàn tỉnh", "Toàn xã", "Toàn quốc".
fn whole(unit: &crate::units::Unit) -> String {
    if unit.level == "nation" {
        "Toàn quốc".into()
    } else {
        format!("Toàn {}", unit.unit_type.to_lowercase())
    }
}

/// The word a unit's villages go by: the kind most of them have ("bản" in
/// Lai Châu, as its reports write "956/956 bản"), or the general one.
/// The villages weighed are those "Số thôn, tổ dân phố" counts for the
/// period: each that existed on any day of one of its years (migration
/// 0015), so a report of 2013–2023 speaks of the villages of then.
async fn village_word(
    db: &Db,
    actor: &Actor,
    place: &view::Place,
    period: &super::period::Period,
) -> Result<String> {
    let all = Scope::new(actor, Action::ViewGeography)?;
    let scope = if place.map == Map::Legacy {
        all.on_legacy_map(&place.unit.path)
    } else {
        all.narrow(&place.unit.path)?
    };
    let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT kind, COUNT(*) FROM villages WHERE (active = 1 OR closed_on IS NOT NULL) \
         AND (founded_on IS NULL OR founded_on <= $2) AND (closed_on IS NULL OR closed_on >= $3) \
         AND {} LIKE $1 GROUP BY kind ORDER BY COUNT(*) DESC, kind",
        scope.path_expr("")
    ))
    .bind(scope.like())
    .bind(format!("{}-12-31", year_of(&period.to)))
    .bind(format!("{}-01-01", year_of(&period.from)))
    .fetch_all(&db.pool)
    .await?;
    let total: i64 = rows.iter().map(|r| r.1).sum();
    Ok(match rows.first() {
        Some((kind, n)) if *n * 2 > total => kind.to_lowercase(),
        _ => "thôn, bản, tổ dân phố".into(),
    })
}

/// "2023-06-30" → "2023": villages count by whole years.
fn year_of(day: &str) -> &str {
    day.get(..4).unwrap_or(day)
}

pub async fn build(db: &Db, actor: &Actor, place: &view::Place, d: Dashboard) -> Result<Report> {
    let unit = &place.unit;
    let v = |code: &str| {
        d.indicators
            .iter()
            .find(|r| r.code == code)
            .map(|r| r.value)
            .unwrap_or(0)
    };
    let change = |code: &str| {
        d.indicators
            .iter()
            .find(|r| r.code == code)
            .filter(|r| r.previous.is_some_and(|p| p > 0))
            .map(|r| format!(" ({})", r.change))
            .unwrap_or_default()
    };
    let communes_word = match place.map {
        Map::Legacy => "xã, phường, thị trấn",
        Map::Current => "xã, phường, đặc khu",
    };
    let mut paragraphs = Vec::new();
    let all = whole(unit);
    if v("so_buoi_tuyen_truyen") > 0 {
        paragraphs.push(format!(
            "{all} đã tổ chức tuyên truyền, phổ biến được {} buổi, với {} lượt người tham gia{}.",
            about(v("so_buoi_tuyen_truyen")),
            about(v("so_luot_nguoi_tham_gia")),
            change("so_buoi_tuyen_truyen")
        ));
    } else {
        paragraphs.push(format!("{all} chưa ghi nhận buổi tuyên truyền nào trong kỳ."));
    }
    let villages = v("so_thon");
    if villages > 0 || v("so_co_quan_dang_ky") > 0 {
        let word = village_word(db, actor, place, &d.period).await?;
        let mut s = format!(
            "Đã tổ chức cho {}/{} {word}",
            format_int(v("so_thon_dang_ky")),
            format_int(villages)
        );
        if unit.level != "commune" {
            s.push_str(&format!(
                ", ở {} {communes_word}",
                format_int(v("so_xa_co_thon_dang_ky"))
            ));
        }
        s.push_str(&format!(
            ", với {} hộ, {} cơ quan, doanh nghiệp, trường học đăng ký đảm bảo an ninh trật tự năm {}.",
            about(v("so_ho_dang_ky")),
            format_int(v("so_co_quan_dang_ky")),
            d.period.to.get(0..4).unwrap_or_default()
        ));
        paragraphs.push(s);
    }
    let mut deeds = Vec::new();
    if v("so_xa_khong_ma_tuy") > 0 {
        deeds.push(format!(
            "củng cố, xây dựng được {} {communes_word} không có tệ nạn ma túy",
            format_int(v("so_xa_khong_ma_tuy"))
        ));
    }
    let cultural: Vec<String> = [
        ("so_gia_dinh_van_hoa", "gia đình đăng ký gia đình văn hóa"),
        ("so_khu_dan_cu_van_hoa", "khu dân cư đăng ký khu dân cư văn hóa"),
    ]
    .iter()
    .filter(|(code, _)| v(code) > 0)
    .map(|(code, words)| format!("{} {words}", format_int(v(code))))
    .collect();
    if !cultural.is_empty() {
        deeds.push(cultural.join(", "));
    }
    if v("so_dot_tan_cong") > 0 {
        deeds.push(format!(
            "tổ chức {} đợt tấn công trấn áp tội phạm",
            format_int(v("so_dot_tan_cong"))
        ));
    }
    if v("so_vu_hoa_giai_thanh") > 0 {
        deeds.push(format!(
            "hòa giải thành {} vụ việc ở cơ sở",
            format_int(v("so_vu_hoa_giai_thanh"))
        ));
    }
    if !deeds.is_empty() {
        let mut s = deeds.join("; ");
        if let Some(first) = s.get(0..1) {
            s = first.to_uppercase() + &s[1..];
        }
        paragraphs.push(format!("{s}."));
    }
    let mut events = Vec::new();
    if v("so_ngay_hoi") > 0 {
        events.push(format!(
            "{} Ngày hội toàn dân bảo vệ an ninh Tổ quốc",
            format_int(v("so_ngay_hoi"))
        ));
    }
    if v("so_hoi_nghi") > 0 {
        events.push(format!(
            "{} hội nghị sơ kết, tổng kết phong trào",
            format_int(v("so_hoi_nghi"))
        ));
    }
    if !events.is_empty() {
        paragraphs.push(format!("Tổ chức {}.", events.join(" và ")));
    }
    if v("so_diem_mo_hinh") > 0 || v("so_to_doi") > 0 {
        paragraphs.push(format!(
            "Duy trì {} điểm mô hình, {} tổ, đội với {} thành viên tham gia bảo vệ an ninh, trật tự ở cơ sở.",
            format_int(v("so_diem_mo_hinh")),
            format_int(v("so_to_doi")),
            format_int(v("so_thanh_vien"))
        ));
    }
    if v("so_khu_dan_cu_an_toan") > 0 || v("so_xa_an_toan") > 0 {
        paragraphs.push(format!(
            "Năm {}, {} khu dân cư và {} xã được công nhận đạt tiêu chuẩn “An toàn về an ninh, trật tự” theo Thông tư 124/2021/TT-BCA.",
            d.period.to.get(0..4).unwrap_or_default(),
            format_int(v("so_khu_dan_cu_an_toan")),
            format_int(v("so_xa_an_toan"))
        ));
    }
    if v("so_tin_bao") > 0 {
        paragraphs.push(format!(
            "Tiếp nhận {} tin báo, tố giác về an ninh, trật tự; {} tin đã xử lý xong trong thời hạn.",
            format_int(v("so_tin_bao")),
            format_int(v("so_tin_bao_dung_han"))
        ));
    }
    if v("so_tap_the_khen_thuong") > 0 || v("so_ca_nhan_khen_thuong") > 0 {
        paragraphs.push(format!(
            "Khen thưởng {} tập thể, {} cá nhân có thành tích xuất sắc trong phong trào.",
            format_int(v("so_tap_the_khen_thuong")),
            format_int(v("so_ca_nhan_khen_thuong"))
        ));
    }
    let (parent_body, body, symbol, signer_title) = bodies(unit);
    let today = crate::input::today().to_string();
    let place_name = match unit.level.as_str() {
        "nation" => "Hà Nội".to_string(),
        _ => unit.short_name().to_string(),
    };
    Ok(Report {
        parent_body,
        body,
        number: format!("Số:        /{symbol}"),
        place_date: format!(
            "{place_name}, {}",
            crate::assessment::certificate::long_date(&today)
        ),
        subject: format!(
            "Kết quả thực hiện phong trào “Toàn dân bảo vệ an ninh Tổ quốc” {} trên địa bàn {}",
            d.period.label,
            lower_type(unit)
        ),
        paragraphs,
        signer_title: signer_title.into(),
        dashboard: d,
    })
}

/// Rows (the first is the header) and which columns are numbers.
type Grid = (Vec<Vec<String>>, Vec<bool>);

/// The indicators of the report's table by child unit.
const BY_UNIT: [&str; 5] = [
    "so_buoi_tuyen_truyen",
    "so_luot_nguoi_tham_gia",
    "so_thon_dang_ky",
    "so_ho_dang_ky",
    "so_co_quan_dang_ky",
];

impl Report {
    /// The tables of the report, with their headings in Vietnamese.
    fn tables(&self) -> (Grid, Grid) {
        let d = &self.dashboard;
        let mut ind = vec![vec![
            "Chỉ tiêu".to_string(),
            "Đơn vị tính".into(),
            d.period.label.clone(),
            d.previous
                .as_ref()
                .map(|p| p.label.clone())
                .unwrap_or_else(|| "Kỳ trước".into()),
            "Thay đổi".into(),
        ]];
        for r in &d.indicators {
            ind.push(vec![
                r.name.to_string(),
                r.unit.to_string(),
                format_int(r.value),
                r.previous.map(format_int).unwrap_or_else(|| "—".into()),
                r.change.clone(),
            ]);
        }
        let mut head = vec!["Đơn vị".to_string()];
        head.extend(
            BY_UNIT
                .iter()
                .filter_map(|c| super::find(c).map(|i| i.name.to_string())),
        );
        let mut by_unit = vec![head];
        let cols: Vec<usize> = BY_UNIT
            .iter()
            .filter_map(|c| d.columns.iter().position(|x| x == c))
            .collect();
        for c in &d.children {
            let mut row = vec![c.name.clone()];
            row.extend(cols.iter().map(|k| format_int(c.values[*k])));
            by_unit.push(row);
        }
        let mut unit_numeric = vec![false];
        unit_numeric.extend(cols.iter().map(|_| true));
        (
            (ind, vec![false, false, true, true, false]),
            (by_unit, unit_numeric),
        )
    }

    pub fn docx(&self) -> Result<Vec<u8>> {
        let small = |t: &str| Para::new(vec![Run::new(t, 13)], Align::Center);
        let mut left = Vec::new();
        if !self.parent_body.is_empty() {
            left.push(small(&self.parent_body));
        }
        left.push(Para::new(vec![Run::new(&self.body, 13).bold()], Align::Center));
        left.push(small("———"));
        left.push(small(&self.number));
        let right = vec![
            Para::new(
                vec![Run::new("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 13).bold()],
                Align::Center,
            ),
            Para::new(
                vec![Run::new("Độc lập - Tự do - Hạnh phúc", 14).bold()],
                Align::Center,
            ),
            small("———————————"),
            Para::new(vec![Run::new(&self.place_date, 14).italic()], Align::Center),
        ];
        let mut blocks = vec![
            Block::Columns { left, right },
            Block::Para(Para::new(vec![], Align::Center)),
            Block::Para(Para::new(vec![Run::new("BÁO CÁO", 14).bold()], Align::Center)),
            Block::Para(Para {
                after: 12,
                ..Para::new(vec![Run::new(&self.subject, 14).bold()], Align::Center)
            }),
            Block::Para(Para::new(
                vec![Run::new("I. KẾT QUẢ THỰC HIỆN", 14).bold()],
                Align::Left,
            )),
        ];
        blocks.extend(
            self.paragraphs
                .iter()
                .map(|p| Block::Para(Para::body(p.as_str()))),
        );
        let ((ind, ind_num), (by_unit, unit_num)) = self.tables();
        blocks.push(Block::Para(Para::new(
            vec![Run::new("II. CÁC CHỈ TIÊU", 14).bold()],
            Align::Left,
        )));
        blocks.push(Block::Table {
            rows: ind,
            numeric: ind_num,
        });
        if by_unit.len() > 1 {
            blocks.push(Block::Para(Para::new(
                vec![Run::new("III. THEO ĐƠN VỊ TRỰC THUỘC", 14).bold()],
                Align::Left,
            )));
            blocks.push(Block::Table {
                rows: by_unit,
                numeric: unit_num,
            });
        }
        blocks.push(Block::Para(Para::body(format!(
            "Số liệu tính từ dữ liệu ghi trên hệ thống antq theo {}.",
            self.dashboard.map_label
        ))));
        blocks.push(Block::Columns {
            left: vec![
                Para::new(vec![Run::new("Nơi nhận:", 12).bold().italic()], Align::Left),
                Para::new(vec![Run::new("- Như trên;", 11)], Align::Left),
                Para::new(vec![Run::new("- Lưu: VT.", 11)], Align::Left),
            ],
            right: vec![
                Para::new(vec![Run::new(&self.signer_title, 14).bold()], Align::Center),
                Para::new(
                    vec![Run::new("(Ký, ghi rõ họ tên, đóng dấu)", 14).italic()],
                    Align::Center,
                ),
            ],
        });
        crate::docx::write(&format!("Báo cáo – {}", self.subject), &blocks)
    }

    /// XLSX: the narrative, then a sheet per table, numbers as numbers.
    pub fn xlsx(&self) -> Result<Vec<u8>> {
        let narrative = crate::tabular::Sheet {
            name: "Báo cáo".into(),
            columns: vec!["noi_dung".into()],
            numeric: vec![false],
            rows: std::iter::once(vec![self.subject.clone()])
                .chain(self.paragraphs.iter().map(|p| vec![p.clone()]))
                .collect(),
        };
        let [indicators, children] = self.dashboard.sheets();
        crate::tabular::write_xlsx_sheets(&[narrative, indicators, children])
    }
}

#[cfg(test)]
mod tests {
    use super::about;

    #[test]
    fn figures_read_as_reports_write_them() {
        assert_eq!(about(10_480), "10.480");
        assert_eq!(about(860_549), "hơn 860.500");
        assert_eq!(about(956), "956");
        assert_eq!(about(9_999), "9.999");
        assert_eq!(about(90_512), "hơn 90.510");
        assert_eq!(about(1_234_567), "hơn 1.234.000");
    }
}
