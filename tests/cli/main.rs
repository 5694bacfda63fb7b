//! `lnpayd-cli` against the real dev daemon: the binary cargo built for this
//! test, run as an operator runs it, its stdout parsed, its exit status read.

mod admin;
mod docs;
mod errors;
mod follow;
mod invoices;
mod webhooks;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use testkit::daemon::Daemon;

/// The environment the CLI reads its defaults from; cleared so that the
/// machine's own settings cannot leak into a test.
const CLI_ENV: [&str; 4] = [
    "LNPAYD_LISTEN",
    "LNPAYD_DATADIR",
    "LNPAYD_CONFIG",
    "LNPAYD_TOKEN_FILE",
];

/// `lnpayd-cli` pointed at one daemon.
pub struct Cli {
    pub addr: String,
    pub datadir: PathBuf,
}

/// What one run printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout's only line as JSON; panics unless the run succeeded.
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "one JSON object: {}", self.stdout);
        serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("{e}: {}", lines[0]))
    }

    /// stdout as JSON lines (a stream).
    pub fn json_lines(&self) -> Vec<Value> {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// stderr's `{"error": …}` object; panics unless the run failed with `code`.
    pub fn error(&self, code: i32) -> Value {
        assert_eq!(
            self.code, code,
            "exit status; stdout: {} stderr: {}",
            self.stdout, self.stderr
        );
        let v: Value = serde_json::from_str(self.stderr.trim())
            .unwrap_or_else(|e| panic!("{e}: {}", self.stderr));
        v["error"].clone()
    }
}

pub fn cli_bin() -> &'static str {
    env!("CARGO_BIN_EXE_lnpayd-cli")
}

/// The CLI with no daemon settings at all.
pub fn bare_command() -> Command {
    let mut cmd = Command::new(cli_bin());
    for k in CLI_ENV {
        cmd.env_remove(k);
    }
    cmd.stdin(Stdio::null());
    cmd
}

pub fn output(mut cmd: Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run lnpayd-cli");
    Run {
        code: status.code().expect("exited, not killed"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

impl Cli {
    pub fn of(d: &Daemon) -> Cli {
        Cli {
            addr: d.addr.clone(),
            datadir: d.datadir.clone(),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = bare_command();
        cmd.arg("--rpcserver")
            .arg(&self.addr)
            .arg("--datadir")
            .arg(&self.datadir)
            .args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        output(self.command(args))
    }

    /// A successful run's one JSON object.
    pub fn json(&self, args: &[&str]) -> Value {
        self.run(args).json()
    }
}

/// A dev daemon in `dir`, and the CLI pointed at it.
pub fn start(dir: &Path) -> (Daemon, Cli) {
    let d = Daemon::start(dir, &[], &[]);
    let cli = Cli::of(&d);
    (d, cli)
}

/// A JSON value that must be a string.
pub fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}
