//! The HTTP room: the router and dispatch (`router.rs`), the hyper server and
//! its connections (`server.rs`), request signatures (`auth.rs`), replies
//! (`reply.rs`) and one handler file per resource (`handlers/`).

pub mod auth;
pub(crate) mod handlers;
pub(crate) mod reply;
pub(crate) mod router;
pub(crate) mod server;
