//! Shell completions and the man page, generated at run time from the same
//! clap definition that parses the command line, so they always describe
//! the binary that prints them. (A build.rs generator would have to compile
//! the CLI's definition into the daemon's build script and leave the pages
//! in target/, where `cargo install` does not look.)

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_mangen::Man;

use crate::args::Cli;
use crate::exit::EXIT_STATUS_HELP;

pub fn completions(shell: clap_complete::Shell) {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "lnpayd-cli", &mut std::io::stdout());
}

/// The page for `lnpayd-cli` to stdout, or into `dir` with one page per
/// subcommand (`lnpayd-cli-create.1`, ...).
pub fn man(dir: Option<&Path>) -> std::io::Result<()> {
    let cmd = Cli::command();
    match dir {
        None => main_page(cmd, &mut std::io::stdout().lock()),
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            // The subcommands' pages, and a plain main page that ours replaces.
            clap_mangen::generate_to(cmd.clone(), dir)?;
            let mut file = std::fs::File::create(dir.join("lnpayd-cli.1"))?;
            main_page(cmd, &mut file)
        }
    }
}

/// clap_mangen's sections, with EXIT STATUS, ENVIRONMENT and FILES where
/// man(7) puts them instead of its one "EXTRA" section.
fn main_page(cmd: clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
    let man = Man::new(cmd);
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    write!(out, "{}", section("EXIT STATUS", exit_status_items()))?;
    write!(
        out,
        "{}",
        section("ENVIRONMENT", ENVIRONMENT.iter().copied())
    )?;
    write!(out, "{}", section("FILES", FILES.iter().copied()))?;
    man.render_version_section(out)
}

const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "LNPAYD_LISTEN",
        "The daemon's address, as --rpcserver (the daemon's own listen variable).",
    ),
    (
        "LNPAYD_DATADIR",
        "The daemon's data directory, as --datadir.",
    ),
    ("LNPAYD_CONFIG", "The daemon's config.toml, as --config."),
    (
        "LNPAYD_TOKEN_FILE",
        "The bearer token's file, as --token-file.",
    ),
];

const FILES: &[(&str, &str)] = &[
    (
        "DATADIR/admin.token",
        "The admin token: every RPC (the default, --role admin).",
    ),
    (
        "DATADIR/invoice.token",
        "The invoice token: the Invoices service only (--role invoice).",
    ),
];

/// The `N  text` lines of [`EXIT_STATUS_HELP`], the one list of exit codes.
fn exit_status_items() -> Vec<(String, String)> {
    let mut items: Vec<(String, String)> = Vec::new();
    for line in EXIT_STATUS_HELP.lines().skip(1) {
        let Some(rest) = line.strip_prefix("  ") else {
            break;
        };
        match rest.split_once("  ") {
            Some((code, text)) if !code.trim().is_empty() => {
                items.push((code.to_string(), text.to_string()))
            }
            // A continuation line of the previous item.
            _ => {
                if let Some(last) = items.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(rest.trim());
                }
            }
        }
    }
    items
}

fn section<K: AsRef<str>, V: AsRef<str>>(
    title: &str,
    items: impl IntoIterator<Item = (K, V)>,
) -> String {
    let mut roff = format!(".SH \"{title}\"\n");
    for (k, v) in items {
        roff.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            escape(k.as_ref()),
            escape(v.as_ref())
        ));
    }
    roff
}

/// Backslashes and a leading dot or quote would be read as roff requests.
fn escape(text: &str) -> String {
    let text = text.replace('\\', "\\e").replace('-', "\\-");
    match text.chars().next() {
        Some('.') | Some('\'') => format!("\\&{text}"),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_lists_every_exit_status_and_subcommand() {
        let mut page = Vec::new();
        main_page(Cli::command(), &mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains(".SH \"EXIT STATUS\""), "{page}");
        for code in 0..=7 {
            assert!(
                page.contains(&format!(".TP\n\\fB{code}\\fR\n")),
                "exit {code}: {page}"
            );
        }
        assert!(
            page.contains("RESOURCE_EXHAUSTED, or the daemon"),
            "continuations joined"
        );
        for sub in [
            "create",
            "events",
            "provider\\-metrics",
            "webhooks",
            "simulate",
        ] {
            assert!(page.contains(sub), "{sub}");
        }
        assert!(page.contains("LNPAYD_LISTEN"));
    }
}
