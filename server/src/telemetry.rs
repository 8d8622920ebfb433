//! Logging: an env-filtered `tracing` subscriber (`RUST_LOG`, default `info`), as text for people
//! or as JSON lines for log collectors (`LOG_FORMAT=json`). Every request is one span (method,
//! path, route template, request id: `startup::request_span`), so every line logged while it
//! runs, the access-log line and any 5xx error included, names its request.

use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// How log lines are written (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One readable line per event, its spans' fields before the message (the default).
    Text,
    /// One JSON object per line: `timestamp`, `level`, `fields` (the message and the event's
    /// own fields), `span` (the innermost span's fields) and `spans` (all of them, outermost
    /// first).
    Json,
}

impl LogFormat {
    /// `LOG_FORMAT`'s value: unset, empty or `text`, or `json`.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        match raw.map(str::trim) {
            None | Some("") | Some("text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(other) => Err(format!(
                "LOG_FORMAT is invalid: expected text or json, got {other:?}"
            )),
        }
    }
}

/// What the server logs unless `RUST_LOG` says otherwise.
pub const SERVER_FILTER: &str = "info,sqlx=warn,tower_http=info";

/// What the binary's other commands log unless `RUST_LOG` says otherwise: errors (with their
/// causes) and warnings, but not sqlx's notes on the import's long bulk statements.
pub const COMMAND_FILTER: &str = "warn,sqlx=error";

/// The subscriber, writing to `writer` (standard output in the binary, a buffer in tests), with
/// `default_filter` when `RUST_LOG` is unset.
pub fn subscriber<W>(
    format: LogFormat,
    default_filter: &str,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(builder.finish()),
        LogFormat::Json => Box::new(
            builder
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .finish(),
        ),
    }
}

/// Installs the global subscriber, in the format `LOG_FORMAT` names. Call once, at startup.
pub fn init() -> Result<(), String> {
    let format = LogFormat::parse(std::env::var("LOG_FORMAT").ok().as_deref())?;
    // Also forwards the `log` records of dependencies that use it.
    let _ = subscriber(format, SERVER_FILTER, std::io::stdout).try_init();
    Ok(())
}
