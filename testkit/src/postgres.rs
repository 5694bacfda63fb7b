//! A throwaway PostgreSQL cluster from Debian's packages: `initdb` and
//! `pg_ctl` from the newest `/usr/lib/postgresql/<version>/bin`, its data
//! directory and Unix socket in a temp dir, no TCP listener at all
//! (`listen_addresses=''`). initdb refuses to run as root, so as root every
//! server command runs as the `postgres` user through `runuser`, and the temp
//! dir is handed to that user.
//!
//! Each test takes a database of its own ([`Postgres::fresh_database`]). The
//! cluster is stopped (`pg_ctl stop -m immediate`) when the value is
//! dropped, a failing test's unwinding included; as a [`crate::shared::Shared`]
//! fixture, when the test binary exits. `fsync` is off: the cluster is
//! thrown away, and durability across a machine crash is not what tests see.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// A running cluster; see the module doc.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    next_db: AtomicU32,
    running: bool,
}

/// The newest `/usr/lib/postgresql/<version>/bin` that holds `initdb`.
pub fn find_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// Whether this process runs as root: /proc/self belongs to its effective uid.
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

impl Postgres {
    /// initdb and start a cluster; panics (naming the step) when it cannot.
    pub fn start() -> Postgres {
        let bin = find_bin().expect(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): \
             scripts/test installs Debian's postgresql package",
        );
        let dir = tempfile::Builder::new()
            .prefix("lnpayd-pg")
            .tempdir()
            .expect("temp dir");
        let as_postgres = is_root();
        let mut pg = Postgres {
            dir,
            bin,
            as_postgres,
            next_db: AtomicU32::new(0),
            running: false,
        };
        if as_postgres {
            let chown = Command::new("chown")
                .arg("postgres:postgres")
                .arg(pg.dir.path())
                .status()
                .expect("chown");
            assert!(chown.success(), "chown of the cluster's temp dir failed");
        }
        let data = pg.data_dir();
        pg.run(
            "initdb",
            &[
                "-D",
                data.to_str().expect("UTF-8 temp path"),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        pg.start_again();
        pg
    }

    /// Starts the server again after [`Postgres::stop`] (or at first).
    pub fn start_again(&mut self) {
        let data = self.data_dir();
        let log = self.dir.path().join("server.log");
        let options = format!(
            "-k {} -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=200",
            self.socket_dir().display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("UTF-8"),
                "-l",
                log.to_str().expect("UTF-8"),
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
        self.running = true;
    }

    /// Stops the server now (`-m immediate`: as a crash would), keeping its data.
    pub fn stop(&mut self) {
        if !self.running {
            return;
        }
        self.running = false;
        let data = self.data_dir();
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("UTF-8"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// Creates an empty database of its own and returns its URL.
    pub fn fresh_database(&self) -> String {
        let n = self.next_db.fetch_add(1, Ordering::SeqCst);
        let name = format!("lnpayd_test_{}_{n}", std::process::id());
        let socket = self.socket_dir();
        self.run(
            "createdb",
            &[
                "-h",
                socket.to_str().expect("UTF-8"),
                "-p",
                "5432",
                "-U",
                "postgres",
                &name,
            ],
        );
        self.url(&name)
    }

    /// A URL for `database` over the cluster's Unix socket (no password).
    pub fn url(&self, database: &str) -> String {
        format!(
            "host={} port=5432 user=postgres dbname={database}",
            self.socket_dir().display()
        )
    }

    /// Where the server writes its log.
    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, tool: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        out
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.running {
            self.running = false;
            let data = self.data_dir();
            // Not `run`: no panic while a failing test unwinds.
            let mut cmd = if self.as_postgres {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"])
                    .arg(self.bin.join("pg_ctl"));
                c
            } else {
                Command::new(self.bin.join("pg_ctl"))
            };
            let _ = cmd
                .arg("-D")
                .arg(&data)
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
    }
}
