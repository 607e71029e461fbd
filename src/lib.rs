#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
//! antq: the information system of the movement "Toàn dân bảo vệ an ninh Tổ quốc".
//! See docs/ARCHITECTURE.md for the folder map and how a request travels.

pub mod activities;
pub mod api;
pub mod app;
pub mod assessment;
pub mod audit;
pub mod auth;
pub mod awards;
pub mod config;
pub mod db;
pub mod demo;
pub mod docx;
pub mod error;
pub mod generator;
pub mod indicators;
pub mod input;
pub mod registry;
pub mod tabular;
pub mod text;
pub mod tips;
pub mod units;
pub mod users;
pub mod web;
