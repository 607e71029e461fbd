//! The indicator catalogue and its values for any unit and period: each
//! indicator has a code, a Vietnamese name, a unit of measure, a definition
//! and its source among antq's records. Its definition is a count over
//! those records (`values_from_records`); reads come from the roll-up
//! (rollup/), kept current as records are written, so a saved record is in
//! every total at once. The dashboard (pages.rs, api.rs) shows a unit's
//! indicators with the change from the period before and the breakdown by
//! child unit.
//!
//! A period ending before 1 July 2025 is counted on the map of its time
//! (view.rs; records carry `legacy_path`, migration 0007). Figures that
//! exist only as totals are entered (aggregates/); who has not yet
//! registered, been assessed or held a festival day is completeness.rs, the
//! classification levels distribution.rs — both counted from the records.

pub mod aggregates;
pub mod api;
pub mod chart;
pub mod completeness;
pub mod distribution;
pub mod map_svg;
pub mod pages;
pub mod period;
pub mod report;
pub mod rollup;
pub mod view;

use serde::Serialize;

use crate::auth::{Action, Actor, Scope};
use crate::db::Db;
use crate::error::{AppError, Result};
use crate::text::{format_decimal, format_int};
use crate::units::Unit;
use period::Period;

pub struct Indicator {
    pub code: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    pub definition: &'static str,
    pub source: &'static str,
    /// Exists only as totals, entered per unit and year (aggregates/).
    pub entered: bool,
}

const fn ind(
    code: &'static str,
    name: &'static str,
    unit: &'static str,
    definition: &'static str,
    source: &'static str,
) -> Indicator {
    Indicator {
        code,
        name,
        unit,
        definition,
        source,
        entered: false,
    }
}

/// An indicator that exists only as totals (aggregates/).
const fn total(
    code: &'static str,
    name: &'static str,
    unit: &'static str,
    definition: &'static str,
) -> Indicator {
    Indicator {
        code,
        name,
        unit,
        definition,
        source: "Số liệu tổng hợp do đơn vị nhập (biểu mẫu hoặc tệp)",
        entered: true,
    }
}

pub const CATALOGUE: [Indicator; 23] = [
    ind(
        "so_buoi_tuyen_truyen",
        "Số buổi tuyên truyền, phổ biến",
        "buổi",
        "Buổi tuyên truyền, phổ biến về phong trào tổ chức trong kỳ, trừ bản ghi đã hủy.",
        "Hoạt động: buổi tuyên truyền",
    ),
    ind(
        "so_luot_nguoi_tham_gia",
        "Số lượt người tham gia tuyên truyền",
        "lượt người",
        "Tổng số người dự các buổi tuyên truyền trong kỳ.",
        "Hoạt động: buổi tuyên truyền (số lượt người)",
    ),
    ind(
        "so_hoi_nghi",
        "Số hội nghị sơ kết, tổng kết",
        "hội nghị",
        "Hội nghị sơ kết, tổng kết phong trào tổ chức trong kỳ.",
        "Hoạt động: hội nghị",
    ),
    ind(
        "so_ngay_hoi",
        "Số Ngày hội toàn dân bảo vệ an ninh Tổ quốc",
        "Ngày hội",
        "Ngày hội tổ chức trong kỳ ở xã hoặc thôn.",
        "Ngày hội",
    ),
    ind(
        "so_dot_tan_cong",
        "Số đợt tấn công trấn áp tội phạm",
        "đợt",
        "Đợt cao điểm tấn công, trấn áp tội phạm bắt đầu trong kỳ.",
        "Hoạt động: đợt tấn công trấn áp",
    ),
    ind(
        "so_vu_hoa_giai_thanh",
        "Số vụ hòa giải thành",
        "vụ",
        "Vụ việc hòa giải ở cơ sở có kết quả hòa giải thành trong kỳ.",
        "Hoạt động: hòa giải",
    ),
    ind(
        "so_xa_khong_ma_tuy",
        "Số xã được công nhận không ma túy",
        "xã",
        "Quyết định công nhận xã không ma túy ban hành trong kỳ.",
        "Hoạt động: quyết định xã không ma túy",
    ),
    ind(
        "so_tap_the_khen_thuong",
        "Số tập thể được khen thưởng",
        "tập thể",
        "Lượt khen thưởng tập thể có quyết định trong kỳ, trừ khen thưởng đã hủy.",
        "Khen thưởng",
    ),
    ind(
        "so_ca_nhan_khen_thuong",
        "Số cá nhân được khen thưởng",
        "cá nhân",
        "Lượt khen thưởng cá nhân có quyết định trong kỳ, trừ khen thưởng đã hủy.",
        "Khen thưởng",
    ),
    ind(
        "so_tin_bao",
        "Số tin báo, tố giác tiếp nhận",
        "tin",
        "Tin báo, tố giác về an ninh, trật tự tiếp nhận trong kỳ.",
        "Tin báo",
    ),
    ind(
        "so_tin_bao_dung_han",
        "Số tin báo xử lý xong trong thời hạn",
        "tin",
        "Tin báo tiếp nhận trong kỳ đã kết thúc xử lý trong thời hạn của Điều 147 Bộ luật Tố tụng hình sự 2015.",
        "Tin báo",
    ),
    ind(
        "so_thon",
        "Số thôn, bản, tổ dân phố",
        "thôn, tổ dân phố",
        "Thôn, bản, tổ dân phố trong danh mục của đơn vị đã có trong năm cuối kỳ: thành lập trước hoặc trong năm đó, chưa ngừng hoạt động trước năm đó (trên bản đồ trước 01/07/2025: theo xã cũ của thôn).",
        "Danh mục thôn, tổ dân phố",
    ),
    ind(
        "so_thon_dang_ky",
        "Số thôn, tổ dân phố đăng ký “An toàn về an ninh, trật tự”",
        "thôn, tổ dân phố",
        "Thôn, tổ dân phố đang hoạt động có đăng ký phấn đấu của năm cuối kỳ.",
        "Đăng ký thi đua",
    ),
    ind(
        "so_xa_co_thon_dang_ky",
        "Số xã có thôn, tổ dân phố đăng ký",
        "xã",
        "Xã (trên bản đồ trước 01/07/2025: xã, phường, thị trấn) có ít nhất một thôn, tổ dân phố đăng ký năm cuối kỳ.",
        "Đăng ký thi đua",
    ),
    ind(
        "so_ho_dang_ky",
        "Số hộ gia đình đăng ký",
        "hộ",
        "Số hộ đăng ký ghi trong đăng ký của các thôn, tổ dân phố năm cuối kỳ.",
        "Đăng ký thi đua",
    ),
    ind(
        "so_co_quan_dang_ky",
        "Số cơ quan, doanh nghiệp, trường học đăng ký",
        "cơ quan, doanh nghiệp, trường học",
        "Cơ quan, doanh nghiệp, cơ sở giáo dục có đăng ký phấn đấu đạt chuẩn “An toàn về an ninh, trật tự” năm cuối kỳ.",
        "Đăng ký thi đua",
    ),
    ind(
        "so_khu_dan_cu_an_toan",
        "Số khu dân cư được công nhận “An toàn về an ninh, trật tự”",
        "khu dân cư",
        "Khu dân cư có kết quả đánh giá năm cuối kỳ được phê duyệt đạt (Thông tư 124/2021/TT-BCA).",
        "Đánh giá, công nhận",
    ),
    ind(
        "so_xa_an_toan",
        "Số xã, phường, đặc khu được công nhận “An toàn về an ninh, trật tự”",
        "xã",
        "Xã có kết quả đánh giá năm cuối kỳ được phê duyệt đạt (Thông tư 124/2021/TT-BCA).",
        "Đánh giá, công nhận",
    ),
    ind(
        "so_diem_mo_hinh",
        "Số điểm mô hình",
        "điểm",
        "Điểm mô hình hoạt động vào bất kỳ ngày nào của năm cuối kỳ.",
        "Mô hình, điểm mô hình",
    ),
    ind(
        "so_to_doi",
        "Số tổ, đội tham gia bảo vệ an ninh, trật tự",
        "tổ, đội",
        "Tổ, đội hoạt động vào bất kỳ ngày nào của năm cuối kỳ.",
        "Lực lượng, tổ đội",
    ),
    ind(
        "so_thanh_vien",
        "Số thành viên tổ, đội",
        "người",
        "Thành viên tham gia vào bất kỳ ngày nào của năm cuối kỳ.",
        "Lực lượng, tổ đội",
    ),
    total(
        "so_gia_dinh_van_hoa",
        "Số gia đình đăng ký gia đình văn hóa",
        "gia đình",
        "Tổng số gia đình đăng ký danh hiệu “Gia đình văn hóa” năm cuối kỳ, theo số liệu tổng hợp các đơn vị nhập \
         (mỗi địa bàn nhập ở một cấp).",
    ),
    total(
        "so_khu_dan_cu_van_hoa",
        "Số khu dân cư đăng ký khu dân cư văn hóa",
        "khu dân cư",
        "Tổng số khu dân cư đăng ký danh hiệu “Khu dân cư văn hóa” năm cuối kỳ, theo số liệu tổng hợp các đơn vị \
         nhập (mỗi địa bàn nhập ở một cấp).",
    ),
];

pub fn find(code: &str) -> Option<&'static Indicator> {
    CATALOGUE.iter().find(|i| i.code == code)
}

/// Reads `codes=a,b`: every one must be in the catalogue.
pub fn parse_codes(raw: Option<&str>) -> Result<Vec<&'static Indicator>> {
    let raw = raw.map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return Ok(CATALOGUE.iter().collect());
    }
    raw.split(',')
        .map(|c| {
            let c = c.trim();
            find(c).ok_or_else(|| {
                AppError::field(
                    "codes",
                    format!(
                        "Chỉ tiêu: mã \"{}\" không có trong danh mục.",
                        crate::input::shorten(c)
                    ),
                )
            })
        })
        .collect()
}

/// The scope a unit's figures are counted in: the actor's, narrowed to
/// the unit (on the pre-2025 map, the records that lay in the old unit).
pub(crate) fn scope_of(actor: &Actor, unit: &Unit) -> Result<Scope> {
    let all = Scope::new(actor, Action::ViewGeography)?;
    if unit.era == "legacy" {
        Ok(all.on_legacy_map(&unit.path))
    } else {
        all.narrow(&unit.path)
    }
}

/// The values of every indicator for the unit's subtree (inside the
/// actor's scope) over the period, in catalogue order. A unit of the
/// pre-2025 map counts the records that lay in it then (`legacy_path`); the
/// caller has opened it for the actor (view.rs).
pub async fn values(db: &Db, actor: &Actor, unit: &Unit, p: &Period) -> Result<Vec<i64>> {
    Ok(values_with_children(db, actor, unit, &[], p).await?.total)
}

/// [`values`] for a unit and for its child units on the same map, read
/// from the roll-up in one pass when it can answer, else counted from the
/// records.
pub async fn values_with_children(
    db: &Db,
    actor: &Actor,
    unit: &Unit,
    children: &[Unit],
    p: &Period,
) -> Result<rollup::Figures> {
    let mut all = values_over(db, actor, unit, children, std::slice::from_ref(p)).await?;
    all.pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no figures for {}", p.label)))
}

/// [`values_with_children`] for several periods at once (the roll-up adds
/// them up in the same pass): every period's totals, and the child units'
/// figures for the first period only — a dashboard compares its totals with
/// the period before, and counting the breakdown of that one from the
/// records while the roll-up loads would double the slowest read.
pub async fn values_over(
    db: &Db,
    actor: &Actor,
    unit: &Unit,
    children: &[Unit],
    periods: &[Period],
) -> Result<Vec<rollup::Figures>> {
    let scope = scope_of(actor, unit)?;
    let paths: Vec<String> = children.iter().map(|c| c.path.clone()).collect();
    if let Some(mut f) = db.rollup.figures(db, &scope, &unit.path, &paths, periods).await? {
        f.iter_mut().skip(1).for_each(|later| later.children.clear());
        return Ok(f);
    }
    let mut out = Vec::with_capacity(periods.len());
    for (i, p) in periods.iter().enumerate() {
        let total = values_from_records(db, &scope, p).await?;
        let mut each = Vec::with_capacity(children.len());
        for c in children.iter().filter(|_| i == 0) {
            each.push(values_from_records(db, &scope_of(actor, c)?, p).await?);
        }
        out.push(rollup::Figures {
            total,
            children: each,
        });
    }
    Ok(out)
}

/// Every indicator counted from the records at read time: the definition
/// the roll-up is held to, and its stand-in while it loads.
pub async fn values_from_records(db: &Db, scope: &Scope, p: &Period) -> Result<Vec<i64>> {
    let year = p.end_year();
    let act = crate::activities::figures::figures(db, scope, &p.from, &p.to).await?;
    let tips = crate::tips::figures::figures(db, scope, &p.from, &p.to).await?;
    let reg = crate::registry::registrations::figures(db, scope, year).await?;
    let ass = crate::assessment::figures::figures(db, scope, year).await?;
    let (models, teams) = crate::registry::summary::models_and_teams(db, scope, year).await?;
    let totals = aggregates::figures(db, scope, year).await?;
    let recognised = |kind: &str| ass.level(kind).map(|l| l.recognised).unwrap_or(0);
    let value = |code: &str| match code {
        "so_buoi_tuyen_truyen" => act.sessions,
        "so_luot_nguoi_tham_gia" => act.attendance,
        "so_hoi_nghi" => act.conferences,
        "so_ngay_hoi" => act.festival_days,
        "so_dot_tan_cong" => act.campaigns,
        "so_vu_hoa_giai_thanh" => act.mediation_successful,
        "so_xa_khong_ma_tuy" => act.drug_free_communes,
        "so_tap_the_khen_thuong" => act.awards.collectives,
        "so_ca_nhan_khen_thuong" => act.awards.individuals,
        "so_tin_bao" => tips.received,
        "so_tin_bao_dung_han" => tips.closed_in_time,
        "so_thon" => reg.villages,
        "so_thon_dang_ky" => reg.villages_registered,
        "so_xa_co_thon_dang_ky" => reg.communes_with_villages_registered,
        "so_ho_dang_ky" => reg.households_registered,
        "so_co_quan_dang_ky" => reg.organisations_registered,
        "so_khu_dan_cu_an_toan" => recognised("village"),
        "so_xa_an_toan" => recognised("commune"),
        "so_diem_mo_hinh" => models.points,
        "so_to_doi" => teams.total,
        "so_thanh_vien" => teams.members,
        code => totals.iter().find(|(c, _)| c == code).map_or(0, |(_, v)| *v),
    };
    Ok(CATALOGUE.iter().map(|i| value(i.code)).collect())
}

/// "tăng 3,5% so với năm 2024", "giảm 12 buổi so với …" when the earlier
/// value is 0, "bằng năm 2024".
pub fn change_text(value: i64, previous: i64, unit: &str, previous_label: &str) -> String {
    if value == previous {
        return format!("bằng {previous_label}");
    }
    let verb = if value > previous { "tăng" } else { "giảm" };
    if previous == 0 {
        return format!(
            "{verb} {} {unit} so với {previous_label}",
            format_int((value - previous).abs())
        );
    }
    let pct = (value - previous).abs() as f64 * 100.0 / previous as f64;
    format!("{verb} {}% so với {previous_label}", format_decimal(pct, 1))
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub code: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    pub value: i64,
    pub previous: Option<i64>,
    pub change: String,
}

#[derive(Debug, Serialize)]
pub struct Child {
    pub code: String,
    pub name: String,
    pub values: Vec<i64>,
}

#[derive(Debug, Serialize)]
pub struct Dashboard {
    pub unit_code: String,
    pub unit_name: String,
    /// The map counted on: `current` or `legacy` (before 1 July 2025).
    pub map: view::Map,
    pub map_label: &'static str,
    /// Set when the map asked for could not be used.
    pub note: Option<String>,
    pub period: Period,
    pub previous: Option<Period>,
    pub indicators: Vec<Row>,
    /// Codes of the breakdown's columns, in order.
    pub columns: Vec<&'static str>,
    pub children: Vec<Child>,
}

/// A unit's indicators over a period, the change from the period before,
/// and the breakdown by the child units the actor may open.
pub async fn dashboard(
    db: &Db,
    actor: &Actor,
    place: &view::Place,
    p: &Period,
    codes: &[&'static Indicator],
) -> Result<Dashboard> {
    let unit = &place.unit;
    let children_units = child_units(db, actor, place).await?;
    let previous = p.previous();
    let periods: Vec<Period> = std::iter::once(p.clone()).chain(previous.clone()).collect();
    let mut over = values_over(db, actor, unit, &children_units, &periods)
        .await?
        .into_iter();
    let figures = over
        .next()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no figures for {}", p.label)))?;
    let before = over.next().map(|f| f.total);
    let now = figures.total;
    let index = |code: &str| CATALOGUE.iter().position(|i| i.code == code).unwrap_or(0);
    let indicators = codes
        .iter()
        .map(|i| {
            let k = index(i.code);
            let prev = before.as_ref().map(|b| b[k]);
            Row {
                code: i.code,
                name: i.name,
                unit: i.unit,
                value: now[k],
                previous: prev,
                change: match (prev, &previous) {
                    (Some(v), Some(pp)) => change_text(now[k], v, i.unit, &pp.label),
                    _ => String::new(),
                },
            }
        })
        .collect();
    let children = children_units
        .iter()
        .zip(&figures.children)
        .map(|(c, v)| Child {
            code: c.code.clone(),
            name: c.name.clone(),
            values: codes.iter().map(|i| v[index(i.code)]).collect(),
        })
        .collect();
    Ok(Dashboard {
        unit_code: unit.code.clone(),
        unit_name: unit.name.clone(),
        map: place.map,
        map_label: place.map.label(),
        note: place.note.clone(),
        period: p.clone(),
        previous,
        indicators,
        columns: codes.iter().map(|i| i.code).collect(),
        children,
    })
}

/// The child units of the breakdown the actor may open: on today's map as
/// the unit pages list them; on the pre-2025 map all of an opened old
/// unit's children (every unit of today they became lies inside the
/// parent's, which lay inside the scope).
pub async fn child_units(db: &Db, actor: &Actor, place: &view::Place) -> Result<Vec<Unit>> {
    match place.map {
        view::Map::Legacy => crate::units::children_on_map(db, &place.unit).await,
        view::Map::Current => crate::units::children_to_open(db, actor, &place.unit).await,
    }
}

impl Dashboard {
    /// The indicators table: code, name, unit, value, previous, change.
    pub fn indicator_table(&self) -> (Vec<String>, Vec<bool>, Vec<Vec<String>>) {
        let columns = [
            "ma_chi_tieu",
            "chi_tieu",
            "don_vi_tinh",
            "gia_tri",
            "ky_truoc",
            "thay_doi",
        ];
        let rows = self
            .indicators
            .iter()
            .map(|r| {
                vec![
                    r.code.to_string(),
                    r.name.to_string(),
                    r.unit.to_string(),
                    r.value.to_string(),
                    crate::tabular::opt(&r.previous),
                    r.change.clone(),
                ]
            })
            .collect();
        (
            columns.iter().map(|c| c.to_string()).collect(),
            vec![false, false, false, true, true, false],
            rows,
        )
    }

    /// The breakdown: one row per child unit, one column per indicator.
    pub fn children_table(&self) -> (Vec<String>, Vec<bool>, Vec<Vec<String>>) {
        let mut columns = vec!["ma_don_vi".to_string(), "ten_don_vi".to_string()];
        columns.extend(self.columns.iter().map(|c| c.to_string()));
        let mut numeric = vec![false, false];
        numeric.extend(self.columns.iter().map(|_| true));
        let rows = self
            .children
            .iter()
            .map(|c| {
                let mut row = vec![c.code.clone(), c.name.clone()];
                row.extend(c.values.iter().map(i64::to_string));
                row
            })
            .collect();
        (columns, numeric, rows)
    }

    /// The two tables as XLSX sheets: "Chỉ tiêu" and "Theo đơn vị".
    pub fn sheets(&self) -> [crate::tabular::Sheet; 2] {
        use crate::tabular::Sheet;
        let (ic, inum, irows) = self.indicator_table();
        let (cc, cnum, crows) = self.children_table();
        [
            Sheet {
                name: "Chỉ tiêu".into(),
                columns: ic,
                numeric: inum,
                rows: irows,
            },
            Sheet {
                name: "Theo đơn vị".into(),
                columns: cc,
                numeric: cnum,
                rows: crows,
            },
        ]
    }

    /// The dashboard as a file: XLSX with a sheet per table, or CSV of one
    /// table (`children` for the breakdown). No row is left out.
    pub fn export(&self, format: crate::tabular::Format, table: Option<&str>) -> Result<Vec<u8>> {
        use crate::tabular::Format;
        match format {
            Format::Xlsx => crate::tabular::write_xlsx_sheets(&self.sheets()),
            Format::Csv => {
                let (columns, rows) = if table == Some("children") {
                    let (c, _, r) = self.children_table();
                    (c, r)
                } else {
                    let (c, _, r) = self.indicator_table();
                    (c, r)
                };
                let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
                crate::tabular::write_csv(&cols, &rows)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_said_as_reports_say_them() {
        assert_eq!(
            change_text(1035, 1000, "buổi", "năm 2024"),
            "tăng 3,5% so với năm 2024"
        );
        assert_eq!(
            change_text(880, 1000, "buổi", "năm 2024"),
            "giảm 12,0% so với năm 2024"
        );
        assert_eq!(
            change_text(12, 0, "buổi", "năm 2024"),
            "tăng 12 buổi so với năm 2024"
        );
        assert_eq!(
            change_text(5, 5, "buổi", "quý II năm 2025"),
            "bằng quý II năm 2025"
        );
        assert!(parse_codes(Some("so_ngay_hoi,xyz")).is_err());
        assert_eq!(parse_codes(Some("so_ngay_hoi")).unwrap().len(), 1);
        let codes: Vec<&str> = CATALOGUE.iter().map(|i| i.code).collect();
        let mut unique = codes.clone();
        unique.dedup();
        assert_eq!(codes.len(), unique.len());
    }
}
