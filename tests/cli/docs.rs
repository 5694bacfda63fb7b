//! `--help`, completions and the man page: no daemon needed.

use crate::{bare_command, output};

fn run(args: &[&str]) -> crate::Run {
    let mut cmd = bare_command();
    cmd.args(args);
    output(cmd)
}

#[test]
fn help_completions_and_man_page() {
    let help = run(&["--help"]);
    assert_eq!(help.code, 0);
    for needle in [
        "Exit status:",
        "  4  not found",
        "--rpcserver",
        "[env: LNPAYD_LISTEN=",
    ] {
        assert!(help.stdout.contains(needle), "{needle}: {}", help.stdout);
    }
    let create = run(&["create", "--help"]);
    for flag in [
        "--amount-sat",
        "--description",
        "--idempotency-key",
        "--external-ref",
    ] {
        assert!(create.stdout.contains(flag), "{flag}: {}", create.stdout);
    }

    for (shell, marker) in [
        ("bash", "complete -F _lnpayd__cli"),
        ("zsh", "#compdef lnpayd-cli"),
        ("fish", "complete -c lnpayd-cli"),
    ] {
        let c = run(&["completions", shell]);
        assert_eq!(c.code, 0, "{}", c.stderr);
        assert!(
            c.stdout.contains(marker),
            "{shell}: {}",
            &c.stdout[..200.min(c.stdout.len())]
        );
        assert!(c.stdout.contains("provider-metrics"), "{shell}");
    }

    let man = run(&["man"]);
    assert_eq!(man.code, 0, "{}", man.stderr);
    assert!(
        man.stdout.contains("\n.TH lnpayd-cli 1 "),
        "{}",
        &man.stdout[..120]
    );
    assert!(man.stdout.contains(".SH \"EXIT STATUS\""));
    assert!(man.stdout.contains("INVALID_ARGUMENT"));

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let pages = run(&["man", "--out-dir", out.to_str().unwrap()]);
    assert_eq!(pages.code, 0, "{}", pages.stderr);
    for page in [
        "lnpayd-cli.1",
        "lnpayd-cli-create.1",
        "lnpayd-cli-webhooks-redeliver.1",
    ] {
        assert!(out.join(page).is_file(), "{page}");
    }
    let main = std::fs::read_to_string(out.join("lnpayd-cli.1")).unwrap();
    assert!(
        main.contains("EXIT STATUS"),
        "our main page, not the plain one"
    );
}
