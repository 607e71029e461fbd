//! Who is asking and what they may do: passwords, browser sessions, API
//! tokens, the `Actor` every service function takes, and the access policy.

pub mod actor;
pub mod login;
pub mod middleware;
pub mod pages;
pub mod password;
pub mod policy;
pub mod role;
pub mod session;
pub mod tokens;

pub use actor::Actor;
pub use policy::{Action, Scope};
pub use role::Role;
