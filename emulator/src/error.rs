//! Error replies in the OAS format (spec §5): a JSON body `{"code","message","type"}`.

use axum::body::Body;
use axum::http::{header, Response, StatusCode};

/// An OAS error reply.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// OAS error code, e.g. `InvalidDigest`.
    pub code: String,
    /// Human-readable text.
    pub message: String,
}

/// Result type of the request handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with an explicit status.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// 400 with the given code.
    pub fn bad(code: &str, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    /// 400 `InvalidArgument`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::bad("InvalidArgument", message)
    }

    /// 400 `MissingArgument`.
    pub fn missing(what: &str) -> Self {
        Self::bad(
            "MissingArgument",
            format!("missing required argument: {what}"),
        )
    }

    /// 404 with the given `*NotExists` code.
    pub fn not_found(code: &str, id: &str) -> Self {
        Self::new(404, code, format!("{id} does not exist"))
    }

    /// 403 with the given authentication code.
    pub fn denied(code: &str, message: impl Into<String>) -> Self {
        Self::new(403, code, message)
    }

    /// 500 `InternalError` (I/O or database failure).
    pub fn internal(message: impl std::fmt::Display) -> Self {
        crate::log::error(&format!("internal error: {message}"));
        Self::new(500, "InternalError", format!("internal error: {message}"))
    }

    /// `client` for 4xx, `server` for 5xx (the SDK branches on it, §5.1/§5.3).
    pub fn kind(&self) -> &'static str {
        if self.status.is_server_error() {
            "server"
        } else {
            "client"
        }
    }

    /// The HTTP response (the request id is added by the outer layer).
    pub fn into_response(self) -> Response<Body> {
        let body = serde_json::json!({
            "code": self.code,
            "message": self.message,
            "type": self.kind(),
        })
        .to_string();
        Response::builder()
            .status(self.status)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap_or_default()
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::internal(format!("database: {e}"))
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::internal(format!("i/o: {e}"))
    }
}
