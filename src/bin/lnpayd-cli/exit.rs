//! How a failed command ends: what it prints on stderr and its exit status.
//! A script branches on the status (one per class of failure) and, for the
//! detail, on the `google.rpc.ErrorInfo` reason printed with it.

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde::Serialize;
use tonic::Code;
use tonic_types::StatusExt;

use crate::args::Format;

/// The text `--help` and the man page show; [`Exit::code`] is the code.
pub const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success
  1  any other failure (INTERNAL, UNKNOWN, ...)
  2  usage: a flag or value the command line does not accept
  3  invalid argument: INVALID_ARGUMENT, OUT_OF_RANGE
  4  not found: NOT_FOUND
  5  not allowed: UNAUTHENTICATED, PERMISSION_DENIED, or no token file
  6  unavailable, retry later: UNAVAILABLE, DEADLINE_EXCEEDED,
     RESOURCE_EXHAUSTED, or the daemon cannot be reached
  7  refused in this state: FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED

On failure, stderr holds the gRPC code, the message and the reason from
google.rpc.ErrorInfo (e.g. AMOUNT_NOT_POSITIVE): a JSON object
{\"error\": {...}} with --format json, one line of text with --format table.";

/// The classes of failure, each with its own exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Other,
    Usage,
    InvalidArgument,
    NotFound,
    NotAllowed,
    Unavailable,
    Refused,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Other => 1,
            Exit::Usage => 2,
            Exit::InvalidArgument => 3,
            Exit::NotFound => 4,
            Exit::NotAllowed => 5,
            Exit::Unavailable => 6,
            Exit::Refused => 7,
        }
    }

    fn of(code: Code) -> Exit {
        match code {
            Code::InvalidArgument | Code::OutOfRange => Exit::InvalidArgument,
            Code::NotFound => Exit::NotFound,
            Code::Unauthenticated | Code::PermissionDenied => Exit::NotAllowed,
            Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted => {
                Exit::Unavailable
            }
            Code::FailedPrecondition | Code::AlreadyExists | Code::Aborted => Exit::Refused,
            Code::Ok
            | Code::Cancelled
            | Code::Unknown
            | Code::Unimplemented
            | Code::Internal
            | Code::DataLoss => Exit::Other,
        }
    }
}

/// Why a command failed: the daemon's answer, or something on this side.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{}", .0.message())]
    Rpc(Box<tonic::Status>),
    /// The daemon cannot be reached (no connection at all).
    #[error("cannot reach the daemon at {addr}: {cause}")]
    Connect { addr: String, cause: String },
    #[error("cannot read the token file {path}: {cause}")]
    Token { path: String, cause: String },
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl From<tonic::Status> for CliError {
    fn from(s: tonic::Status) -> Self {
        CliError::Rpc(Box::new(s))
    }
}

impl CliError {
    pub fn exit(&self) -> Exit {
        match self {
            CliError::Rpc(s) => Exit::of(s.code()),
            CliError::Connect { .. } => Exit::Unavailable,
            CliError::Token { .. } => Exit::NotAllowed,
            CliError::Usage(_) => Exit::Usage,
            CliError::Io(_) => Exit::Other,
        }
    }

    /// Prints the failure to stderr and returns its exit status.
    pub fn report(&self, format: Format) -> ExitCode {
        let report = Report::of(self);
        match format {
            Format::Json => eprintln!("{}", serde_json::json!({ "error": report }),),
            Format::Table => eprintln!("lnpayd-cli: {}", report.line()),
        }
        ExitCode::from(self.exit().code())
    }
}

/// What stderr shows of a failure.
#[derive(Serialize)]
struct Report {
    /// The gRPC code's name, or CONNECT, TOKEN, USAGE, IO for local failures.
    code: String,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metadata: BTreeMap<String, String>,
    /// google.rpc.BadRequest: each field and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    field_violations: Vec<FieldViolation>,
    exit_code: u8,
}

#[derive(Serialize)]
struct FieldViolation {
    field: String,
    description: String,
}

impl Report {
    fn of(e: &CliError) -> Report {
        let local = |code: &str| Report {
            code: code.into(),
            message: e.to_string(),
            reason: None,
            metadata: BTreeMap::new(),
            field_violations: Vec::new(),
            exit_code: e.exit().code(),
        };
        let CliError::Rpc(s) = e else {
            return match e {
                CliError::Connect { .. } => local("CONNECT"),
                CliError::Token { .. } => local("TOKEN"),
                CliError::Usage(_) => local("USAGE"),
                CliError::Rpc(_) | CliError::Io(_) => local("IO"),
            };
        };
        let details = s.get_error_details();
        let info = details.error_info();
        let violations = details
            .bad_request()
            .map(|b| {
                b.field_violations
                    .iter()
                    .map(|v| FieldViolation {
                        field: v.field.clone(),
                        description: v.description.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Report {
            code: code_name(s.code()).into(),
            message: s.message().to_string(),
            reason: info.map(|i| i.reason.clone()),
            metadata: info
                .map(|i| i.metadata.clone().into_iter().collect())
                .unwrap_or_default(),
            field_violations: violations,
            exit_code: e.exit().code(),
        }
    }

    fn line(&self) -> String {
        let mut line = self.code.clone();
        if let Some(r) = &self.reason {
            line.push_str(&format!(" {r}"));
        }
        line.push_str(&format!(": {}", self.message));
        for (k, v) in &self.metadata {
            line.push_str(&format!(" [{k}={v}]"));
        }
        line
    }
}

/// The code's name as gRPC spells it (tonic's Display is prose).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_its_own_status_and_the_help_lists_it() {
        let all = [
            Exit::Other,
            Exit::Usage,
            Exit::InvalidArgument,
            Exit::NotFound,
            Exit::NotAllowed,
            Exit::Unavailable,
            Exit::Refused,
        ];
        let codes: std::collections::BTreeSet<u8> = all.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), all.len());
        for c in codes {
            assert!(EXIT_STATUS_HELP.contains(&format!("\n  {c}  ")), "{c}");
        }
        // clap's own usage errors exit 2 as well.
        assert_eq!(Exit::Usage.code(), 2);
    }
}
