//! Registries of the movement: model types and their points (Hướng dẫn
//! 22/HD-BCA-V05), forces and teams with their members (Luật 30/2023/QH15),
//! yearly ratings (Hướng dẫn 01/HD-BCA-V05), and the unit summary that
//! counts them per subtree.

pub mod api;
pub mod exports;
pub mod members_io;
pub mod models;
pub mod pages;
pub mod points_io;
pub mod ratings;
pub mod registrations;
pub mod summary;
pub mod teams;
pub mod teams_io;

use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::units::{UNIT_COLUMNS, Unit};

/// A current unit read on the transaction's own connection.
pub(crate) async fn unit_in_tx(tx: &mut Tx, code: &str) -> Result<Unit> {
    let row = sqlx::query(&format!(
        "SELECT {UNIT_COLUMNS} FROM units u WHERE u.era = 'current' AND u.code = $1"
    ))
    .bind(code)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(Unit::from_row(&row.ok_or_else(AppError::not_found)?)?)
}
