//! `lnpayd migrate`: an embedded store (sled or fjall) copied into an empty
//! PostgreSQL database, in one transaction, then verified table by table.
//!
//! Verification reads the tables back and compares, per table, the number
//! of rows and a SHA-256 over every row's fields in key order with what was
//! read from the source. Every value is held in memory while copying: a data dir
//! of a million invoices needs a few hundred MB.

use std::time::{Duration, Instant};

use super::rows::{source_tables, SourceTable};
use super::{int, pg_error, PgStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::store::{Checksum, Export, FjallStore, SledStore, StoreError};

/// Rows sent per round of pipelined statements.
const PIPELINE: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the target database is not empty: {table} holds {rows} rows; migrate into an empty database")]
    NotEmpty { table: &'static str, rows: i64 },
    #[error("verification failed for {table}: copied {copied} rows (sha256 {copied_sum}), the database holds {found} (sha256 {found_sum})")]
    Mismatch {
        table: &'static str,
        copied: u64,
        copied_sum: String,
        found: u64,
        found_sum: String,
    },
}

/// One table as copied and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    pub table: &'static str,
    pub rows: u64,
    pub sha256: String,
}

#[derive(Debug)]
pub struct ImportReport {
    pub tables: Vec<TableReport>,
    pub last_sequence: u64,
    pub elapsed: Duration,
}

/// Where `lnpayd migrate` copies from: `sled:<datadir>/store` or
/// `fjall:<datadir>/fjall`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Sled(PathBuf),
    Fjall(PathBuf),
}

impl Source {
    pub fn parse(spec: &str) -> Option<Self> {
        match spec.split_once(':')? {
            ("sled", dir) if !dir.is_empty() => Some(Source::Sled(dir.into())),
            ("fjall", dir) if !dir.is_empty() => Some(Source::Fjall(dir.into())),
            _ => None,
        }
    }

    fn dir(&self) -> &Path {
        match self {
            Source::Sled(d) | Source::Fjall(d) => d,
        }
    }

    /// Opens an existing store: never creates an empty one to copy from.
    pub fn open(&self) -> Result<Arc<dyn Export>, StoreError> {
        let not_a = |what: &str, layout: &str| {
            StoreError::Config(format!(
                "{} is not a {what} store (it is {layout})",
                self.dir().display()
            ))
        };
        const CACHE: u64 = 64 * 1024 * 1024;
        match self {
            Source::Sled(dir) if dir.join("conf").exists() => Ok(SledStore::open(dir, CACHE)?),
            Source::Sled(_) => Err(not_a("sled", "<datadir>/store")),
            Source::Fjall(dir) if super::super::fjall_store::is_store(dir) => {
                Ok(FjallStore::open(dir, CACHE)?)
            }
            Source::Fjall(_) => Err(not_a("fjall", "<datadir>/fjall")),
        }
    }
}

/// Copies `src` into the (empty) database at `url`. `progress` gets a
/// line every `every` rows, and one per table.
pub async fn import_store(
    src: &dyn Export,
    url: &str,
    every: u64,
    progress: &(dyn Fn(String) + Sync),
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let pg = PgStore::open(url, 2).await?;
    let tables = source_tables(src)?;
    let mut client = pg.client().await?;
    for t in &tables {
        let rows: i64 = client
            .query_one(&format!("SELECT count(*) FROM {}", t.name), &[])
            .await
            .map_err(pg_error)?
            .get(0);
        if rows > 0 {
            return Err(ImportError::NotEmpty {
                table: t.name,
                rows,
            });
        }
    }
    let tx = client.transaction().await.map_err(pg_error)?;
    let mut copied = 0u64;
    for t in &tables {
        let statement = tx.prepare(t.insert).await.map_err(pg_error)?;
        for chunk in t.rows.chunks(PIPELINE) {
            // Sent together: tokio-postgres pipelines concurrent statements.
            let sent = chunk.iter().map(|row| {
                let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                    row.params.iter().map(|p| p.as_sql()).collect();
                let tx = &tx;
                let statement = &statement;
                async move { tx.execute(statement, &params).await }
            });
            futures::future::try_join_all(sent)
                .await
                .map_err(pg_error)?;
            let before = copied;
            copied += chunk.len() as u64;
            if every > 0 && before / every != copied / every {
                progress(format!("{copied} rows copied ({})", t.name));
            }
        }
        progress(format!("{}: {} rows", t.name, t.rows.len()));
    }
    let last_sequence = source_last_sequence(src);
    tx.execute(
        "UPDATE lnpayd_seq SET last = $1 WHERE id = 1",
        &[&int(last_sequence)],
    )
    .await
    .map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    let reports = verify(&pg, tables).await?;
    Ok(ImportReport {
        tables: reports,
        last_sequence,
        elapsed: started.elapsed(),
    })
}

/// Where the source's log ends: where PostgreSQL's sequence continues.
fn source_last_sequence(src: &dyn Export) -> u64 {
    let last = *src.durable_sequence().borrow();
    last
}

/// Reads every table back and compares it with what was copied.
async fn verify(pg: &PgStore, tables: Vec<SourceTable>) -> Result<Vec<TableReport>, ImportError> {
    let client = pg.client().await?;
    let mut out = Vec::new();
    for t in tables {
        let (copied, copied_sum) = t.checksum.finish();
        let mut found = Checksum::default();
        for row in client.query(t.verify, &[]).await.map_err(pg_error)? {
            let fields: Vec<&[u8]> = (0..row.len()).map(|i| row.get::<_, &[u8]>(i)).collect();
            found.add(&fields);
        }
        let (found_rows, found_sum) = found.finish();
        if (copied, &copied_sum) != (found_rows, &found_sum) {
            return Err(ImportError::Mismatch {
                table: t.name,
                copied,
                copied_sum,
                found: found_rows,
                found_sum,
            });
        }
        out.push(TableReport {
            table: t.name,
            rows: copied,
            sha256: copied_sum,
        });
    }
    Ok(out)
}

/// `lnpayd migrate --from sled:<dir>|fjall:<dir> --to postgres:<url>`:
/// prints progress and, per table, rows and checksum, then the time taken.
/// The URL is never printed: only its host and database.
pub async fn migrate_command(from: &Source, url: &str, every: u64) -> Result<(), ImportError> {
    let src = from.open()?;
    let target: tokio_postgres::Config = url
        .parse()
        .map_err(|_| StoreError::Config("--to is not a PostgreSQL URL".into()))?;
    println!(
        "copying {} into {}",
        from.dir().display(),
        super::describe(&target)
    );
    let report = import_store(src.as_ref(), url, every, &|line| println!("{line}")).await?;
    for t in &report.tables {
        println!(
            "verified {:<28} {:>10} rows  sha256 {}",
            t.table, t.rows, t.sha256
        );
    }
    println!(
        "done in {:.1} s; the event log continues after sequence {}",
        report.elapsed.as_secs_f64(),
        report.last_sequence
    );
    Ok(())
}
