//! The one integration test binary: the real router, in process, on a fresh
//! database per test (SQLite, or PostgreSQL with ANTQ_TEST_DATABASE_URL).

mod access;
mod activities;
mod aggregates;
mod assessment;
mod audit;
mod auth;
mod indicators;
mod registry;
mod rollup;
mod rollup_snapshot;
mod schema;
mod support;
mod tips;
mod units;
mod villages;
